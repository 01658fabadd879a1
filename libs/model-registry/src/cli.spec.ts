import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { sha256Hex } from './artifact.js';
import { runCommand } from './cli-commands.js';
import { RegistryError } from './errors.js';

const dir = mkdtempSync(join(tmpdir(), 'takt-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (f: string) => join(dir, f);

const artifact = Buffer.from('model bytes for the cli');
writeFileSync(at('model.onnx'), artifact);
const { signature: _s, ...unsigned } = sampleManifest({
  artifact: { file: 'model.onnx', sha256: sha256Hex(artifact), bytes: artifact.length },
});
writeFileSync(at('manifest.json'), JSON.stringify(unsigned));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  return err === undefined ? undefined : (err as RegistryError).code;
}

describe('takt-registry commands', () => {
  it('keygen → sign → verify, and a key rotation: trust both, sign with the new, retire the old', async () => {
    await runCommand(['keygen', '--key-id', 'k-2026', '--out', dir]);
    expect(statSync(at('k-2026.key')).mode & 0o777).toBe(0o600);
    expect(await codeOf(runCommand(['keygen', '--key-id', 'k-2026', '--out', dir]))).toBe('INVALID_KEY');
    const trusted = mkdtempSync(join(dir, 'trusted-'));
    writeFileSync(join(trusted, 'k-2026.pub'), readFileSync(at('k-2026.pub')));

    await runCommand([
      'sign',
      '--manifest',
      at('manifest.json'),
      '--key',
      at('k-2026.key'),
      '--key-id',
      'k-2026',
      '--out',
      at('old.json'),
    ]);
    const verifyOld = ['verify', '--manifest', at('old.json'), '--artifact', at('model.onnx'), '--trusted', trusted];
    expect(await runCommand(verifyOld)).toMatch(/^ok: pump-anomaly v3 signed by k-2026/);

    // rotation step 1: new key, trusted beside the old one everywhere
    await runCommand(['keygen', '--key-id', 'k-2027', '--out', dir]);
    writeFileSync(join(trusted, 'k-2027.pub'), readFileSync(at('k-2027.pub')));
    // step 2: new manifests are signed with the new key; old ones still verify
    await runCommand([
      'sign',
      '--manifest',
      at('manifest.json'),
      '--key',
      at('k-2027.key'),
      '--key-id',
      'k-2027',
      '--out',
      at('new.json'),
    ]);
    const verifyNew = ['verify', '--manifest', at('new.json'), '--artifact', at('model.onnx'), '--trusted', trusted];
    expect(await runCommand(verifyNew)).toMatch(/signed by k-2027/);
    expect(await runCommand(verifyOld)).toMatch(/signed by k-2026/);
    // step 3: retire the old key; what it signed is refused from now on
    unlinkSync(join(trusted, 'k-2026.pub'));
    expect(await runCommand(verifyNew)).toMatch(/signed by k-2027/);
    expect(await codeOf(runCommand(verifyOld))).toBe('UNKNOWN_KEY');
  });

  it('BAD INPUT - key id that does not match the private key → BAD_SIGNATURE at verify', async () => {
    await runCommand(['keygen', '--key-id', 'a', '--out', dir]);
    await runCommand(['keygen', '--key-id', 'b', '--out', dir]);
    const trusted = mkdtempSync(join(dir, 'trusted-'));
    writeFileSync(join(trusted, 'a.pub'), readFileSync(at('a.pub')));
    await runCommand([
      'sign',
      '--manifest',
      at('manifest.json'),
      '--key',
      at('b.key'),
      '--key-id',
      'a',
      '--out',
      at('mixed.json'),
    ]);
    expect(
      await codeOf(
        runCommand(['verify', '--manifest', at('mixed.json'), '--artifact', at('model.onnx'), '--trusted', trusted]),
      ),
    ).toBe('BAD_SIGNATURE');
  });

  it('BAD INPUT - missing option or unknown command → USAGE', async () => {
    expect(await codeOf(runCommand(['sign', '--manifest', at('manifest.json')]))).toBe('USAGE');
    expect(await codeOf(runCommand(['frobnicate']))).toBe('USAGE');
  });

  it('runs as a process: exit 0 when verified, 1 with the code on stderr when refused', async () => {
    const cli = join(dirname(fileURLToPath(import.meta.url)), 'cli.ts');
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--conditions=@takt/source', '--import', 'tsx', cli, ...args], {
        env: { ...process.env, TAKT_LOG_LEVEL: 'silent' },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    await runCommand(['keygen', '--key-id', 'proc', '--out', dir]);
    const trusted = mkdtempSync(join(dir, 'trusted-'));
    writeFileSync(join(trusted, 'proc.pub'), readFileSync(at('proc.pub')));
    await run([
      'sign',
      '--manifest',
      at('manifest.json'),
      '--key',
      at('proc.key'),
      '--key-id',
      'proc',
      '--out',
      at('proc.json'),
    ]);
    const ok = await run([
      'verify',
      '--manifest',
      at('proc.json'),
      '--artifact',
      at('model.onnx'),
      '--trusted',
      trusted,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('artifact verified');
    writeFileSync(at('cut.onnx'), artifact.subarray(0, 5));
    const refused = await run([
      'verify',
      '--manifest',
      at('proc.json'),
      '--artifact',
      at('cut.onnx'),
      '--trusted',
      trusted,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^takt-registry: error \[TRUNCATED\]: /);
  });
});
