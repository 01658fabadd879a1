import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '@takt/edge-agent';
import { loadIngestorConfig } from '@takt/ingestor';
import { workspaceRoot } from '@takt/testing';

const root = workspaceRoot();
const units = [
  ...readdirSync(join(root, 'deploy/systemd'))
    .filter((f) => f.endsWith('.service'))
    .map((f) => join(root, 'deploy/systemd', f)),
  join(root, 'deploy/edge/takt-edge.service'),
];

describe('deploy/ manifests', () => {
  it('ships a unit for every program', () => {
    expect(units.map((u) => u.split('/').pop()).sort()).toEqual([
      'takt-broker.service',
      'takt-dashboard.service',
      'takt-edge.service',
      'takt-ingestor.service',
      'takt-trainer.service',
    ]);
  });

  it.each(units.map((u) => [u.split('/').pop()!, u]))(
    '%s passes systemd-analyze verify and starts a program that exists',
    (_name, unit) => {
      execFileSync('systemd-analyze', ['verify', unit], { stdio: 'pipe' });
      const exec = /^ExecStart=\/usr\/bin\/node \/opt\/takt\/(\S+)/m.exec(readFileSync(unit, 'utf8'));
      expect(exec, 'ExecStart runs node on a built main').not.toBeNull();
      const main = exec![1]!;
      expect(
        existsSync(join(root, main.replace('/dist/main.js', '/src/main.ts'))),
        `${main} is built from an existing src/main.ts`,
      ).toBe(true);
      const pkg = JSON.parse(readFileSync(join(root, main.split('/dist/')[0]!, 'package.json'), 'utf8')) as {
        bin?: Record<string, string>;
      };
      expect(Object.values(pkg.bin ?? {})).toContain('./dist/main.js');
      const docs = [...readFileSync(unit, 'utf8').matchAll(/^Documentation=file:\/\/\/opt\/takt\/(\S+)/gm)].map(
        (m) => m[1]!,
      );
      expect(docs.length, 'Documentation= names a file of the checkout').toBeGreaterThan(0);
      for (const doc of docs) expect(existsSync(join(root, doc)), `Documentation=${doc} exists`).toBe(true);
    },
  );

  it('the edge example config is valid for takt-edge', () => {
    const config = loadAgentConfig(join(root, 'deploy/edge/edge.example.json'), {});
    expect(config.inference.providers.length).toBeGreaterThan(0);
  });

  it.each(['ingestor-site-a.json', 'ingestor-site-b.json'])(
    'scale-out %s is valid for takt-ingest and splits by site',
    (file) => {
      const config = loadIngestorConfig(join(root, 'deploy/scale-out', file), {});
      const site = file.includes('site-a') ? 'plant-a' : 'plant-b';
      expect(config.broker.filters.every((f) => f.startsWith(`takt/v1/${site}/`))).toBe(true);
    },
  );
});
