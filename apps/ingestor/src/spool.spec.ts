import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '@takt/testing';
import { DiskSpool, SpoolError, type SpoolSegment } from './spool.js';

function segmentAt(spool: DiskSpool, i: number): SpoolSegment {
  const segment = spool.list()[i];
  if (!segment) throw new Error(`no segment ${i}`);
  return segment;
}

describe('DiskSpool', () => {
  const dirs: { remove: () => void }[] = [];
  const fresh = () => {
    const d = tempDir('takt-spool-');
    dirs.push(d);
    return d.path;
  };
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  it('keeps segments across a reopen, oldest first, with points that contain newlines', async () => {
    const dir = fresh();
    const spool = await DiskSpool.open(dir);
    await Promise.all([spool.append(['a v=1 1', 'a v=2 2']), spool.append(['labels c="x\ny" 3'])]);
    expect(spool.points).toBe(3);
    const again = await DiskSpool.open(dir);
    expect(again.list().map((s) => s.points)).toEqual([2, 1]);
    expect(await again.read(segmentAt(again, 1))).toEqual(['labels c="x\ny" 3']);
    await again.remove(segmentAt(again, 0));
    expect((await DiskSpool.open(dir)).points).toBe(1);
  });

  it('drops a half-written temp file left by a crash and numbers new segments after the old ones', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '000000000007-2.seg'), JSON.stringify(['a v=1 1', 'a v=2 2']));
    writeFileSync(join(dir, '000000000008-5.seg.tmp'), '["a v=1');
    const spool = await DiskSpool.open(dir);
    const seg = await spool.append(['b v=1 1']);
    expect(seg.id).toBe(8);
    expect(readdirSync(dir).sort()).toEqual(['000000000007-2.seg', '000000000008-1.seg']);
  });

  it('BAD INPUT - a corrupt segment reads as SpoolError SPOOL_CORRUPT', async () => {
    const dir = fresh();
    writeFileSync(join(dir, '000000000001-1.seg'), '{"not":"an array"}');
    const spool = await DiskSpool.open(dir);
    await expect(spool.read(segmentAt(spool, 0))).rejects.toBeInstanceOf(SpoolError);
    await expect(spool.read(segmentAt(spool, 0))).rejects.toMatchObject({ code: 'SPOOL_CORRUPT' });
  });
});
