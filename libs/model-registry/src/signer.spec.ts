import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { writeSigningKey } from './keys.js';
import { verifyRollbackGrant } from './rollback-grant.js';
import { SocketSigner } from './signer.js';
import { generateSigningKey, verifyManifest } from './signing.js';
import { ModelRegistry } from './store.js';

// The key lives in its own process (`takt-registry signer`); the registry signs through a Unix socket.
const dir = mkdtempSync(join(tmpdir(), 'takt-signer-'));
const cli = join(dirname(fileURLToPath(import.meta.url)), 'cli.ts');
const key = generateSigningKey('signer-1');
const socket = join(dir, 'signer.sock');
let proc: ChildProcess;
let stderr = '';

const canConnect = (path: string) =>
  new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

function start(keyFile: string, sock: string): ChildProcess {
  const p = spawn(
    process.execPath,
    [
      '--conditions=@takt/source',
      '--import',
      'tsx',
      cli,
      'signer',
      '--key',
      keyFile,
      '--key-id',
      key.keyId,
      '--socket',
      sock,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  p.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return p;
}

beforeAll(async () => {
  const { privateFile } = await writeSigningKey(dir, key);
  proc = start(privateFile, socket);
  // ready once its socket accepts connections (its log is buffered)
  proc.once('exit', (code) => (stderr += `\n(exited ${code})`));
  for (let i = 0; !(await canConnect(socket)); i++) {
    if (i > 250 || proc.exitCode !== null) throw new Error(`signer did not listen: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 30_000);
afterAll(() => {
  proc?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('takt-registry signer (a separate process holding the key)', () => {
  it('signs what the registry registers and the rollback grants it issues; the socket is owner-only', async () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const registry = new ModelRegistry({ dir: join(dir, 'reg'), signer: new SocketSigner(socket) });
    const {
      artifact: _a,
      signature: _s,
      variants: _v,
      ...manifest
    } = sampleManifest({ name: 'press-anomaly', version: 1 });
    const m = await registry.register({ manifest, artifact: Buffer.from('onnx bytes') });
    expect(() => verifyManifest(m, { [key.keyId]: key.publicKeyPem })).not.toThrow();
    const grant = await registry.grantRollback('press-anomaly', 1, ['press-1']);
    expect(() =>
      verifyRollbackGrant(
        grant,
        { [key.keyId]: key.publicKeyPem },
        { model: 'press-anomaly', version: 1, device: 'press-1' },
      ),
    ).not.toThrow();
  });

  it('BAD INPUT - a malformed manifest is refused by the signer, with its reason', async () => {
    const err = await new SocketSigner(socket)
      .signManifest({ name: 'NOT A VALID NAME' } as never)
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('INVALID_MANIFEST');
    expect((err as Error).message).toMatch(/^signer: /);
  });

  it('BAD INPUT - a key file others can read is refused at start; an absent signer is a clear error', async () => {
    const { privateFile } = await writeSigningKey(dir, generateSigningKey('open'));
    chmodSync(privateFile, 0o644);
    const p = start(privateFile, join(dir, 'other.sock'));
    const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /\[INVALID_KEY\]: private key file .*open\.key is readable by others \(mode 644\); chmod 600 it/,
    );
    expect(existsSync(join(dir, 'other.sock'))).toBe(false);
    const err = await new SocketSigner(join(dir, 'nobody.sock'))
      .signRollbackGrant({ model: 'm', version: 1, devices: ['d'] })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/signer at .*nobody\.sock unreachable/);
  });
});
