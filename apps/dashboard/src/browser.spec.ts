import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnTakt, workspaceRoot } from '@takt/testing';
import { partThumbnail } from './testing/frames.js';
import { TestFleet } from './testing/fleet.js';
import { startTestDashboard, TEST_USERS, type TestDashboard } from './testing/harness.js';
import { startTrainerStandIn, type TrainerStandIn } from './testing/trainer-stand-in.js';
import type { EvidenceRecord } from './trainer/evidence.js';

const SHOTS = fileURLToPath(new URL('../test-output/screenshots/', import.meta.url));
const DEFECTS = ['ok', 'scratch', 'ok', 'pit', 'ok', 'crack', 'stain', 'ok'] as const;

describe('dashboard in chromium', () => {
  let t: TestDashboard;
  let trainer: TrainerStandIn;
  let browser: Browser;
  let page: Page;
  let fleet: TestFleet;
  let stopStream: () => void = () => undefined;
  /** uncaught errors of the page (a handler left behind by a page the user left, a failed render): each fails its test */
  const pageErrors: string[] = [];
  const addresses = TestFleet.addresses(2, 5, 50); // 500 devices: 2 sites × 5 lines × 50
  const live = addresses[0]!;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const now = Date.now();
    trainer = await startTrainerStandIn();
    seedTrainer(trainer, live.device, now);
    t = await startTestDashboard({
      liveRaw: true,
      trainer: { url: trainer.url, readerToken: trainer.readerToken, operatorToken: trainer.operatorToken },
    });
    fleet = new TestFleet(t.publisher);
    await fleet.publishStates(addresses);
    for (let i = 0; i < 150; i++)
      await fleet.sample(live, now - (150 - i) * 400, i > 100 && i < 120 ? 3.4 : 1 + 0.3 * Math.sin(i / 8));
    await fleet.anomaly(live, 'evt-live-1', 'open', now - 19_600, 3.6);
    await fleet.anomaly(live, 'evt-live-1', 'close', now - 19_600, 3.6, now - 12_000);
    await fleet.anomaly(addresses[57]!, 'evt-b', 'open', now - 60_000, 5.1);
    await fleet.anomaly(addresses[310]!, 'evt-c', 'open', now - 240_000, 3.0);
    for (let i = 0; i < DEFECTS.length; i++) {
      const d = DEFECTS[i]!;
      await fleet.publish(addresses[i % 3]!, 'inspection', {
        ts: now - i * 7_000,
        frameId: `frame-${i}`,
        label: i === 4 ? 'scratch' : d,
        confidence: 0.62 + (i % 4) * 0.09,
        model: { name: 'vision', version: 2 },
        thumbnail: partThumbnail(d, i),
        truth: d,
      });
    }
    // a frame inspected without a thumbnail: its picture is the frame the edge kept as evidence
    await fleet.publish(CAM, 'inspection', {
      ts: now - 1_000,
      frameId: 'cam-frame-1',
      label: 'pit',
      confidence: 0.45,
      model: { name: 'vision', version: 2 },
    });
    stopStream = fleet.stream(live, 200);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });
  afterEach(() => {
    expect(pageErrors.splice(0), 'uncaught errors in the page').toEqual([]);
  });

  /** Resolves once the page's origin has sent `n` more `devices` live events (heartbeats of the live device make them). */
  async function devicesEvents(n: number): Promise<void> {
    const poke = setInterval(
      () =>
        void fleet.publish(live, 'heartbeat', { ts: Date.now(), uptimeS: 60, outboxDepth: 0 }).catch(() => undefined),
      250,
    );
    try {
      await page.evaluate(
        (count) =>
          new Promise<void>((resolve) => {
            const es = new EventSource('/api/events');
            let seen = 0;
            es.addEventListener('devices', () => {
              if (++seen < count) return;
              es.close();
              resolve();
            });
          }),
        n,
      );
    } finally {
      clearInterval(poke);
    }
  }
  afterAll(async () => {
    stopStream();
    await browser?.close();
    await t?.close();
    await trainer?.close();
  });

  it('signs in and renders the 500-device overview quickly', async () => {
    await page.goto(t.url);
    await page.fill('#username', TEST_USERS.admin.username);
    await page.fill('#password', 'wrong-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('wrong username or password');
    await page.screenshot({ path: `${SHOTS}login.png` });
    await page.fill('#password', TEST_USERS.admin.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('main[data-count="500"]');
    await page.reload();
    await page.waitForSelector('main[data-count="500"]');
    const ms = await page.evaluate(() => performance.getEntriesByName('overview-rendered')[0]?.startTime ?? -1);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(3_000); // the benchmark holds the 1 s target; this only catches regressions on a busy CI box
    expect(await page.locator('.tile.alarm').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: `${SHOTS}overview.png` });
    await page.screenshot({ path: `${SHOTS}overview-full.png`, fullPage: true });
  });

  it("shows a device's charts updating live, with the threshold and the anomaly period", async () => {
    await page.click(`a.tile[data-id="${live.device}"]`);
    await page.waitForSelector('#score-chart canvas');
    await page.waitForSelector('[data-sensor="temperature"] canvas');
    const points = async () => Number(await page.getAttribute('main', 'data-points'));
    const before = await points();
    await expect.poll(points, { timeout: 5_000 }).toBeGreaterThan(before + 5);
    expect(await page.textContent('#score-note')).toContain('threshold 2.5');
    expect(await page.isVisible('#fault-panel')).toBe(false); // no fault CNN has spoken yet
    const fault = (label: string, confidence: number) => {
      const ts = Date.now();
      return fleet.publish(live, 'features', {
        ts,
        windowStart: ts - 1_000,
        windowEnd: ts,
        features: { 'vibration.rms': 0.4 },
        fault: { label, confidence, model: { name: 'fault', version: 1 } },
      });
    };
    await fault('normal', 0.93);
    await expect.poll(() => page.textContent('#fault-panel .fault-label')).toBe('normal');
    await fault('imbalance', 0.81);
    await expect.poll(() => page.textContent('#fault-panel .fault-label')).toBe('imbalance');
    expect(await page.textContent('#fault-panel')).toContain('81%');
    expect(await page.locator('#fault-panel .fault-strip i').count()).toBe(2);
    await page.screenshot({ path: `${SHOTS}device.png`, fullPage: true });
    await page.click('.ranges button[data-r="1h"]');
    await expect.poll(() => page.textContent('#src')).toContain('live window');
  });

  it("draws the active anomaly model's threshold before any event has told one", async () => {
    const quiet = addresses[1]!;
    const now = Date.now();
    for (let i = 0; i < 5; i++) await fleet.sample(quiet, now - (5 - i) * 1_000, 1);
    await page.goto(`${t.url}/#/device/${quiet.device}`);
    await expect.poll(() => page.textContent('#score-note')).toContain('threshold 3.1 (pump-anomaly v3)');
    // the camera station's evidence counters, from its state
    await fleet.publish(
      CAM,
      'state',
      {
        ts: Date.now(),
        status: 'online',
        models: [],
        outboxDepth: 4,
        shed: 0,
        evidence: {
          queued: { uncertain: 3, sample: 1 },
          queuedBytes: 41_000,
          rateLimited: { uncertain: 12 },
          shed: { sample: 2 },
        },
      },
      true,
    );
    await page.goto(`${t.url}/#/device/${CAM.device}`);
    await expect.poll(() => page.textContent('#facts')).toContain('4 queued (41 kB) · 12 over budget · 2 shed');
  });

  it('charts a simulated machine live from `takt-sim run` (raw batches → mean / RMS)', async () => {
    const sim = spawnTakt(
      'simulators/plant',
      [
        'run',
        '--plant',
        `${workspaceRoot()}/simulators/plant/plants/demo.json`,
        '--broker',
        t.brokerUrl,
        '--username',
        'service',
        '--password',
        'service-secret',
        '--seed',
        '7',
        '--duration',
        '60',
      ],
      {
        name: 'takt-sim',
        ready: async () => t.dashboard.plant.series.telemetry('pump-1', 0, Date.now() + 1_000).length > 0,
      },
    );
    try {
      await sim.start();
      await page.goto(`${t.url}/#/device/pump-1`);
      await page.waitForSelector('[data-sensor="vibration_rms"] canvas');
      await page.waitForSelector('[data-sensor="temperature"] canvas');
      const points = async () => Number(await page.getAttribute('main', 'data-points'));
      const before = await points();
      await expect.poll(points, { timeout: 5_000 }).toBeGreaterThan(before + 10);
      await page.screenshot({ path: `${SHOTS}device-simulator.png`, fullPage: true });
    } finally {
      await sim.close();
    }
  });

  it("acknowledges an alert, labels it a false alarm then with a fault class, and draws an event's raw window", async () => {
    await page.click('nav a[data-path="alerts"]');
    const row = page.locator('tr[data-event="evt-b"]');
    await row.locator('button[data-act="ack"]').click();
    await expect.poll(() => row.textContent()).toContain(`acknowledged by ${TEST_USERS.admin.username}`);
    await row.locator('button[data-act="false-alarm"]').click();
    await expect.poll(() => row.textContent(), { timeout: 5_000 }).toContain('false-alarm');
    expect(t.dashboard.plant.alerts.get(`${addresses[57]!.device}/evt-b`)?.label?.label).toBe('false-alarm');
    await row.locator('select[data-fault]').selectOption('bearing-wear');
    await row.locator('button[data-act="fault"]').click();
    await expect.poll(() => row.textContent(), { timeout: 5_000 }).toContain('fault: bearing-wear');
    expect(t.dashboard.plant.alerts.get(`${addresses[57]!.device}/evt-b`)?.label?.label).toBe('bearing-wear');
    await page.click('.chip[data-t="all"]');
    const closed = page.locator('tr[data-event="evt-live-1"]');
    await closed.locator('button[data-act="window"]').click();
    await closed.locator('.window-chart polyline').first().waitFor();
    expect(await closed.locator('.window-chart polyline').count()).toBe(2);
    expect(await closed.locator('.window-view').textContent()).toContain('onset');
    await page.screenshot({ path: `${SHOTS}alerts.png`, fullPage: true });
  });

  it('lists inspections with thumbnails and relabels one', async () => {
    await page.click('nav a[data-path="inspections"]');
    await page.waitForSelector('.frame img');
    const card = page.locator('.frame[data-frame="frame-4"]');
    await card.locator('select').selectOption('ok');
    await card.locator('button[data-act="relabel"]').click();
    await expect.poll(() => card.textContent()).toContain('relabelled ok');
    const kept = page.locator('.frame[data-frame="cam-frame-1"] img');
    expect(await kept.getAttribute('src')).toBe('/api/evidence/ev-cam-1/blob');
    await expect.poll(() => kept.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(64);
    await page.screenshot({ path: `${SHOTS}inspections.png`, fullPage: true });
  });

  it('shows the evidence frames with their pictures and simulator truth, and labels one from the vocabulary', async () => {
    await page.click('nav a[data-path="inspections"]');
    await page.click('.tabs a[data-tab="evidence"]');
    await page.waitForSelector('main[data-tab="evidence"][data-loaded="1"]');
    const cards = page.locator('.frame.evidence');
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-evidence')))).toEqual([
      'ev-cam-1',
      'ev-cam-2',
      'ev-cam-3',
      'ev-up-1',
    ]); // newest first
    await expect
      .poll(() =>
        cards
          .locator('img')
          .evaluateAll((imgs) =>
            imgs.every(
              (i) =>
                (i as unknown as { complete: boolean; naturalWidth: number }).complete &&
                (i as unknown as { naturalWidth: number }).naturalWidth > 0,
            ),
          ),
      )
      .toBe(true);
    const card = page.locator('.frame[data-evidence="ev-cam-2"]');
    expect(await card.textContent()).toContain('simulator truth: crack');
    expect(await card.locator('select option').allTextContents()).toEqual(['label…', ...trainer.vocabulary.vision]);
    expect(await page.locator('.frame[data-evidence="ev-up-1"]').textContent()).toContain('label scratch (uploaded)');
    await page.click('#filters .chip[data-f="unlabelled"]');
    await expect.poll(() => page.getAttribute('main', 'data-count')).toBe('3');
    await card.locator('select').selectOption('crack');
    await card.locator('button[data-act="label"]').click();
    await expect.poll(() => page.getAttribute('main', 'data-count'), { timeout: 5_000 }).toBe('2'); // labelled: it leaves the unlabelled view
    await page.click('#filters .chip[data-f="all"]');
    expect(await card.textContent()).toContain(`label crack (by ${TEST_USERS.admin.username})`);
    await page.screenshot({ path: `${SHOTS}evidence.png`, fullPage: true });
    // evidence that arrives later shows on a refresh
    const first = trainer.evidence[0]!;
    trainer.evidence.push({
      record: {
        ...first.record,
        evidenceId: 'ev-cam-0',
        ts: Date.now(),
        frame: { frameId: 'late', width: 64, height: 64 },
        label: undefined,
      } as EvidenceRecord,
      blob: first.blob,
    });
    await page.click('#refresh');
    await page.waitForSelector('.frame[data-evidence="ev-cam-0"] img');
  });

  it('shows the figures that decide per model, starts a job of each kind and follows every job live, with no handler of the overview left behind', async () => {
    await page.click('nav a[data-path=""]');
    await page.waitForSelector('#kpis .kpi');
    await page.click('nav a[data-path="models"]');
    const vision2 = page.locator('tr[data-model="vision"][data-version="2"]');
    await expect.poll(() => vision2.textContent()).toContain('accuracy 91.0 %');
    expect(await vision2.textContent()).toContain('int8 loss 0.8 pp');
    expect(await vision2.locator('.delta').textContent()).toBe('vs v1: accuracy +4.0 pp');
    expect(await vision2.locator('.delta').getAttribute('class')).toContain('better');
    const anomaly2 = page.locator('tr[data-model="plant-anomaly"][data-version="2"]');
    expect(await anomaly2.textContent()).toContain('threshold 2.5');
    expect(await anomaly2.textContent()).toContain('false-alarm rate 1.20 %');
    expect(await anomaly2.locator('.delta').getAttribute('class')).toContain('worse'); // 0.8 % → 1.2 %
    expect(await page.locator('#models .metric').first().isVisible()).toBe(false); // every metric only when asked for
    for (const kind of ['cnn-vision', 'cnn-fault', 'kmeans'] as const) {
      await page.selectOption('#train select[name=kind]', kind);
      await page.fill('#train input[name=model]', kind === 'kmeans' ? 'line-2-anomaly' : ''); // empty: the trainer's model of that kind
      await page.click('#train button');
      await page.waitForSelector(`#jobs tr[data-kind="${kind}"]`);
    }
    expect(trainer.seen.filter((r) => r.method === 'POST' && r.path === '/api/jobs').map((r) => r.body)).toEqual([
      { kind: 'cnn-vision' },
      { kind: 'cnn-fault' },
      { kind: 'kmeans', model: 'line-2-anomaly' },
    ]);
    // progress comes live: the trainer moves a job on and the page follows without a reload
    const job = trainer.jobs.find((j) => j['kind'] === 'cnn-fault') as Record<string, unknown>;
    Object.assign(job, { status: 'running', progress: 0.6, message: 'epoch 18/30' });
    const row = page.locator(`#jobs tr[data-job="${String(job['id'])}"]`);
    await expect.poll(() => row.locator('.job-message').textContent(), { timeout: 8_000 }).toBe('60% epoch 18/30');
    expect(await row.locator('.progress i').getAttribute('style')).toContain('width:60%');
    const reason = 'worse than current v1: held-out accuracy 71.0 % vs 80.0 % on the same 40 samples';
    Object.assign(job, {
      status: 'succeeded',
      progress: 1,
      message: 'candidate v2 refused',
      gate: { passed: false, reason },
    });
    await expect.poll(() => row.locator('.gate').textContent(), { timeout: 8_000 }).toBe(`gate refused: ${reason}`);
    await devicesEvents(3); // live device updates keep coming: the overview's handlers must not render into this page
    await page.screenshot({ path: `${SHOTS}models.png`, fullPage: true });
    await page.click('nav a[data-path="rollouts"]');
    await expect.poll(() => page.textContent('#rollouts')).toContain('No rollouts');
    await devicesEvents(3);
    await page.screenshot({ path: `${SHOTS}rollouts.png`, fullPage: true });
  });

  it('a page left while its requests are still in flight writes nothing into the next one', async () => {
    // the trainer answers slowly: the Models page is left before its first answers arrive
    const slow = async (route: import('playwright-core').Route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue().catch(() => undefined);
    };
    await page.route('**/api/models', slow);
    await page.route('**/api/jobs', slow);
    try {
      for (let i = 0; i < 3; i++) {
        await page.click('nav a[data-path="models"]');
        await page.waitForSelector('main[data-page="models"] #jobs');
        await page.click('nav a[data-path="rollouts"]');
        await page.waitForSelector('main[data-page="rollouts"]');
        await new Promise((r) => setTimeout(r, 1_200)); // the left page's answers come in now
      }
      await expect.poll(() => page.textContent('#rollouts')).toContain('No rollouts');
    } finally {
      await page.unroute('**/api/models');
      await page.unroute('**/api/jobs');
    }
  });
});

