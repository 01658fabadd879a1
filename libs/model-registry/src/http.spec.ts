import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './artifact.js';
import { downloadArtifact } from './download.js';
import { RegistryError } from './errors.js';
import { parseRange, serveArtifact } from './serve.js';

const dir = mkdtempSync(join(tmpdir(), 'takt-http-'));
const payload = randomBytes(256 * 1024);
const sha256 = sha256Hex(payload);
const file = join(dir, 'blob');
writeFileSync(file, payload);

/** Test knobs for the next requests: cut the body after N bytes, fail with a status. */
let cutAfter: number | undefined;
let failWith: number[] = [];
let seen: { range?: string; ifRange?: string; auth?: string }[] = [];

function handler(req: IncomingMessage, res: ServerResponse): void {
  seen.push({
    range: req.headers.range,
    ifRange: req.headers['if-range'] as string | undefined,
    auth: req.headers.authorization,
  });
  const status = failWith.shift();
  if (status) {
    res.writeHead(status).end();
    return;
  }
  if (req.url === '/missing') return void serveArtifact(req, res, join(dir, 'nope'), sha256);
  if (req.url === '/endless') {
    // no Content-Length, chunked, never ends on its own: a hostile or broken server
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    res.on('close', () => res.removeAllListeners('drain'));
    return pump();
  }
  if (cutAfter !== undefined) {
    const limit = cutAfter;
    cutAfter = undefined;
    const write = res.write.bind(res);
    let sent = 0;
    res.write = ((chunk: Buffer, ...rest: never[]) => {
      const room = limit - sent;
      sent += chunk.length;
      if (room <= chunk.length) {
        write(chunk.subarray(0, Math.max(0, room)));
        setImmediate(() => res.socket?.destroy()); // the network cut
        return false;
      }
      return write(chunk, ...rest);
    }) as typeof res.write;
  }
  void serveArtifact(req, res, file, sha256);
}

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  cutAfter = undefined;
  failWith = [];
  seen = [];
});

describe('parseRange', () => {
  it('reads open, closed and suffix ranges; refuses what it cannot serve', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
  });
});

