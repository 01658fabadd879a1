import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from './index.js';

describe('private influxd', () => {
  let influx: InfluxdServer;
  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(async () => {
    await influx?.close();
  });

  it('answers /ping on its own port, not 8086', async () => {
    expect(influx.port).not.toBe(8086);
    const res = await fetch(`${influx.url}/ping`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version')).toMatch(/^1\./);
  });

  it('writes and reads back a point, and keeps it across a restart', async () => {
    const q = (query: string) =>
      fetch(`${influx.url}/query?db=t&q=${encodeURIComponent(query)}`, { method: 'POST' }).then((r) => r.json());
    await q('CREATE DATABASE t');
    const w = await fetch(`${influx.url}/write?db=t&precision=ms`, {
      method: 'POST',
      body: 'm,device=d1 v=42 1767225600000',
    });
    expect(w.status).toBe(204);
    await influx.restart();
    const res = (await q('SELECT v FROM m')) as { results: { series?: { values: unknown[][] }[] }[] };
    expect(res.results[0]?.series?.[0]?.values).toEqual([['2026-01-01T00:00:00Z', 42]]);
  });
});
