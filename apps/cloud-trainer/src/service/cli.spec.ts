import { spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, workspaceRoot } from '@takt/testing';

const dir = tempDir('takt-trainer-cli-');
afterAll(() => dir.remove());

/** Runs the serve entry as a process; resolves with its exit code and stderr. */
function serve(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const root = workspaceRoot();
  const child = spawn(
    process.execPath,
    [
      '--conditions=@takt/source',
      '--import',
      'tsx',
      join(root, 'apps/cloud-trainer/src/service/serve-main.ts'),
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, TAKT_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

const VALID = {
  registryDir: '/tmp/unused',
  signingKey: { keyId: 'k1', privateKeyFile: '/nonexistent/key.pem' },
  tokens: [{ token: 'reader-token-0123456789', role: 'reader' }],
  influx: { url: 'http://127.0.0.1:1' },
  mqtt: { url: 'mqtt://127.0.0.1:1', username: 'service', password: 'x' },
};

describe('takt-trainer serve (process)', () => {
  it('BAD INPUT - a config without registryDir exits 2 naming the key', async () => {
    const file = join(dir.path, 'no-registry.json');
    const { registryDir: _r, ...rest } = VALID;
    writeFileSync(file, JSON.stringify(rest));
    const { code, stderr } = await serve(['--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('"registryDir"');
  });

  it('BAD INPUT - a bad TAKT_TRAINER_* override and an unreadable signing key exit 2 naming the key', async () => {
    const file = join(dir.path, 'valid.json');
    writeFileSync(file, JSON.stringify(VALID));
    const [env, key] = await Promise.all([
      serve(['--config', file], { TAKT_TRAINER_TRAINING__MIN_WINDOWS: '3' }),
      serve(['--config', file]),
    ]);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('training.minWindows');
    expect(env.stderr).toContain('TAKT_TRAINER_TRAINING__MIN_WINDOWS');
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('signingKey.privateKeyFile');
  });

  it('BAD INPUT - a signing key file others can read exits 2: chmod 600 it', async () => {
    const keyFile = join(dir.path, 'open.pem');
    writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\n', { mode: 0o644 });
    chmodSync(keyFile, 0o644);
    const file = join(dir.path, 'open-key.json');
    writeFileSync(file, JSON.stringify({ ...VALID, signingKey: { keyId: 'k1', privateKeyFile: keyFile } }));
    const { code, stderr } = await serve(['--config', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/readable by others \(mode 644\); chmod 600 it/);
  });

  it('BAD INPUT - an unknown flag exits 2 with the usage', async () => {
    const { code, stderr } = await serve(['--port', '80']);
    expect(code).toBe(2);
    expect(stderr).toContain('usage: takt-trainer serve --config FILE');
  });
});
