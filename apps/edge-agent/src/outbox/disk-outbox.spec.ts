import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTopic, type Channel } from '@takt/contracts';
import { tempDir, workspaceRoot } from '@takt/testing';
import { DiskOutbox } from './disk-outbox.js';

const draft = (channel: Channel = 'features', size = 50) => ({
  topic: buildTopic({ site: 'plant-1', line: 'line-1', device: 'press-01', channel }),
  deviceId: 'press-01',
  channel,
  payload: (seq: number) => Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(size) })),
});

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.startsWith('seg-'))
    .sort();

describe('DiskOutbox', () => {
  const dirs: { path: string; remove: () => void }[] = [];
  const dir = () => {
    const d = tempDir('takt-disk-outbox-');
    dirs.push(d);
    return d.path;
  };
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  it('keeps pending entries, acknowledgements and seq counters across a reopen', async () => {
    const path = dir();
    const a = await DiskOutbox.open({ dir: path });
    const written = [];
    for (let i = 0; i < 5; i++) written.push(await a.append(draft()));
    a.ack(written[0].id);
    a.ack(written[3].id);
    await a.close();
    const b = await DiskOutbox.open({ dir: path });
    expect(b.pending(0, 100).map((e) => e.seq)).toEqual([1, 2, 4]);
    expect(Buffer.from(b.pending(0, 1)[0].payload).toString()).toBe(Buffer.from(written[1].payload).toString());
    expect((await b.append(draft())).seq).toBe(5);
    await b.close();
  });

  it('keeps pending evidence across a reopen, within its cap: the restored bytes count against it', async () => {
    const path = dir();
    const one = Buffer.byteLength(draft('evidence').topic) + draft('evidence').payload(0).length;
    const a = await DiskOutbox.open({ dir: path, evidenceMaxBytes: one * 2 });
    await a.append(draft('evidence'));
    await a.append(draft('evidence'));
    await a.close();
    const b = await DiskOutbox.open({ dir: path, evidenceMaxBytes: one * 2 });
    expect(b.stats()).toMatchObject({ depth: 2, evidenceBytes: one * 2 });
    await b.append(draft('evidence')); // the oldest (from before the restart) makes room
    expect(b.pending(0, 10).map((e) => e.seq)).toEqual([1, 2]);
    expect(b.stats().shedByChannel).toEqual({ evidence: 1 });
    await b.close();
  });

  it('drops a torn last record (power loss mid-append) and appends after it', async () => {
    const path = dir();
    const a = await DiskOutbox.open({ dir: path });
    for (let i = 0; i < 3; i++) await a.append(draft());
    await a.close();
    const file = join(path, segments(path)[0]);
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9])); // header says 200 bytes, 3 arrived
    const b = await DiskOutbox.open({ dir: path });
    expect(statSync(file).size).toBe(whole);
    expect(b.pending(0, 100).map((e) => e.seq)).toEqual([0, 1, 2]);
    await b.append(draft());
    await b.close();
    const c = await DiskOutbox.open({ dir: path });
    expect(c.pending(0, 100).map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    await c.close();
  });

  it('drops a last record whose CRC does not match (bit flip)', async () => {
    const path = dir();
    const a = await DiskOutbox.open({ dir: path });
    for (let i = 0; i < 3; i++) await a.append(draft());
    await a.close();
    const file = join(path, segments(path)[0]);
    const buf = readFileSync(file);
    buf[buf.length - 5] ^= 0x40;
    writeFileSync(file, buf);
    const b = await DiskOutbox.open({ dir: path });
    expect(b.pending(0, 100).map((e) => e.seq)).toEqual([0, 1]);
    expect((await b.append(draft())).seq).toBe(2); // the lost record's seq was never published: it may be reissued
    await b.close();
  });

  it('rolls segments and deletes acknowledged ones oldest first; seqs continue after the files are gone', async () => {
    const path = dir();
    const a = await DiskOutbox.open({ dir: path, segmentBytes: 2048 });
    const got = [];
    for (let i = 0; i < 60; i++) got.push(await a.append(draft('telemetry', 100)));
    const before = segments(path).length;
    expect(before).toBeGreaterThan(4);
    for (const e of got.slice(0, 55)) a.ack(e.id);
    await a.append(draft('telemetry', 100)); // a flush runs maintenance
    await a.close(); // waits for the flush, maintenance included
    expect(segments(path).length).toBeLessThanOrEqual(3);
    expect(segments(path)[0]).not.toBe('seg-0000000001.log');
    const b = await DiskOutbox.open({ dir: path, segmentBytes: 2048 });
    expect(b.pending(0, 100).map((e) => e.seq)).toEqual([55, 56, 57, 58, 59, 60]);
    expect((await b.append(draft('telemetry'))).seq).toBe(61);
    await b.close();
  });

  it('survives SIGKILL: every durable entry is there, no seq is issued twice', async () => {
    const path = dir();
    const script = join(workspaceRoot(), 'apps/edge-agent/src/testing/outbox-crash-writer.ts');
    const child = spawn(process.execPath, ['--conditions=@takt/source', '--import', 'tsx', script, path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if ((out.match(/durable/g) ?? []).length >= 300) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGKILL');
    await exited;
    const durable = [...out.matchAll(/durable (\d+) (\d+)\n/g)].map((m) => ({ id: Number(m[1]), seq: Number(m[2]) }));
    const b = await DiskOutbox.open({ dir: path, segmentBytes: 64 * 1024 });
    const pending = new Map(b.pending(0, 1_000_000).map((e) => [e.id, e.seq]));
    for (const d of durable) if (d.id % 3 !== 0) expect(pending.get(d.id)).toBe(d.seq); // unacknowledged: all there
    const seqs = [...pending.values()];
    expect(new Set(seqs).size).toBe(seqs.length);
    const next = await b.append(draft('anomaly'));
    expect(next.seq).toBeGreaterThan(Math.max(...durable.map((d) => d.seq)));
    await b.close();
  }, 30_000);
});
