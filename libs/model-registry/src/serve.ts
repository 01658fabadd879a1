import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** An inclusive byte range inside a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header for a file of `size` bytes (RFC 9110 §14.2). Returns the one range to
 * serve, `'unsatisfiable'` (→ 416) or `undefined` when the header is absent, malformed or asks for
 * several ranges (→ serve the whole file with 200, which the RFC allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return undefined;
  return { start, end };
}

/** Whether an `If-None-Match` header names this ETag (or `*`); weak comparison per RFC 9110 §13.1.2. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Serves an immutable, content-addressed artifact file over node's http: `ETag` = `"<sha256>"`,
 * `If-None-Match` → 304, `Range` → 206 (or 416 with `Content-Range: bytes *\/size`), `If-Range`,
 * `HEAD`; other methods → 405, missing file → 404. Never throws; resolves when the response ends.
 */
export async function serveArtifact(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  sha256: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return plain(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
  const etag = `"${sha256}"`;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return plain(res, 404, 'artifact not found\n');
  const common = { etag, 'accept-ranges': 'bytes', 'cache-control': 'public, max-age=31536000, immutable' };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, info.size) : undefined;
  if (range === 'unsatisfiable')
    return plain(res, 416, 'range not satisfiable\n', { ...common, 'content-range': `bytes */${info.size}` });
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  const headers: Record<string, string | number> = {
    ...common,
    'content-type': 'application/octet-stream',
    'content-length': Math.max(0, end - start + 1),
  };
  if (range) headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || info.size === 0) {
    res.end();
    return;
  }
  try {
    await pipeline(createReadStream(file, { start, end }), res);
  } catch {
    res.destroy(); // client went away or the file vanished mid-stream; the client resumes with Range
  }
}
