import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { errorCode, type ModelManifest, type RollbackGrant } from '@takt/contracts';
import { createLogger, type Logger } from '@takt/runtime';
import { RegistryError } from './errors.js';
import { signRollbackGrant } from './rollback-grant.js';
import { signManifest } from './signing.js';

/** A manifest before it is signed (any signature is replaced). */
export type ManifestDraft = Omit<ModelManifest, 'signature'> & { signature?: unknown };
/** What a rollback grant is issued for. */
export interface GrantRequest {
  model: string;
  version: number;
  devices: string[];
  ttlMs?: number;
}

/**
 * Whatever holds the signing key. The trainer's HTTP service talks to a `SocketSigner` (a separate
 * `takt-registry signer` process), so a compromise of the service does not hand out the private key;
 * `KeySigner` holds it in-process (offline tools, tests).
 */
export interface Signer {
  signManifest(draft: ManifestDraft): Promise<ModelManifest>;
  signRollbackGrant(request: GrantRequest): Promise<RollbackGrant>;
}

/** Signs in this process with a key it holds. */
export class KeySigner implements Signer {
  readonly #key: { keyId: string; privateKeyPem: string };

  constructor(key: { keyId: string; privateKeyPem: string }) {
    this.#key = key;
  }

  async signManifest(draft: ManifestDraft): Promise<ModelManifest> {
    return signManifest(draft, this.#key.privateKeyPem, this.#key.keyId);
  }

  async signRollbackGrant(r: GrantRequest): Promise<RollbackGrant> {
    return signRollbackGrant(r, this.#key.privateKeyPem, this.#key.keyId);
  }
}

/** Largest request line the signer reads: a manifest is a few KiB; anything bigger is refused. */
const MAX_REQUEST_BYTES = 256 * 1024;
/** ms a request may take end to end before the client gives up. */
const REQUEST_TIMEOUT_MS = 10_000;

type Request = { op: 'sign-manifest'; draft: ManifestDraft } | { op: 'sign-grant'; request: GrantRequest };
type Response = { ok: true; result: unknown } | { ok: false; code: string; message: string };

/** Reads one newline-terminated JSON line (at most `MAX_REQUEST_BYTES`). */
function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
      else if (buf.length > MAX_REQUEST_BYTES)
        reject(new RegistryError('INVALID_MANIFEST', `signer request over ${MAX_REQUEST_BYTES} bytes`));
    });
    socket.once('end', () =>
      reject(new RegistryError('DOWNLOAD_FAILED', 'signer connection closed before a full line')),
    );
    socket.once('error', reject);
  });
}

/** Signs through a `takt-registry signer` on a Unix socket: one request per connection. */
export class SocketSigner implements Signer {
  constructor(readonly socketPath: string) {}

  signManifest(draft: ManifestDraft): Promise<ModelManifest> {
    return this.#call({ op: 'sign-manifest', draft }) as Promise<ModelManifest>;
  }

  signRollbackGrant(request: GrantRequest): Promise<RollbackGrant> {
    return this.#call({ op: 'sign-grant', request }) as Promise<RollbackGrant>;
  }

  async #call(req: Request): Promise<unknown> {
    const socket = connect(this.socketPath);
    socket.setTimeout(REQUEST_TIMEOUT_MS, () =>
      socket.destroy(new Error(`signer at ${this.socketPath} did not answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    try {
      socket.write(`${JSON.stringify(req)}\n`);
      const res = JSON.parse(await readLine(socket)) as Response;
      if (!res.ok) throw new RegistryError(res.code as RegistryError['code'], `signer: ${res.message}`);
      return res.result;
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw new RegistryError('INVALID_KEY', `signer at ${this.socketPath} unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      socket.destroy();
    }
  }
}

/**
 * `takt-registry signer`: holds the private key in its own process and signs, over a Unix socket
 * only its owner can open (mode 0600), what the trainer asks for — a manifest that validates
 * against the contract, or a rollback grant — never arbitrary bytes. Every signature is logged.
 */
export async function serveSigner(opts: {
  socketPath: string;
  key: { keyId: string; privateKeyPem: string };
  logger?: Logger;
}): Promise<{ close: () => Promise<void> }> {
  const logger = opts.logger ?? createLogger('takt-signer');
  const signer = new KeySigner(opts.key);
  const answer = async (line: string): Promise<Response> => {
    try {
      const req = JSON.parse(line) as Request;
      if (req.op === 'sign-manifest') {
        const m = await signer.signManifest(req.draft);
        logger.info(
          { model: m.name, version: m.version, sha256: m.artifact.sha256, keyId: opts.key.keyId },
          'manifest signed',
        );
        return { ok: true, result: m };
      }
      if (req.op === 'sign-grant') {
        const g = await signer.signRollbackGrant(req.request);
        logger.info(
          { model: g.model, version: g.version, devices: g.devices.length, keyId: opts.key.keyId },
          'rollback grant signed',
        );
        return { ok: true, result: g };
      }
      return {
        ok: false,
        code: 'INVALID_MANIFEST',
        message: `unknown op ${JSON.stringify((req as { op?: unknown }).op)}`,
      };
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'signing refused');
      return { ok: false, code: errorCode(err, 'INVALID_MANIFEST'), message: (err as Error).message };
    }
  };
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    readLine(socket).then(
      async (line) => socket.end(`${JSON.stringify(await answer(line))}\n`),
      (err: Error) => socket.end(`${JSON.stringify({ ok: false, code: 'INVALID_MANIFEST', message: err.message })}\n`),
    );
  });
  await rm(opts.socketPath, { force: true });
  // the socket is created owner-only (umask), not chmod-ed after: no window in which others may connect
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, resolve);
    });
  } finally {
    process.umask(umask);
  }
  await chmod(opts.socketPath, 0o600);
  logger.info({ socket: opts.socketPath, keyId: opts.key.keyId }, 'signer listening');
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