/** the camera station: one of the 500 devices (site-1/line-1), so the overview's count stays 500 */
const CAM = { site: 'site-1', line: 'line-1', device: 'dev-0004' };

/** What the trainer stand-in serves: kept frames (PNG blobs), a window around the live device's event, models of two kinds and versions. */
function seedTrainer(trainer: TrainerStandIn, liveDevice: string, now: number): void {
  const frame = (
    evidenceId: string,
    ts: number,
    picture: Parameters<typeof partThumbnail>[0],
    patch: Partial<EvidenceRecord>,
  ): EvidenceRecord => ({
    evidenceId,
    deviceId: CAM.device,
    site: CAM.site,
    line: CAM.line,
    ts,
    kind: 'frame',
    reason: 'uncertain',
    sha256: evidenceId.padEnd(64, '0'),
    bytes: 0,
    frame: { frameId: `frame-of-${evidenceId}`, width: 64, height: 64 },
    model: { name: 'vision', version: 2 },
    ...patch,
  });
  const records = [
    frame('ev-cam-1', now - 1_000, 'pit', {
      frame: { frameId: 'cam-frame-1', width: 64, height: 64 },
      prediction: { label: 'pit', confidence: 0.45 },
      truth: 'pit',
    }),
    frame('ev-cam-2', now - 5_000, 'crack', { prediction: { label: 'ok', confidence: 0.52 }, truth: 'crack' }),
    frame('ev-cam-3', now - 9_000, 'ok', {
      reason: 'sample',
      prediction: { label: 'ok', confidence: 0.97 },
      truth: 'ok',
    }),
    frame('ev-up-1', now - 60_000, 'scratch', {
      deviceId: 'upload',
      reason: 'upload',
      label: { label: 'scratch', by: 'upload', at: now - 60_000, source: 'upload' },
    }),
  ];
  const pictures = ['pit', 'crack', 'ok', 'scratch'] as const;
  records.forEach((record, i) =>
    trainer.evidence.push({ record, blob: Buffer.from(partThumbnail(pictures[i]!, i), 'base64') }),
  );
  const t0 = now - 30_000;
  const values = (f: (k: number) => number) => Array.from({ length: 500 }, (_, k) => f(k));
  const window = {
    t0,
    sensors: {
      vibration: { rate: 50, values: values((k) => Math.sin(k / 3) * (k > 250 ? 3 : 1)) },
      temperature: { rate: 50, values: values((k) => 60 + k / 100) },
    },
  };
  trainer.evidence.push({
    record: {
      evidenceId: 'ev-win-1',
      deviceId: liveDevice,
      ts: now - 20_000,
      kind: 'window',
      reason: 'anomaly',
      sha256: 'c'.repeat(64),
      bytes: 0,
      window: {
        t0,
        durationMs: 10_000,
        sensors: ['vibration', 'temperature'],
        eventId: 'evt-live-1',
        onset: now - 25_000,
      },
    },
    blob: Buffer.from(JSON.stringify(window)),
  });
  const manifest = (
    name: string,
    kind: string,
    version: number,
    metrics: Record<string, number>,
    threshold?: number,
  ) => ({
    name,
    kind,
    version,
    createdAt: now - (3 - version) * 86_400_000,
    metrics,
    ...(threshold === undefined ? {} : { threshold }),
    training: { samples: 1_000 * version },
    signature: { keyId: 'k1' },
  });
  trainer.models.push(
    manifest(
      'plant-anomaly',
      'kmeans-anomaly',
      1,
      { eval_false_alarm_rate: 0.008, calibration_false_alarms: 2, calibration_hours: 4, k: 6 },
      2.4,
    ),
    manifest(
      'plant-anomaly',
      'kmeans-anomaly',
      2,
      { eval_false_alarm_rate: 0.012, calibration_false_alarms: 1, calibration_hours: 4, k: 8 },
      2.5,
    ),
    manifest('pump-anomaly', 'kmeans-anomaly', 3, { eval_false_alarm_rate: 0.01 }, 3.1),
    manifest('vision', 'cnn-vision', 1, { val_accuracy: 0.87, val_accuracy_int8: 0.86, best_epoch: 30 }),
    manifest('vision', 'cnn-vision', 2, {
      val_accuracy: 0.91,
      val_accuracy_int8: 0.902,
      test_macro_f1: 0.85,
      best_epoch: 44,
    }),
  );
}
