import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData, tempDir } from '@takt/testing';
import { runCli } from '../cli/run.js';

// The Tennessee Eastman process (shared/data/tep): the standard process-monitoring benchmark.
// CI runs one fault file; bench/src/ml runs all 21 and prints every figure.
const tep = sharedData('tep');
const TEP = tep.path;
const tmp = tempDir('trainer-tep-');
afterAll(() => tmp.remove());

async function cli(...argv: string[]): Promise<void> {
  const [log, error] = [console.log, console.error];
  console.log = console.error = () => undefined;
  try {
    expect(await runCli(argv)).toBe(0);
  } finally {
    [console.log, console.error] = [log, error];
  }
}

const common = ['--time-column', 'time', '--exclude-columns', 'fault'];

async function flags(model: string, file: string): Promise<number[]> {
  const out = join(tmp.path, `${file}.scores.csv`);
  await cli('anomaly', 'score', '--model', model, '--csv', join(TEP, file), ...common, '--out', out);
  return readFileSync(out, 'utf8')
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.slice(l.lastIndexOf(',') + 1)));
}

const share = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('anomaly fit / score on the Tennessee Eastman process, with the defaults', () => {
  it.skipIf(tep.absent)(
    `fitted on train_normal: ≤ 5 % false alarms on test_normal and before the onset, fault 11 detected${tep.skipNote}`,
    async () => {
      const model = join(tmp.path, 'tep-model');
      await cli('anomaly', 'fit', '--csv', join(TEP, 'train_normal.csv'), ...common, '--out', model);
      const manifest = JSON.parse(readFileSync(join(model, 'manifest.json'), 'utf8')) as {
        detector: string;
        metrics: Record<string, number>;
      };
      expect(manifest.detector).toBe('kmeans');
      expect(manifest.metrics['components']).toBeLessThan(104); // a residual subspace exists, so SPE counts
      const normal = await flags(model, 'test_normal.csv');
      const fault = await flags(model, 'test_fault_11.csv'); // reactor cooling water inlet temperature, random variation; onset after row 160
      const [far, pre, detected] = [share(normal), share(fault.slice(0, 160)), share(fault.slice(160))];
      console.info(
        `TEP: false alarms ${(far * 100).toFixed(1)} % (test_normal), ${(pre * 100).toFixed(1)} % before onset; fault 11 detected on ${(detected * 100).toFixed(1)} % of rows`,
      );
      // measured: 0 %, 0 %, 98.4 %
      expect(far).toBeLessThanOrEqual(0.05);
      expect(pre).toBeLessThanOrEqual(0.05);
      expect(detected).toBeGreaterThanOrEqual(0.85);
    },
  );
});