describe('serveArtifact', () => {
  it('serves the whole file with a strong ETag', async () => {
    const res = await fetch(`${base}/a`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${sha256}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(payload)).toBe(true);
  });

  it('answers If-None-Match with 304 and no body', async () => {
    const res = await fetch(`${base}/a`, { headers: { 'if-none-match': `W/"x", "${sha256}"` } });
    expect(res.status).toBe(304);
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves a byte range with 206 and Content-Range', async () => {
    const res = await fetch(`${base}/a`, { headers: { range: 'bytes=1000-1999' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 1000-1999/${payload.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(payload.subarray(1000, 2000))).toBe(true);
  });

  it('ignores Range when If-Range names another version', async () => {
    const res = await fetch(`${base}/a`, { headers: { range: 'bytes=10-', 'if-range': '"other"' } });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(payload.length);
  });

  it('BAD INPUT - range past the end → 416 with bytes */size', async () => {
    const res = await fetch(`${base}/a`, { headers: { range: `bytes=${payload.length}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${payload.length}`);
  });

  it('BAD INPUT - missing file → 404; POST → 405; HEAD has headers only', async () => {
    expect((await fetch(`${base}/missing`)).status).toBe(404);
    expect((await fetch(`${base}/a`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/a`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(payload.length));
  });
});

describe('downloadArtifact', () => {
  const dest = (name: string) => join(dir, name);

  it('downloads, verifies and sends the given headers', async () => {
    await downloadArtifact(`${base}/a`, dest('full.onnx'), {
      sha256,
      bytes: payload.length,
      headers: { authorization: 'Bearer t0k' },
    });
    expect(readFileSync(dest('full.onnx')).equals(payload)).toBe(true);
    expect(seen).toEqual([{ auth: 'Bearer t0k' }].map((s) => ({ ...s, range: undefined, ifRange: undefined })));
    expect(existsSync(`${dest('full.onnx')}.part`)).toBe(false);
  });

  it('resumes with Range after the connection is cut mid-body', async () => {
    cutAfter = 100_000;
    await downloadArtifact(`${base}/a`, dest('resumed.onnx'), { sha256, bytes: payload.length, backoffMs: 10 });
    expect(readFileSync(dest('resumed.onnx')).equals(payload)).toBe(true);
    expect(seen).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(seen[1]?.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    expect(seen[1]?.ifRange).toBe(`"${sha256}"`);
  });

  it('resumes from a .part left by an earlier run, also without a known size', async () => {
    writeFileSync(`${dest('prior.onnx')}`.concat('.part'), payload.subarray(0, 5000));
    await downloadArtifact(`${base}/a`, dest('prior.onnx'), { sha256 });
    expect(readFileSync(dest('prior.onnx')).equals(payload)).toBe(true);
    expect(seen[0]?.range).toBe('bytes=5000-');
  });

  it('retries 503 with backoff, then succeeds', async () => {
    failWith = [503, 502];
    await downloadArtifact(`${base}/a`, dest('retried.onnx'), { sha256, backoffMs: 5 });
    expect(seen).toHaveLength(3);
    expect(statSync(dest('retried.onnx')).size).toBe(payload.length);
  });

  it('BAD INPUT - wrong expected hash → HASH_MISMATCH, nothing at dest, no .part left', async () => {
    const err = await downloadArtifact(`${base}/a`, dest('bad.onnx'), { sha256: 'd'.repeat(64), backoffMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe('HASH_MISMATCH');
    expect(existsSync(dest('bad.onnx'))).toBe(false);
    expect(existsSync(`${dest('bad.onnx')}.part`)).toBe(false);
  });

  it('BAD INPUT - stale, corrupt .part → restarts from byte 0 and still verifies', async () => {
    writeFileSync(`${dest('stale.onnx')}.part`, randomBytes(3000));
    await downloadArtifact(`${base}/a`, dest('stale.onnx'), { sha256, bytes: payload.length, backoffMs: 5 });
    expect(readFileSync(dest('stale.onnx')).equals(payload)).toBe(true);
    expect(seen.map((s) => s.range)).toEqual(['bytes=3000-', undefined]);
  });

  it('BAD INPUT - server offers more bytes than the manifest → HASH_MISMATCH', async () => {
    const err = await downloadArtifact(`${base}/a`, dest('long.onnx'), { sha256, bytes: 10 }).catch((e: unknown) => e);
    expect((err as RegistryError).code).toBe('HASH_MISMATCH');
    expect(existsSync(dest('long.onnx'))).toBe(false);
  });

  it('BAD INPUT - 404/401 → DOWNLOAD_FAILED without retrying; retries spent → DOWNLOAD_FAILED', async () => {
    const notFound = await downloadArtifact(`${base}/missing`, dest('x.onnx'), { sha256 }).catch((e: unknown) => e);
    expect((notFound as RegistryError).code).toBe('DOWNLOAD_FAILED');
    expect(seen).toHaveLength(1);
    failWith = [503, 503, 503];
    const spent = await downloadArtifact(`${base}/a`, dest('y.onnx'), { sha256, retries: 2, backoffMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect((spent as RegistryError).code).toBe('DOWNLOAD_FAILED');
    expect(existsSync(dest('y.onnx'))).toBe(false);
  });

  it('BAD INPUT - aborted by the caller → ABORTED', async () => {
    failWith = [503, 503, 503, 503];
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const err = await downloadArtifact(`${base}/a`, dest('z.onnx'), {
      sha256,
      backoffMs: 1000,
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect((err as RegistryError).code).toBe('ABORTED');
  });

  it('BAD INPUT - a body without Content-Length that never ends → TOO_LARGE at maxBytes, nothing past it written', async () => {
    const err = await downloadArtifact(`${base}/endless`, dest('endless.onnx'), {
      sha256,
      maxBytes: 1_000_000,
      retries: 0,
    }).catch((e: unknown) => e);
    expect((err as RegistryError).code).toBe('TOO_LARGE');
    expect(existsSync(dest('endless.onnx'))).toBe(false);
    expect(statSync(`${dest('endless.onnx')}.part`).size).toBeLessThanOrEqual(1_000_000);
    // the manifest's size bounds it too
    const err2 = await downloadArtifact(`${base}/endless`, dest('endless2.onnx'), {
      sha256,
      bytes: 100_000,
      retries: 0,
    }).catch((e: unknown) => e);
    expect((err2 as RegistryError).code).toBe('TOO_LARGE');
  });
});
