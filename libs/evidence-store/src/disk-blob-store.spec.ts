import { createHash } from 'node:crypto';
import { readdirSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { tempDir } from '@takt/testing';
import { DiskBlobStore, frameBlob, pngSize, windowBlob } from './index.js';

const dir = tempDir('takt-evidence-store-');
afterAll(() => dir.remove());

let n = 0;
const fresh = () => new DiskBlobStore({ dir: join(dir.path, `store-${n++}`) });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const filesUnder = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));

describe('DiskBlobStore', () => {
  it('stores bytes under their SHA-256 as dir/sha256/ab/cdef… and reads them back', async () => {
    const store = fresh();
    const bytes = Buffer.from('a frame, say');
    const address = await store.put(bytes);
    expect(address).toEqual({ sha256: sha(bytes), bytes: bytes.length });
    expect(store.pathOf(address.sha256)).toBe(
      join(store.dir, 'sha256', address.sha256.slice(0, 2), address.sha256.slice(2)),
    );
    expect(filesUnder(store.dir)).toEqual([store.pathOf(address.sha256)]);
    expect(Buffer.from((await store.get(address.sha256)) as Uint8Array).toString()).toBe('a frame, say');
    expect(await store.has(address.sha256)).toBe(true);
    expect(await store.get(sha(Buffer.from('never stored')))).toBeUndefined();
    expect(await store.has(sha(Buffer.from('never stored')))).toBe(false);
  });

  it('is idempotent: the same bytes put twice (and 20 times at once) leave one file, no temp files, and refresh its mtime', async () => {
    const store = fresh();
    const bytes = Buffer.from('same bytes');
    const first = await store.put(bytes);
    const file = store.pathOf(first.sha256);
    const old = new Date(Date.now() - 86_400_000);
    utimesSync(file, old, old);
    expect(await store.put(bytes)).toEqual(first);
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    const other = fresh();
    const all = await Promise.all(Array.from({ length: 20 }, () => other.put(bytes)));
    expect(new Set(all.map((a) => a.sha256))).toEqual(new Set([first.sha256]));
    expect(filesUnder(other.dir)).toEqual([other.pathOf(first.sha256)]);
  });

  it('atomic: a temp file a crash left behind is never served, and sweep removes it', async () => {
    const store = fresh();
    const bytes = Buffer.from('whole blob');
    const h = sha(bytes);
    mkdirSync(join(store.dir, 'sha256', h.slice(0, 2)), { recursive: true });
    const tmp = `${store.pathOf(h)}.abc123.tmp`;
    writeFileSync(tmp, 'whole'); // half a blob: the process died before the rename
    expect(await store.has(h)).toBe(false);
    expect(await store.get(h)).toBeUndefined();
    await store.put(bytes);
    expect(Buffer.from((await store.get(h)) as Uint8Array).toString()).toBe('whole blob');
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(tmp, old, old);
    expect(await store.sweep(Date.now() - 60_000)).toBe(0); // temp files are not counted as blobs
    expect(filesUnder(store.dir)).toEqual([store.pathOf(h)]);
  });

  it('sweep deletes blobs written before `before` and counts them; newer ones stay', async () => {
    const store = fresh();
    const now = Date.now();
    const old = await Promise.all(['a', 'b', 'c'].map((s) => store.put(Buffer.from(`old ${s}`))));
    const young = await store.put(Buffer.from('young'));
    for (const a of old)
      utimesSync(store.pathOf(a.sha256), new Date(now - 31 * 86_400_000), new Date(now - 31 * 86_400_000));
    expect(await store.sweep(now - 30 * 86_400_000)).toBe(3);
    for (const a of old) expect(await store.get(a.sha256)).toBeUndefined();
    expect(await store.has(young.sha256)).toBe(true);
    expect(await store.sweep(now - 30 * 86_400_000)).toBe(0);
    expect(await fresh().sweep(now)).toBe(0); // nothing stored yet: no folder, no error
  });

  it('delete removes one blob and says whether it was there', async () => {
    const store = fresh();
    const a = await store.put(Buffer.from('x'));
    expect(await store.delete(a.sha256)).toBe(true);
    expect(await store.delete(a.sha256)).toBe(false);
    expect(await store.has(a.sha256)).toBe(false);
  });

  it.each([
    ['a path', '../../../etc/passwd'],
    ['upper case', 'A'.repeat(64)],
    ['too short', 'ab'],
    ['a separator inside', `${'a'.repeat(30)}/..${'b'.repeat(32)}`],
    ['empty', ''],
  ])('BAD HASH - %s is refused by get, has and delete with BAD_HASH', async (_what, bad) => {
    const store = fresh();
    for (const call of [store.get(bad), store.has(bad), store.delete(bad)]) {
      await expect(call).rejects.toMatchObject({
        name: 'EvidenceStoreError',
        code: 'BAD_HASH',
        message: expect.stringContaining('is not a SHA-256'),
      });
    }
  });

  it('BAD BLOB - a file altered on disk is refused as CORRUPT_BLOB, not served', async () => {
    const store = fresh();
    const a = await store.put(Buffer.from('original'));
    writeFileSync(store.pathOf(a.sha256), 'tampered');
    await expect(store.get(a.sha256)).rejects.toMatchObject({ code: 'CORRUPT_BLOB' });
  });
});

