import { buildTopic, encode } from '@takt/contracts';

/** The points both paths carry: `devices` machines, `sensors` values each, `perMessage` points per message. */
export interface Workload {
  topics: string[];
  payloads: Buffer[];
  /** the same points as line protocol, exactly what the ingestor writes */
  lines: string[];
  devices: string[];
  /** telemetry intervals per MQTT message (1: one point per message; more: `earlier` rows) */
  perMessage: number;
}

export const SITE = 'bench';
export const LINE = 'line-1';

/**
 * `points` telemetry points spread round-robin over `devices` devices, consecutive ms per device,
 * ending a minute before `endTs` (inside the raw retention). With `perMessage` > 1 each device's
 * consecutive points travel `perMessage` to a message (the edge's `telemetryBatch`): the latest in
 * `values`, the others in `earlier`, all under the message's seq.
 */
export function buildWorkload(
  points: number,
  deviceCount: number,
  sensors: number,
  endTs: number,
  perMessage = 1,
): Workload {
  const devices = Array.from({ length: deviceCount }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
  const perDevice = Math.ceil(points / deviceCount);
  const t0 = endTs - 60_000 - perDevice;
  const rows: { ts: number; values: Record<string, number> }[][] = devices.map(() => []);
  for (let i = 0; i < points; i++) {
    const values: Record<string, number> = {};
    for (let s = 0; s < sensors; s++) values[`s${s}`] = Math.round(Math.sin(i + s) * 1e4) / 100;
    (rows[i % deviceCount] as { ts: number; values: Record<string, number> }[]).push({
      ts: t0 + Math.floor(i / deviceCount),
      values,
    });
  }
  const w: Workload = { topics: [], payloads: [], lines: [], devices, perMessage };
  // messages interleave devices, as many edge agents publishing at once would
  const messagesPerDevice = Math.ceil(perDevice / perMessage);
  for (let seq = 0; seq < messagesPerDevice; seq++) {
    devices.forEach((device, d) => {
      const chunk = (rows[d] as { ts: number; values: Record<string, number> }[]).slice(
        seq * perMessage,
        (seq + 1) * perMessage,
      );
      if (chunk.length === 0) return;
      const latest = chunk[chunk.length - 1] as { ts: number; values: Record<string, number> };
      const earlier = chunk.slice(0, -1);
      w.topics.push(buildTopic({ site: SITE, line: LINE, device, channel: 'telemetry' }));
      w.payloads.push(
        encode('telemetry', {
          schemaVersion: 1,
          deviceId: device,
          ts: latest.ts,
          seq,
          intervalMs: 1000,
          values: latest.values,
          ...(earlier.length > 0 ? { earlier } : {}),
        }),
      );
      for (const r of chunk) {
        const fields = Object.entries(r.values)
          .map(([k, v]) => `${k}=${v}`)
          .join(',');
        w.lines.push(
          `telemetry,device=${device},line=${LINE},site=${SITE} ${fields},seq=${seq}i,interval_ms=1000i ${r.ts}`,
        );
      }
    });
  }
  return w;
}
