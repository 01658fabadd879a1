import { ESLint } from 'eslint';
import { createProjectGraphAsync } from '@nx/devkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@takt/testing';

/**
 * Proves the module-boundary rules bite: a file placed in a project imports across a boundary and
 * eslint (the same config `nx lint` uses) must reject it.
 */
const root = workspaceRoot();
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  // the rule reads Nx's cached project graph; a fresh clone has none until something computes it
  beforeAll(async () => {
    process.env['NX_DAEMON'] = 'false';
    await createProjectGraphAsync({ exitOnError: false });
  }, 120_000);

  it('BAD IMPORT - edge code importing a cloud app is rejected', async () => {
    const errors = await boundaryErrors('apps/edge-agent/src/probe.ts', "import '@takt/cloud-trainer';\n");
    expect(errors.join('\n')).toMatch(/scope:edge|tagged with/);
  });
  it('BAD IMPORT - edge code importing TensorFlow.js is rejected', async () => {
    const errors = await boundaryErrors(
      'apps/edge-agent/src/probe.ts',
      "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n",
    );
    expect(errors.join('\n')).toMatch(/@tensorflow\/tfjs/);
  });
  it('BAD IMPORT - a shared lib importing an app is rejected', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import '@takt/broker';\n");
    expect(errors.length).toBeGreaterThan(0);
  });
  it('BAD IMPORT - plant simulators importing edge code is rejected', async () => {
    const errors = await boundaryErrors('simulators/plant/src/probe.ts', "import '@takt/edge-agent';\n");
    expect(errors.length).toBeGreaterThan(0);
  });
  it('a shared lib import from an app is allowed', async () => {
    expect(
      await boundaryErrors(
        'apps/edge-agent/src/probe.ts',
        "import { buildTopic } from '@takt/contracts';\nexport const b = buildTopic;\n",
      ),
    ).toEqual([]);
  });
});
