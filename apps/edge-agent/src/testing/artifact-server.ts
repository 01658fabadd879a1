import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveArtifact } from '@takt/model-registry';

/**
 * A tiny HTTP registry front for tests: `/api/artifacts/sha256/<hash>` serves the file registered
 * under that hash (`files`, which a test may point at a tampered file) with ETag/Range; bearer token
 * checked. `url` is the registry's base URL.
 */
export async function startArtifactServer(token: string): Promise<{
  url: string;
  files: Map<string, { file: string; sha256: string }>;
  requests: string[];
  close: () => Promise<void>;
}> {
  const files = new Map<string, { file: string; sha256: string }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401).end();
      return;
    }
    const f = files.get((req.url ?? '').replace(/^\/api\/artifacts\/sha256\//, ''));
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    serveArtifact(req, res, f.file, f.sha256);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, files, requests, close: () => new Promise((r) => server.close(() => r())) };
}
