import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTopic, decodePublish, encode, FAULT_KINDS } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { DiskBlobStore, encodeGrayPng } from '@takt/evidence-store';
import { generateSigningKey } from '@takt/model-registry';
import { createLogger } from '@takt/runtime';
import { TelemetryStore } from '@takt/telemetry-store';
import { startInfluxd, startTestBroker, tempDir, type InfluxdServer, type TestBroker } from '@takt/testing';
import { runCli } from '../cli/run.js';
import { trainerServiceConfigSchema, type TrainerServiceConfigInput } from './config.js';
import { EvidenceSweeper } from './evidence-retention.js';
import { startTrainerService, type TrainerService } from './service.js';

const READER = 'reader-token-0123456789';
const OPERATOR = 'operator-token-0123456789';
const dir = tempDir('takt-trainer-evidence-');
const blobDir = join(dir.path, 'evidence');
const logger = createLogger('evidence-test');

let influx: InfluxdServer;
let broker: TestBroker;
let store: TelemetryStore;
/** open vocabulary, 4 KiB image limit */
let open: TrainerService;
/** closed vocabulary: visionClasses good, crack */
let closed: TrainerService;

async function start(name: string, evidence: TrainerServiceConfigInput['evidence']): Promise<TrainerService> {
  const key = generateSigningKey(`ev-${name}`);
  const keyFile = join(dir.path, `${name}.pem`);
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 });
  const config: TrainerServiceConfigInput = {
    host: '127.0.0.1',
    port: 0,
    registryDir: join(dir.path, `registry-${name}`),
    signingKey: { keyId: key.keyId, privateKeyFile: keyFile },
    tokens: [
      { token: READER, role: 'reader' },
      { token: OPERATOR, role: 'operator' },
    ],
    influx: { url: influx.url, database: `takt_ev_${name}` },
    mqtt: { url: broker.url, username: 'service', password: 'service-secret' },
    evidence,
  };
  return startTrainerService(trainerServiceConfigSchema.parse(config), logger);
}

