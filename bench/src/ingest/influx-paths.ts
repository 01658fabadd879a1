import { InfluxDB, type IPoint } from 'influx';

/** POSTs `lines` to `/write` in `batch`-point bodies, `concurrency` requests in flight; returns points/s. */
export async function rawHttpWrite(
  url: string,
  db: string,
  lines: readonly string[],
  batch: number,
  concurrency: number,
): Promise<number> {
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += batch) bodies.push(lines.slice(i, i + batch).join('\n'));
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] as string;
      const res = await fetch(`${url}/write?db=${db}&rp=raw&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`raw write answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return lines.length / ((performance.now() - t0) / 1000);
}

/** Parses our own line format back into `influx` npm points (outside the timed part). */
export function toPoints(lines: readonly string[]): IPoint[] {
  return lines.map((l) => {
    const [head = '', fieldText = '', ts = '0'] = l.split(' ');
    const [measurement, ...tagParts] = head.split(',');
    const tags = Object.fromEntries(tagParts.map((t) => t.split('=') as [string, string]));
    const fields = Object.fromEntries(
      fieldText.split(',').map((f) => {
        const [k = '', v = ''] = f.split('=');
        return [k, v.endsWith('i') ? Number(v.slice(0, -1)) : Number(v)];
      }),
    );
    return { measurement, tags, fields, timestamp: Number(ts) };
  });
}

/** The same points through the `influx` npm client's `writePoints`, same batching; returns points/s. */
export async function influxClientWrite(
  url: string,
  db: string,
  points: IPoint[],
  batch: number,
  concurrency: number,
): Promise<number> {
  const u = new URL(url);
  const client = new InfluxDB({ host: u.hostname, port: Number(u.port), database: db });
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < points.length) {
      const chunk = points.slice(next, (next += batch));
      await client.writePoints(chunk, { precision: 'ms', retentionPolicy: 'raw' });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return points.length / ((performance.now() - t0) / 1000);
}

/** `SELECT count(seq)` of the raw telemetry in `db`. */
export async function countPoints(url: string, db: string): Promise<number> {
  const q = encodeURIComponent('SELECT count("seq") FROM "raw"."telemetry"');
  const res = (await (await fetch(`${url}/query?db=${db}&q=${q}`)).json()) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}

/** Creates `db` with the store's default RP `raw` (what `TelemetryStore.connect` makes). */
export async function createDatabase(url: string, db: string): Promise<void> {
  const query = async (q: string) => {
    const res = await fetch(`${url}/query?q=${encodeURIComponent(q)}`, { method: 'POST' });
    const text = await res.text();
    if (!res.ok || text.includes('"error"')) throw new Error(`${q}: ${res.status} ${text.slice(0, 200)}`);
    return text;
  };
  await query(`CREATE DATABASE "${db}"`);
  // a loaded influxd has answered the CREATE RETENTION POLICY without keeping it (the next write got
  // "retention policy not found"), so it is created until SHOW lists it (creating it again is a no-op)
  for (let tries = 0; ; tries++) {
    await query(`CREATE RETENTION POLICY "raw" ON "${db}" DURATION 7d REPLICATION 1 DEFAULT`);
    const policies = await query(`SHOW RETENTION POLICIES ON "${db}"`);
    if (policies.includes('"raw"')) return;
    if (tries >= 20) throw new Error(`retention policy raw on ${db} did not appear: ${policies.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