describe('blob content', () => {
  it('a gray8 frame becomes a grayscale PNG of the same pixels; a png frame is kept as sent', () => {
    const pixels = Uint8Array.from([0, 64, 128, 255, 1, 2]);
    const png = frameBlob({ width: 3, height: 2, encoding: 'gray8', data: Buffer.from(pixels).toString('base64') });
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    expect(Array.from({ length: 6 }, (_, i) => decoded.data[4 * i])).toEqual(Array.from(pixels));
    expect(pngSize(png)).toEqual({ width: 3, height: 2 });
    expect(frameBlob({ width: 3, height: 2, encoding: 'png', data: png.toString('base64') }).equals(png)).toBe(true);
  });

  it('BAD IMAGE - a png frame that is not a PNG, is truncated, or disagrees with its width/height', () => {
    const png = frameBlob({
      width: 2,
      height: 2,
      encoding: 'gray8',
      data: Buffer.from([1, 2, 3, 4]).toString('base64'),
    });
    expect(() =>
      frameBlob({ width: 2, height: 2, encoding: 'png', data: Buffer.from('GIF89a....').toString('base64') }),
    ).toThrow(expect.objectContaining({ code: 'BAD_IMAGE', message: expect.stringContaining('signature') }));
    expect(() =>
      frameBlob({ width: 2, height: 2, encoding: 'png', data: png.subarray(0, 20).toString('base64') }),
    ).toThrow(expect.objectContaining({ code: 'BAD_IMAGE', message: expect.stringContaining('does not decode') }));
    expect(() => frameBlob({ width: 4, height: 1, encoding: 'png', data: png.toString('base64') })).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE', message: expect.stringContaining('2×2') }),
    );
  });

  it('HOSTILE - a PNG whose header declares 60000×60000 pixels is refused before it is decoded (a decompression bomb)', () => {
    const bomb = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bomb, 0);
    bomb.writeUInt32BE(13, 8);
    bomb.write('IHDR', 12, 'latin1');
    bomb.writeUInt32BE(60_000, 16);
    bomb.writeUInt32BE(60_000, 20);
    expect(() => pngSize(bomb)).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE', message: expect.stringContaining('60000×60000') }),
    );
    expect(() => frameBlob({ width: 2, height: 2, encoding: 'png', data: bomb.toString('base64') })).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE', message: expect.stringContaining('not decoded') }),
    );
  });

  it('a window is the UTF-8 JSON of {t0, sensors}', () => {
    const sensors = { vibration: { rate: 1000, unit: 'g', values: [0.1, -0.2] } };
    expect(JSON.parse(windowBlob({ t0: 5, sensors }).toString('utf8'))).toEqual({ t0: 5, sensors });
  });
});