const api = async (svc: TrainerService, path: string, init: { token?: string | null; body?: unknown } = {}) => {
  const token = init.token === undefined ? OPERATOR : init.token;
  const res = await fetch(`${svc.url}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, bytes, type: res.headers.get('content-type') };
};

/** A folder like `takt-sim dataset` writes: PNGs (one in a subfolder) and labels.csv (`file,label`). */
function dataset(name: string, labels: string[], extraRows: string[] = []): { images: string; labels: string } {
  const images = join(dir.path, name);
  mkdirSync(join(images, 'sub'), { recursive: true });
  const rows = labels.map((label, i) => {
    const file = i === 0 ? 'sub/img-00000.png' : `img-${String(i).padStart(5, '0')}.png`;
    writeFileSync(
      join(images, file),
      encodeGrayPng(
        8,
        8,
        Uint8Array.from({ length: 64 }, (_, p) => (p * 7 + i * 13) % 256),
      ),
    );
    return `${file},${label}`;
  });
  const labelsFile = join(images, 'labels.csv');
  writeFileSync(labelsFile, ['file,label', ...rows, ...extraRows].join('\n') + '\n');
  return { images, labels: labelsFile };
}

/** Runs the CLI in-process; returns its exit code and what it wrote to stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    return { code: await runCli(args), out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

const count = async (svc: TrainerService, device: string) =>
  (await api(svc, `/api/evidence?device=${device}&limit=1000`, { token: READER })).body.items.length as number;
const blobFiles = () =>
  (readdirSync(blobDir, { recursive: true }) as string[]).filter((f) => /[0-9a-f]{62}$/.test(f)).length;

beforeAll(async () => {
  [influx, broker] = await Promise.all([startInfluxd(), startTestBroker()]);
  [open, closed] = await Promise.all([
    start('open', { dir: blobDir, maxBlobBytes: 4096 }),
    start('closed', { dir: blobDir, visionClasses: ['good', 'crack'], faultClasses: ['belt-slip'] }),
  ]);
  store = await TelemetryStore.connect({ url: influx.url, database: 'takt_ev_open', ensureSchema: false });
}, 90_000);

afterAll(async () => {
  await Promise.all([open?.close(), closed?.close()]);
  await store?.close();
  await Promise.all([broker?.close(), influx?.close()]);
  dir.remove();
});

describe('evidence API', () => {
  it('needs a reader token to read and an operator token to upload', async () => {
    expect((await api(open, '/api/evidence', { token: null })).status).toBe(401);
    expect((await api(open, '/api/labels', { token: null })).status).toBe(401);
    expect((await api(open, '/api/evidence/x/blob', { token: null })).status).toBe(401);
    const upload = await api(open, '/api/evidence/upload', { token: READER, body: { images: [] } });
    expect(upload.status).toBe(403);
  });

  it('takt-trainer evidence upload: a labelled folder in batches, progress on stderr; each image becomes labelled frame evidence with its PNG as blob', async () => {
    const labels = ['good', 'crack', 'good', 'scratch', 'crack', 'good'];
    const set = dataset('tiles', labels);
    const r = await cli([
      'evidence',
      'upload',
      '--images',
      set.images,
      '--labels',
      set.labels,
      '--set',
      'tiles',
      '--by',
      'alice',
      '--batch-mib',
      '0.001',
      '--url',
      open.url,
      '--token',
      OPERATOR,
    ]);
    expect(r).toMatchObject({ code: 0, out: `6 images stored as evidence (set tiles) at ${open.url}` });
    expect(r.err.match(/images sent \(batch \d+\/\d+\)/g)?.length).toBeGreaterThan(1); // small batches: several requests
    expect(r.err).toContain('6/6 images sent');
    const list = await api(open, '/api/evidence?device=tiles', { token: READER });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(6);
    const first = list.body.items.find((i: { file: string }) => i.file === 'sub/img-00000.png');
    expect(first).toMatchObject({
      deviceId: 'tiles',
      kind: 'frame',
      reason: 'upload',
      frame: { width: 8, height: 8 },
      label: { label: 'good', by: 'alice', source: 'upload' },
    });
    expect(first.site).toBeUndefined();
    const blob = await api(open, `/api/evidence/${first.evidenceId}/blob`, { token: READER });
    expect(blob).toMatchObject({ status: 200, type: 'image/png' });
    expect(blob.bytes.equals(readFileSync(join(set.images, 'sub/img-00000.png')))).toBe(true);
    // uploading the same folder again stores nothing twice
    expect(
      (
        await cli([
          'evidence',
          'upload',
          '--images',
          set.images,
          '--labels',
          set.labels,
          '--set',
          'tiles',
          '--url',
          open.url,
          '--token',
          OPERATOR,
        ])
      ).code,
    ).toBe(0);
    expect(await count(open, 'tiles')).toBe(6);
    const vocab = await api(open, '/api/labels', { token: READER });
    expect(vocab.body).toEqual({ vision: ['crack', 'good', 'scratch'], fault: [...FAULT_KINDS, 'normal'].sort() });
  });

  it('BAD INPUT - labels.csv naming missing files: exit 2 with the list, nothing sent', async () => {
    const set = dataset('holes', ['good', 'crack'], ['gone-1.png,good', 'sub/gone-2.png,crack']);
    const before = await count(open, 'holes');
    const r = await cli([
      'evidence',
      'upload',
      '--images',
      set.images,
      '--labels',
      set.labels,
      '--set',
      'holes',
      '--url',
      open.url,
      '--token',
      OPERATOR,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /MISSING_IMAGE\]?: 2 file\(s\) named in .* are not in .*; nothing was sent: gone-1\.png \(line 4\), sub\/gone-2\.png \(line 5\)/,
    );
    expect(await count(open, 'holes')).toBe(before);
    expect(before).toBe(0);
  });

  it('BAD INPUT - a non-PNG, an image over maxBlobBytes, a bad file name or label: 400 naming the item, nothing stored', async () => {
    const png = encodeGrayPng(4, 4, new Uint8Array(16)).toString('base64');
    let seed = 1;
    const noise = Uint8Array.from({ length: 128 * 128 }, () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) >>> 24);
    const big = encodeGrayPng(128, 128, noise).toString('base64'); // noise does not compress: ~16 KiB
    const cases: [string, { file: string; label: string; png: string }, RegExp][] = [
      [
        'not a PNG',
        { file: 'b.png', label: 'good', png: Buffer.from('GIF89a not a png').toString('base64') },
        /body\.images\.1 \(file "b\.png"\): not a usable PNG: not a PNG file/,
      ],
      [
        'a truncated PNG',
        { file: 'b.png', label: 'good', png: Buffer.from(png, 'base64').subarray(0, 30).toString('base64') },
        /images\.1 .*does not decode/,
      ],
      [
        'too big',
        { file: 'big.png', label: 'good', png: big },
        /images\.1 \(file "big\.png"\): the image has \d+ bytes; at most 4096/,
      ],
      [
        'a path out of the set',
        { file: '../etc/x.png', label: 'good', png },
        /images\.1 .*the file name must be a relative path/,
      ],
      ['an absolute path', { file: '/x.png', label: 'good', png }, /the file name must be/],
      [
        'a bad label',
        { file: 'c.png', label: 'no spaces allowed', png },
        /images\.1 .*label "no spaces allowed" must match/,
      ],
    ];
    const filesBefore = blobFiles();
    for (const [what, bad, message] of cases) {
      const res = await api(open, '/api/evidence/upload', {
        body: { set: 'refused', images: [{ file: 'a.png', label: 'good', png }, bad] },
      });
      expect(res.status, what).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
      expect(res.body.error.message, what).toMatch(message);
      expect(res.body.error.message).toContain('nothing was stored');
    }
    expect(await count(open, 'refused')).toBe(0);
    expect(blobFiles()).toBe(filesBefore);
    expect(
      (
        await api(open, '/api/evidence/upload', {
          body: { set: 'Bad Set', images: [{ file: 'a.png', label: 'good', png }] },
        })
      ).body.error.message,
    ).toMatch(/body\.set/);
    expect((await api(open, '/api/evidence/upload', { body: { images: [] } })).status).toBe(400);
  });

  it('a closed vocabulary (evidence.visionClasses) refuses a new class; /api/labels lists configured classes and fault classes', async () => {
    const png = encodeGrayPng(4, 4, new Uint8Array(16).fill(9)).toString('base64');
    const refused = await api(closed, '/api/evidence/upload', {
      body: {
        images: [
          { file: 'a.png', label: 'crack', png },
          { file: 'b.png', label: 'scratch', png },
        ],
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(
      /images\.1 \(file "b\.png"\): label "scratch" is not in the vision vocabulary \(crack, good\)/,
    );
    const ok = await api(closed, '/api/evidence/upload', {
      body: { images: [{ file: 'a.png', label: 'crack', png }] },
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ stored: 1, evidenceIds: [expect.stringMatching(/^up-[0-9a-f]{32}$/)] });
    expect((await api(closed, '/api/evidence?device=upload', { token: READER })).body.items[0]).toMatchObject({
      deviceId: 'upload',
      label: { label: 'crack', by: 'upload', source: 'upload' },
    });
    expect((await api(closed, '/api/labels', { token: READER })).body).toEqual({
      vision: ['crack', 'good'],
      fault: [...FAULT_KINDS, 'belt-slip', 'normal'].sort(),
    });
  });

  it('a large upload is listed whole at once: its points never lie in the future of the listing', async () => {
    const images = Array.from({ length: 300 }, (_, i) => ({
      file: `many-${i}.png`,
      label: 'good',
      png: encodeGrayPng(2, 2, Uint8Array.from([i & 255, 1, 2, 3])).toString('base64'),
    }));
    const res = await api(open, '/api/evidence/upload', { body: { set: 'many', images } });
    expect(res.body.stored).toBe(300);
    expect(new Set(res.body.evidenceIds).size).toBe(300);
    const listed = (await api(open, '/api/evidence?device=many&limit=1000', { token: READER })).body.items;
    expect(listed).toHaveLength(300);
    expect(Math.max(...listed.map((i: { ts: number }) => i.ts))).toBeLessThanOrEqual(Date.now());
  });

  it('lists edge evidence with filters and the newest label; a relabel (label target evidence) wins over the upload label', async () => {
    const blobs = new DiskBlobStore({ dir: blobDir });
    const now = Date.now();
    const window = await blobs.put(
      Buffer.from(JSON.stringify({ t0: now - 3000, sensors: { vibration: { rate: 10, values: [1, 2, 3] } } })),
    );
    const label = (m: ReturnType<typeof sampleMessage<'label'>>) =>
      decodePublish(buildTopic({ site: 's1', line: 'l1', device: m.deviceId, channel: 'label' }), encode('label', m));
    await store.writeEvidence([
      {
        evidenceId: 'ev-w',
        deviceId: 'press-7',
        site: 's1',
        line: 'l1',
        ts: now - 1000,
        kind: 'window',
        reason: 'anomaly',
        ...window,
        window: { t0: now - 3000, durationMs: 300, sensors: ['vibration'], eventId: 'evt-3' },
      },
    ]);
    const [upload] = (await api(open, '/api/evidence?device=tiles&limit=1', { token: READER })).body.items;
    await store.write([
      label({
        ...sampleMessage('label', 'press-7', 1),
        ts: now - 500,
        labelId: 'l-a',
        target: 'anomaly',
        refId: 'evt-3',
        label: 'imbalance',
        by: 'bob',
      }),
      label({
        ...sampleMessage('label', 'tiles', 2),
        ts: now,
        labelId: 'l-b',
        target: 'evidence',
        refId: upload.evidenceId,
        label: 'crack',
        by: 'carol',
      }),
    ]);
    const windows = await api(open, `/api/evidence?kind=window&from=${now - 60_000}&to=${now + 60_000}`, {
      token: READER,
    });
    expect(windows.body.items).toEqual([
      expect.objectContaining({
        evidenceId: 'ev-w',
        kind: 'window',
        label: { label: 'imbalance', by: 'bob', at: now - 500, source: 'engineer' },
      }),
    ]);
    const blob = await api(open, '/api/evidence/ev-w/blob', { token: READER });
    expect(blob.type).toMatch(/^application\/json/);
    expect(blob.body).toEqual({ t0: now - 3000, sensors: { vibration: { rate: 10, values: [1, 2, 3] } } });
    const relabelled = (await api(open, '/api/evidence?device=tiles&limit=1000', { token: READER })).body.items.find(
      (i: { evidenceId: string }) => i.evidenceId === upload.evidenceId,
    );
    expect(relabelled.label).toEqual({ label: 'crack', by: 'carol', at: now, source: 'engineer' });
    expect((await api(open, '/api/evidence?device=tiles&labelled=false', { token: READER })).body.items).toEqual([]);
    expect(
      (await api(open, '/api/evidence?device=tiles,press-7&labelled=true&limit=2', { token: READER })).body.items,
    ).toHaveLength(2);
  });

  it('BAD INPUT - query and id checks; unknown evidence is 404', async () => {
    for (const q of [
      'limit=0',
      'limit=1001',
      'kind=video',
      'labelled=yes',
      'from=10&to=5',
      'device=NOT%20AN%20ID',
      'from=abc',
      'colour=red',
    ]) {
      const res = await api(open, `/api/evidence?${q}`, { token: READER });
      expect(res.status, q).toBe(400);
      expect(res.body.error.message, q).toMatch(/^query\./);
    }
    expect((await api(open, '/api/evidence/no-such-evidence/blob', { token: READER })).status).toBe(404);
    expect((await api(open, `/api/evidence/${encodeURIComponent("x' OR 1=1")}/blob`, { token: READER })).status).toBe(
      400,
    );
  });
});

describe('evidence retention', () => {
  it('the sweeper deletes blobs past retentionDays and logs the count; the evidence then answers 404 (gone)', async () => {
    const png = encodeGrayPng(4, 4, new Uint8Array(16).fill(77)).toString('base64');
    const res = await api(open, '/api/evidence/upload', {
      body: { set: 'old', images: [{ file: 'old.png', label: 'good', png }] },
    });
    const [item] = (await api(open, '/api/evidence?device=old', { token: READER })).body.items;
    const blobs = new DiskBlobStore({ dir: blobDir });
    const past = new Date(Date.now() - 31 * 86_400_000);
    utimesSync(blobs.pathOf(item.sha256), past, past);
    const info = vi.fn();
    const sweeper = new EvidenceSweeper({
      blobs,
      retentionDays: 30,
      logger: { info, error: vi.fn() } as unknown as typeof logger,
    });
    expect(await sweeper.sweep()).toBe(1);
    expect(info).toHaveBeenCalledWith({ deleted: 1, retentionDays: 30 }, expect.stringContaining('evidence sweep'));
    const gone = await api(open, `/api/evidence/${res.body.evidenceIds[0]}/blob`, { token: READER });
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain('past evidence.retentionDays');
    expect(await sweeper.sweep()).toBe(0);
  });
});
