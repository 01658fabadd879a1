import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePublish, topicFilter } from '@takt/contracts';
import { freePort, type ManagedProcess } from '@takt/runtime';
import { collectMessages, connectClient, spawnTakt, startInfluxd, tempDir, type InfluxdServer } from '@takt/testing';
import { partThumbnail } from './testing/frames.js';
import { SERVICE, startTestDashboard, type Signed, type TestDashboard } from './testing/harness.js';
import type { EvidenceRecord } from './trainer/evidence.js';

const TOKENS = { reader: 'contract-reader-token', operator: 'contract-operator-token' };

/**
 * The dashboard against the real trainer service (`takt-trainer serve` with influxd): evidence the
 * trainer stored from an upload is listed, its PNG passes through byte for byte, the vocabulary is
 * the trainer's, and a relabel outside it is refused before anything is published.
 */
describe('dashboard ↔ takt-trainer evidence API', () => {
  const dir = tempDir('takt-dash-trainer-');
  let influx: InfluxdServer;
  let trainer: ManagedProcess;
  let t: TestDashboard;
  let engineer: Signed;
  let viewer: Signed;
  const pngs = [Buffer.from(partThumbnail('scratch', 1), 'base64'), Buffer.from(partThumbnail('ok', 2), 'base64')];
  const req = (method: 'GET' | 'POST', path: string, s: Signed, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: {
        cookie: s.cookie,
        'x-csrf-token': s.csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    influx = await startInfluxd();
    const port = await freePort();
    t = await startTestDashboard({
      trainer: { url: `http://127.0.0.1:${port}`, readerToken: TOKENS.reader, operatorToken: TOKENS.operator },
    });
    const keyFile = join(dir.path, 'k1.key');
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    const configFile = join(dir.path, 'trainer.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        host: '127.0.0.1',
        port,
        publicUrl: `http://127.0.0.1:${port}`,
        registryDir: join(dir.path, 'registry'),
        signingKey: { keyId: 'k1', privateKeyFile: keyFile },
        tokens: [
          { token: TOKENS.reader, role: 'reader' },
          { token: TOKENS.operator, role: 'operator' },
        ],
        influx: { url: influx.url, database: 'takt' },
        mqtt: { url: t.brokerUrl, ...SERVICE },
        evidence: { visionClasses: ['ok', 'scratch', 'pit'] },
      }),
    );
    trainer = spawnTakt('apps/cloud-trainer', ['serve', '--config', configFile], {
      name: 'takt-trainer',
      ready: async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
      readyTimeoutMs: 90_000,
    });
    await trainer.start();
    const upload = await fetch(`http://127.0.0.1:${port}/api/evidence/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        set: 'seed-set',
        images: [
          { file: 'a.png', label: 'scratch', png: pngs[0]!.toString('base64') },
          { file: 'b.png', label: 'ok', png: pngs[1]!.toString('base64') },
        ],
      }),
    });
    expect(upload.status, await upload.clone().text()).toBe(201);
    engineer = await t.signIn('engineer');
    viewer = await t.signIn('viewer');
  }, 150_000);
  afterAll(async () => {
    await t?.close();
    await trainer?.close();
    await influx?.close();
    dir.remove();
  });

  it('lists the uploaded frames with their labels and passes each PNG through unchanged', async () => {
    const res = await req('GET', '/api/evidence?kind=frame&device=seed-set', viewer);
    expect(res.status).toBe(200);
    const items = ((await res.json()) as { items: EvidenceRecord[] }).items;
    expect(items.map((x) => [x.reason, x.label?.label, x.label?.source]).sort()).toEqual([
      ['upload', 'ok', 'upload'],
      ['upload', 'scratch', 'upload'],
    ]);
    for (const item of items) {
      const blob = await req('GET', `/api/evidence/${item.evidenceId}/blob`, viewer);
      expect(blob.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await blob.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(item.sha256);
      expect(pngs.some((p) => p.equals(bytes))).toBe(true);
    }
    const gone = await req('GET', '/api/evidence/no-such-evidence/blob', viewer);
    expect(gone.status).toBe(404);
  });

  it("gives the trainer's vocabulary and holds relabels to it", async () => {
    const vocab = (await (await req('GET', '/api/labels', viewer)).json()) as { vision: string[]; fault: string[] };
    expect(vocab.vision).toEqual(expect.arrayContaining(['ok', 'scratch', 'pit']));
    expect(vocab.fault).toEqual(expect.arrayContaining(['bearing-wear', 'normal']));
    const [item] = (
      (await (await req('GET', '/api/evidence?kind=frame&device=seed-set', viewer)).json()) as {
        items: EvidenceRecord[];
      }
    ).items;
    const refused = await req('POST', `/api/evidence/${item!.evidenceId}/label`, engineer, { label: 'dent' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'label "dent" is not a known vision class',
    );
    const sub = await connectClient(t.brokerUrl, SERVICE);
    try {
      const got = collectMessages(sub, topicFilter({ channel: 'label' }), 1);
      await new Promise((r) => setTimeout(r, 100));
      const ok = await req('POST', `/api/evidence/${item!.evidenceId}/label`, engineer, { label: 'pit' });
      expect(ok.status).toBe(201);
      const { topic, message } = decodePublish((await got)[0]!.topic, (await got)[0]!.payload);
      expect(topic).toMatchObject({ site: 'upload', line: 'upload', device: 'seed-set' });
      expect(message).toMatchObject({ target: 'evidence', refId: item!.evidenceId, label: 'pit' });
    } finally {
      await sub.endAsync();
    }
  });
});
