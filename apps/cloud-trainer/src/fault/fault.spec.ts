import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeManifest } from '@takt/contracts';
import { sourceCommand, tempDir } from '@takt/testing';
import { runCli } from '../cli/run.js';

const tmp = tempDir('trainer-fault-');
afterAll(() => tmp.remove());
beforeAll(async () => {
  const cmd = sourceCommand('simulators/plant', [
    'record',
    '--plant',
    join(import.meta.dirname, '..', '..', 'testdata', 'fault-plant.json'),
    '--seed',
    '3',
    '--duration',
    '160',
    '--start',
    '1767225600000',
    '--out',
    tmp.path,
  ]);
  await promisify(execFile)(cmd.command, cmd.args, { cwd: cmd.cwd });
}, 60_000);

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = () => undefined;
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await runCli(argv), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

describe('fault fit / predict (1-D CNN on labelled raw windows)', () => {
  it('trains from takt-sim raw.jsonl + truth.csv, exports fp32 + int8 with the edge window spec, predicts every window', async () => {
    const model = join(tmp.path, 'model');
    const raw = join(tmp.path, 'raw.jsonl');
    const fit = await cli(
      'fault',
      'fit',
      '--raw',
      raw,
      '--truth',
      join(tmp.path, 'truth.csv'),
      '--window-ms',
      '2000',
      '--length',
      '64',
      '--epochs',
      '3',
      '--out',
      model,
    );
    expect(fit.code, fit.err).toBe(0);
    const m = decodeManifest(readFileSync(join(model, 'manifest.json')));
    expect(m).toMatchObject({
      kind: 'cnn-fault',
      classes: ['imbalance', 'ok', 'overheating'],
      input: {
        shape: [null, 64, 3],
        window: { lengthMs: 2000, hopMs: 1000, sensors: ['current', 'temperature', 'vibration'], sampleRate: 32 },
      },
    });
    expect(m.variants?.['int8']).toBeDefined();
    expect(m.metrics['val_accuracy']).toBeGreaterThan(0);
    const out = join(tmp.path, 'pred.csv');
    expect((await cli('fault', 'predict', '--model', model, '--int8', '--raw', raw, '--out', out)).code).toBe(0);
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('device,start,end,label,confidence');
    expect(rows.length - 1).toBeGreaterThan(300); // 2 machines × ~160 windows
  }, 120_000);

  it('BAD INPUT - a truth file with an unknown fault kind names the line; nothing is written', async () => {
    const truth = join(tmp.path, 'bad-truth.csv');
    writeFileSync(truth, 'machine,fault,start,end\nmotor-1,gremlins,1767225610000,1767225620000\n');
    const out = join(tmp.path, 'bad-model');
    const r = await cli('fault', 'fit', '--raw', join(tmp.path, 'raw.jsonl'), '--truth', truth, '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BAD_LABELS.*line 2/);
    expect(existsSync(out)).toBe(false);
  });
});
