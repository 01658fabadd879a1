import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@takt/testing';

const root = workspaceRoot();
const PROMTOOL = '/usr/bin/promtool';

describe('deploy/prometheus and deploy/grafana', () => {
  it.skipIf(!existsSync(PROMTOOL))(
    `prometheus.yml passes promtool check config${existsSync(PROMTOOL) ? '' : ' (skipped: promtool missing, apt-get install prometheus)'}`,
    () => {
      const out = execFileSync(PROMTOOL, ['check', 'config', join(root, 'deploy/prometheus/prometheus.yml')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(out).toMatch(/SUCCESS/);
    },
  );

  it('scrapes every Takt process', () => {
    const yml = readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8');
    const jobs = [...yml.matchAll(/job_name: (\S+)/g)].map((m) => m[1]);
    expect(jobs).toEqual(
      expect.arrayContaining(['takt-broker', 'takt-ingestor', 'takt-trainer', 'takt-dashboard', 'takt-edge']),
    );
  });

  it('the Grafana dashboards use only the provisioned data sources, and annotate anomaly events', () => {
    const sources = readFileSync(join(root, 'deploy/grafana/provisioning/datasources/takt.yaml'), 'utf8');
    const uids = new Set([...sources.matchAll(/^\s+uid: (\S+)$/gm)].map((m) => m[1]));
    expect([...uids].sort()).toEqual(['takt-influxdb', 'takt-prometheus']);
    const dir = join(root, 'deploy/grafana/dashboards');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const used = new Set(
        [...text.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]).filter((u) => u !== JSON.parse(text).uid),
      );
      for (const u of used) expect(uids.has(u), `${file} references data source ${u}`).toBe(true);
      const dash = JSON.parse(text) as { annotations: { list: { query: string }[] }; panels: { title: string }[] };
      expect(
        dash.annotations.list.some((a) => a.query.includes('anomaly_events')),
        `${file} annotates anomaly events`,
      ).toBe(true);
      expect(dash.panels.map((p) => p.title).join('|')).toMatch(/Telemetry.*\|Anomaly score and threshold/);
    }
  });
});
