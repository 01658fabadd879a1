import { buildTopic, encode } from '@takt/contracts';

/** The points both paths carry: `devices` machines, `sensors` values each, one point per message. */
export interface Workload {
  topics: string[];
  payloads: Buffer[];
  /** the same points as line protocol, exactly what the ingestor writes */
  lines: string[];
  devices: string[];
}

export const SITE = 'bench';
export const LINE = 'line-1';

/**
 * `points` telemetry messages spread round-robin over `devices` devices, consecutive ms per device,
 * ending a minute before `endTs` (inside the raw retention).
 */
export function buildWorkload(points: number, deviceCount: number, sensors: number, endTs: number): Workload {
  const devices = Array.from({ length: deviceCount }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
  const perDevice = Math.ceil(points / deviceCount);
  const t0 = endTs - 60_000 - perDevice;
  const topics: string[] = [];
  const payloads: Buffer[] = [];
  const lines: string[] = [];
  for (let i = 0; i < points; i++) {
    const d = i % deviceCount;
    const device = devices[d] as string;
    const seq = Math.floor(i / deviceCount);
    const ts = t0 + seq;
    const values: Record<string, number> = {};
    for (let s = 0; s < sensors; s++) values[`s${s}`] = Math.round(Math.sin(i + s) * 1e4) / 100;
    topics.push(buildTopic({ site: SITE, line: LINE, device, channel: 'telemetry' }));
    payloads.push(encode('telemetry', { schemaVersion: 1, deviceId: device, ts, seq, intervalMs: 1000, values }));
    const fields = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(',');
    lines.push(`telemetry,device=${device},line=${LINE},site=${SITE} ${fields},seq=${seq}i,interval_ms=1000i ${ts}`);
  }
  return { topics, payloads, lines, devices };
}
