import { afterAll, describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../outbox/memory-outbox.js';
import { EdgeMetrics } from './edge-metrics.js';

describe('edge agent metrics (prom-client)', () => {
  const metrics = new EdgeMetrics({ version: '9.9.9', outbox: new MemoryOutbox() });
  afterAll(() => metrics.close());

  it('serves conventional names on GET /metrics: process_*, build info, _total counters, fieldbus intake per device', async () => {
    const port = await metrics.listen('127.0.0.1', 0);
    metrics.raw({
      schemaVersion: 1,
      deviceId: 'pump-1',
      ts: 1_767_225_600_000,
      seq: 0,
      t0: 1_767_225_600_000,
      sensors: { temperature: { rate: 10, values: [1, 2, 3] }, current: { rate: 10, values: [4, 5, 6] } },
    });
    metrics.latency('opcua', 120);
    metrics.intake('pump-u', {
      protocol: 'opcua',
      endpoint: 'opc.tcp://x:4840',
      connected: true,
      badValues: 2,
      gaps: 0,
    });
    metrics.intake('pump-u', {
      protocol: 'opcua',
      endpoint: 'opc.tcp://x:4840',
      connected: false,
      badValues: 5,
      gaps: 1,
    });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toContain('takt_edge_build_info{version="9.9.9"} 1');
    expect(text).toContain('takt_edge_raw_batches_total 1');
    expect(text).toContain('takt_edge_samples_total 6');
    expect(text).toContain('takt_edge_intake_connected{device="pump-u",protocol="opcua"} 0');
    expect(text).toContain('takt_edge_intake_bad_values_total{device="pump-u",protocol="opcua"} 5');
    expect(text).toContain('takt_edge_intake_gaps_total{device="pump-u",protocol="opcua"} 1');
    expect(text).toContain('takt_edge_outbox_depth 0');
    expect(text).toContain('takt_edge_intake_latency_seconds{quantile="0.5",protocol="opcua"} 0.12');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('counts evidence per device, reason and outcome, and the bytes of evidence in the outbox', async () => {
    const port = await metrics.listen('127.0.0.1', 0);
    metrics.evidence('cam-1', 'uncertain', 'queued');
    metrics.evidence('cam-1', 'uncertain', 'shed');
    metrics.evidence('cam-1', 'uncertain', 'shed');
    metrics.evidence('pump-1', 'anomaly', 'rateLimited');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('takt_edge_evidence_total{device="cam-1",reason="uncertain",outcome="queued"} 1');
    expect(text).toContain('takt_edge_evidence_total{device="cam-1",reason="uncertain",outcome="shed"} 2');
    expect(text).toContain('takt_edge_evidence_total{device="pump-1",reason="anomaly",outcome="rate_limited"} 1');
    expect(text).toContain('takt_edge_outbox_evidence_bytes 0');
  });
});
