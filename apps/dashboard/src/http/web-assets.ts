import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';

/** One file the page loads, held in memory with its ETag. */
export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

function asset(type: string, body: string | Buffer): Asset {
  const buf = Buffer.from(body);
  return { type, body: buf, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

/**
 * Builds the page at startup: esbuild bundles `web/src/main.ts` (uPlot included, from node_modules),
 * and the stylesheet is ours plus uPlot's. Nothing is fetched from the internet, ever.
 */
export async function buildWebAssets(): Promise<Map<string, Asset>> {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [`${WEB_DIR}src/main.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  const js = out.outputFiles[0]?.contents;
  if (!js) throw new Error('esbuild produced no bundle');
  const uplotCss = readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'));
  return new Map([
    ['/', asset('text/html; charset=utf-8', readFileSync(`${WEB_DIR}index.html`))],
    ['/assets/app.js', asset('text/javascript; charset=utf-8', Buffer.from(js))],
    [
      '/assets/app.css',
      asset(
        'text/css; charset=utf-8',
        Buffer.concat([uplotCss, Buffer.from('\n'), readFileSync(`${WEB_DIR}style.css`)]),
      ),
    ],
    ['/assets/favicon.svg', asset('image/svg+xml', readFileSync(`${WEB_DIR}favicon.svg`))],
  ]);
}

/** Serves the built assets with ETag / If-None-Match; the HTML is never cached. */
export function serveAssets(assets: Map<string, Asset>): RequestHandler {
  return (req, res, next) => {
    const a = req.method === 'GET' || req.method === 'HEAD' ? assets.get(req.path) : undefined;
    if (!a) return next();
    res.set({ 'content-type': a.type, etag: a.etag, 'cache-control': req.path === '/' ? 'no-store' : 'no-cache' });
    if (req.headers['if-none-match'] === a.etag) return void res.status(304).end();
    res.send(a.body);
  };
}

/** Headers every answer carries: no framing, no sniffing, only our own scripts. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  next();
};
