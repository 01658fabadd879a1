import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { loadAgentConfig } from '../config.js';
import { EVIDENCE_DEFAULTS } from './evidence-config.js';

const dir = tempDir('takt-evidence-config-');
afterAll(() => dir.remove());

function load(extra: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): unknown {
  const file = join(dir.path, 'edge.json');
  writeFileSync(file, JSON.stringify({ dataDir: dir.path, source: { url: 'mqtt://127.0.0.1:1883' }, ...extra }));
  try {
    return loadAgentConfig(file, env);
  } catch (err) {
    return err;
  }
}

describe('evidence config', () => {
  it('defaults from one place; a partial block keeps the other defaults; TAKT_EDGE_EVIDENCE__* overrides', () => {
    expect((load({}) as { evidence: unknown }).evidence).toEqual(EVIDENCE_DEFAULTS);
    const partial = load({ evidence: { frames: { sampleRate: 0.1 } } }) as { evidence: typeof EVIDENCE_DEFAULTS };
    expect(partial.evidence.frames).toEqual({
      uncertainBelow: EVIDENCE_DEFAULTS.frames.uncertainBelow,
      sampleRate: 0.1,
    });
    expect(partial.evidence.budget).toEqual(EVIDENCE_DEFAULTS.budget);
    expect(
      (load({}, { TAKT_EDGE_EVIDENCE__ENABLED: 'false' }) as { evidence: { enabled: boolean } }).evidence.enabled,
    ).toBe(false);
  });

  it.each([
    [{ frames: { sampleRate: 1.5 } }, /evidence\.frames\.sampleRate/],
    [{ frames: { uncertainBelow: -0.1 } }, /evidence\.frames\.uncertainBelow/],
    [{ windows: { beforeMs: 0, afterMs: 0 } }, /evidence\.windows/],
    [{ windows: { afterMs: 600_000 } }, /evidence\.windows\.afterMs/],
    [{ budget: { burstBytes: 10 } }, /evidence\.budget\.burstBytes/],
    [{ sampleEvery: 3 }, /evidence/],
  ])('BAD INPUT - %j is refused naming the key', (evidence, key) => {
    const err = load({ evidence });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(key);
  });
});
