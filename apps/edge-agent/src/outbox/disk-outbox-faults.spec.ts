import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTopic, type Channel } from '@takt/contracts';
import { tempDir } from '@takt/testing';
import { FaultyFs } from '../testing/faulty-fs.js';
import { DiskOutbox } from './disk-outbox.js';

const draft = (channel: Channel = 'anomaly') => ({
  topic: buildTopic({ site: 'plant-1', line: 'line-1', device: 'press-01', channel }),
  deviceId: 'press-01',
  channel,
  payload: (seq: number) => Buffer.from(JSON.stringify({ seq, pad: 'x'.repeat(80) })),
});

/** The disk refuses writes in every way a plant-floor box's disk does; no entry, and no seq, is lost. */
describe('DiskOutbox on a failing disk', () => {
  const dirs: { path: string; remove: () => void }[] = [];
  const dir = () => {
    const d = tempDir('takt-outbox-faults-');
    dirs.push(d);
    return d.path;
  };
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  /** Appends `n` anomaly entries one after another; returns their seqs. */
  const appendSome = async (o: DiskOutbox, n: number) => {
    const seqs: number[] = [];
    for (let i = 0; i < n; i++) seqs.push((await o.append(draft())).seq);
    return seqs;
  };
  const reopenedSeqs = async (path: string) => {
    const o = await DiskOutbox.open({ dir: path });
    const seqs = o.pending(0, 1_000).map((e) => e.seq);
    await o.close();
    return seqs;
  };

  it('BAD DISK - a write that fails with ENOSPC halfway leaves no torn bytes that swallow the records after it', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs });
    await appendSome(o, 3);
    fs.writevFailures = 1;
    await appendSome(o, 1);
    await appendSome(o, 3);
    await o.close();
    expect(await reopenedSeqs(path)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('BAD DISK - a short write without an error is a failed write too', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs });
    await appendSome(o, 2);
    fs.shortWrites = 1;
    await appendSome(o, 3);
    await o.close();
    expect(await reopenedSeqs(path)).toEqual([0, 1, 2, 3, 4]);
  });

  it('BAD DISK - a refused write spends no seq: the entry stays queued in memory, is reported, and is written once the disk takes writes again', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs });
    const errors: { code?: string }[] = [];
    o.on('error', (e) => errors.push(e as { code?: string }));
    await appendSome(o, 2);
    fs.writevFailures = 2;
    const during = await appendSome(o, 2); // both refused by the disk
    expect(during).toEqual([2, 3]);
    expect(o.pending(0, 100).map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(o.stats()).toMatchObject({ depth: 4, volatile: 2, writeErrors: 2 });
    expect(errors.map((e) => e.code)).toEqual(['OUTBOX_WRITE_FAILED', 'OUTBOX_WRITE_FAILED']);
    await appendSome(o, 1); // the disk has room again
    await o.close();
    expect(o.stats().volatile).toBe(0);
    expect(await reopenedSeqs(path)).toEqual([0, 1, 2, 3, 4]);
  });

  it('BAD DISK - a failed fsync is a failed write: the batch is cut off and written again later', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs });
    await appendSome(o, 2);
    fs.datasyncFailures = 1;
    await appendSome(o, 2); // the first one's fsync fails; the second one's write takes it along
    expect(o.stats().writeErrors).toBe(1);
    await o.close();
    expect(await reopenedSeqs(path)).toEqual([0, 1, 2, 3]);
  });

  it('BAD DISK - when the torn tail cannot be cut off, the log continues in a new segment file', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs });
    await appendSome(o, 2);
    fs.writevFailures = 1;
    fs.truncateFailures = 1;
    await appendSome(o, 3);
    await o.close();
    expect(readdirSync(path).filter((f) => f.startsWith('seg-'))).toHaveLength(2);
    expect(await reopenedSeqs(path)).toEqual([0, 1, 2, 3, 4]);
  });

  it('acknowledgements of entries held in memory survive their late write', async () => {
    const path = dir();
    const fs = new FaultyFs();
    const o = await DiskOutbox.open({ dir: path, fs, segmentBytes: 1024 });
    fs.writevFailures = 1;
    const [held] = await Promise.all([o.append(draft()), o.append(draft())]);
    o.ack(held.id);
    await appendSome(o, 1);
    await o.close();
    expect(await reopenedSeqs(path)).toEqual([1, 2]);
  });

  it('BAD DISK - a record corrupted in the middle of a segment loses that record only, not every one after it', async () => {
    const path = dir();
    const o = await DiskOutbox.open({ dir: path });
    await appendSome(o, 5);
    await o.close();
    const file = join(path, readdirSync(path).filter((f) => f.startsWith('seg-'))[0] as string);
    const buf = readFileSync(file);
    let off = 0;
    for (let i = 0; i < 2; i++) off += 8 + buf.readUInt32LE(off); // the third record starts here
    buf[off + 8 + 20] ^= 0x10; // a bit flips inside its body
    writeFileSync(file, buf);
    expect(await reopenedSeqs(path)).toEqual([0, 1, 3, 4]);
    const again = await DiskOutbox.open({ dir: path });
    expect((await again.append(draft())).seq).toBe(5);
    await again.close();
    expect(await reopenedSeqs(path)).toEqual([0, 1, 3, 4, 5]);
  });
});
