import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodePublish, isPublishOn, topicFilter, type DeviceState } from '@takt/contracts';
import { Stack } from '@takt/stack';
import { TelemetryStore } from '@takt/telemetry-store';
import { connectClient, tempDir } from '@takt/testing';
import { DashboardSession, eventually, writeSmallPlant } from '../src/index.js';

const SHOTS = fileURLToPath(new URL('../test-output/screenshots/', import.meta.url));
const PASSWORD = 'e2e-rollout-password';
const MODEL = 'plant-anomaly';
const devices = ['pump-1', 'motor-1'];
const CANARY = 'motor-1';

interface Job {
  id: string;
  status: string;
  version?: number;
  message?: string;
}
interface Rollout {
  id: string;
  stage: string;
  version: number;
  canary: string[];
  devices: { deviceId: string; status: string; version?: number }[];
}
/** What the Rollouts page shows for one rollout card at one moment. */
interface CardView {
  stage: string;
  statuses: Record<string, string>;
  applied: string;
}

/** Reads a rollout card from the page: its stage badge and each device's status chip. */
async function readCard(page: Page, id: string): Promise<CardView | undefined> {
  const card = page.locator(`[data-rollout="${id}"]`);
  if ((await card.count()) === 0) return undefined;
  const statuses: Record<string, string> = {};
  for (const chip of await card.locator('.dev-status').allTextContents()) {
    // "motor-1 canary · applied"
    const [name = '', status = ''] = chip.split(' · ');
    statuses[name.replace(/\s*canary$/, '').trim()] = status.trim();
  }
  const applied = (await card.locator('.toolbar > .muted').allTextContents()).find((t) => t.endsWith('applied')) ?? '';
  return { stage: (await card.locator('.stage').textContent()) ?? '', statuses, applied };
}

/**
 * Issue 9, "browser test: … start a rollout", against the real trainer service: a small plant
 * (two machines on one line) streams healthy data, the trainer trains K-means v1 from InfluxDB,
 * then an admin in chromium signs in, looks at the Models page, starts a canary rollout of v1
 * through the Rollouts form, and watches the per-device status until it is promoted; both edge
 * devices then report v1 in their retained `state`.
 */
describe('e2e: a rollout started from the dashboard in chromium', () => {
  const dir = tempDir('takt-e2e-dash-');
  let stack: Stack;
  let store: TelemetryStore;
  let watcher: MqttClient;
  let dash: DashboardSession;
  let browser: Browser;
  let page: Page;
  /** uncaught errors of the page: each fails its test */
  const pageErrors: string[] = [];
  const states = new Map<string, DeviceState>();
  let startedAt = 0;
  let dashboardUrl = '';
  let brokerUrl = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const plantFile = writeSmallPlant(dir.path, { layout: { 'plant-a': { 'line-1': devices } } });
    startedAt = Date.now();
    stack = await new Stack({
      dir: dir.path,
      mode: 'source',
      plantFile,
      seed: 11,
      trainer: true,
      dashboard: true,
      demoPassword: PASSWORD,
      trainerConfig: { training: { model: MODEL, minWindows: 100, lookbackMs: 600_000 }, rollout: { watchMs: 6_000 } },
    }).start();
    dashboardUrl = stack.dashboard?.url ?? '';
    brokerUrl = stack.brokers[0]?.url ?? '';
    store = await TelemetryStore.connect({ url: stack.influx.url });
    watcher = await connectClient(brokerUrl, { username: 'dashboard', password: stack.secrets.broker.dashboard });
    watcher.on('message', (topic, payload) => {
      try {
        const d = decodePublish(topic, payload);
        if (isPublishOn(d, 'state')) states.set(d.topic.device, d.message);
      } catch {
        // the broker validates; nothing to judge here
      }
    });
    await watcher.subscribeAsync(topicFilter({ channel: 'state' }), { qos: 1 });
    dash = await DashboardSession.signIn(dashboardUrl, 'admin', PASSWORD);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 120_000);

  afterEach(() => {
    expect(pageErrors.splice(0), 'uncaught errors in the page').toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    watcher?.end(true);
    await store?.close();
    await stack?.stop();
    if (process.env['TAKT_E2E_KEEP']) process.stdout.write(`[e2e] kept ${dir.path}\n`);
    else dir.remove();
  }, 60_000);

  it('trains v1 from InfluxDB through the dashboard API', async () => {
    // two machines × 2 feature windows/s
    await eventually(
      'healthy windows in InfluxDB',
      async () =>
        (await store.queryFeatures({ from: startedAt - 60_000, to: Date.now() })).length >= 100 ? true : undefined,
      90_000,
      2_000,
    );
    const { id } = await dash.post<{ id: string }>('/api/jobs', { kind: 'kmeans', model: MODEL });
    const job = await eventually(
      'training job',
      async () => {
        const j = (await dash.get<{ jobs: Job[] }>('/api/jobs')).jobs.find((x) => x.id === id);
        if (j?.status === 'failed') throw new Error(`job failed: ${j.message}`);
        return j?.status === 'succeeded' ? j : undefined;
      },
      60_000,
    );
    expect(job.version, `job registered a version (${job.message})`).toBe(1);
  }, 150_000);

  it('an admin signs in, sees v1 on the Models page, starts a canary rollout and watches it promote', async () => {
    await page.goto(dashboardUrl);
    await page.fill('#username', 'admin');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('.topbar .badge.role');
    expect(await page.textContent('.topbar .badge.role')).toBe('admin');

    await page.click('.topbar nav a[data-path="models"]');
    const modelRow = page.locator('#models tbody tr', { hasText: MODEL });
    await modelRow.waitFor();
    expect(await modelRow.textContent()).toContain('v1');
    await page.locator('#jobs tbody tr', { hasText: 'succeeded' }).waitFor();
    await page.screenshot({ path: `${SHOTS}rollout-models.png`, fullPage: true });

    await page.click('.topbar nav a[data-path="rollouts"]');
    await page.waitForSelector('main[data-page="rollouts"] form#start');
    await page.selectOption('#start select[name="model"]', `${MODEL}@1`);
    await page.fill('#start input[name="devices"]', devices.join(', '));
    await page.fill('#start input[name="canary"]', CANARY);
    await page.click('#start button.primary');
    const card = page.locator('[data-rollout]').first();
    await card.waitFor();
    const rolloutId = (await card.getAttribute('data-rollout')) ?? '';
    expect(rolloutId).toMatch(/^ro-/);

    // watch the page: the canary goes first, then the trainer promotes to the rest
    const seen: CardView[] = [];
    let shotCanary = false;
    const final = await eventually(
      'rollout shown as promoted with both devices applied',
      async () => {
        const view = await readCard(page, rolloutId);
        if (!view) return undefined;
        if (
          seen.at(-1)?.stage !== view.stage ||
          JSON.stringify(seen.at(-1)?.statuses) !== JSON.stringify(view.statuses)
        )
          seen.push(view);
        if (view.stage === 'rolled-back' || view.stage === 'failed')
          throw new Error(`rollout ${view.stage}: ${JSON.stringify(view)}`);
        if (view.stage === 'canary' && !shotCanary) {
          shotCanary = true;
          await page.screenshot({ path: `${SHOTS}rollout-canary.png`, fullPage: true });
        }
        return view.stage === 'promoted' && devices.every((d) => view.statuses[d] === 'applied') ? view : undefined;
      },
      60_000,
      500,
    );
    await page.screenshot({ path: `${SHOTS}rollout-promoted.png`, fullPage: true });
    process.stdout.write(
      `[e2e] rollout ${rolloutId} as the page showed it: ${seen.map((v) => `${v.stage} ${JSON.stringify(v.statuses)}`).join(' → ')}\n`,
    );

    expect(seen[0]?.stage, 'the page first shows the canary stage').toBe('canary');
    const canaryViews = seen.filter((v) => v.stage === 'canary');
    expect(
      canaryViews.every((v) => Object.keys(v.statuses).sort().join() === [...devices].sort().join()),
      'each device has a status chip',
    ).toBe(true);
    const others = devices.filter((d) => d !== CANARY);
    expect(
      canaryViews.some((v) => others.every((d) => v.statuses[d] === 'pending')),
      'the rest wait while the canary is watched',
    ).toBe(true);
    expect(
      canaryViews.every((v) => others.every((d) => v.statuses[d] !== 'applied')),
      'nobody but the canary applies before promotion',
    ).toBe(true);
    expect(final.applied).toBe('2/2 applied');
    expect(await card.locator('.dev-status', { hasText: CANARY }).textContent()).toContain('canary');
    expect(await card.locator('button[data-act]').count(), 'no promote/roll back buttons once promoted').toBe(0);

    const viaApi = (await dash.get<{ rollouts: Rollout[] }>('/api/rollouts')).rollouts.find((r) => r.id === rolloutId);
    expect(viaApi).toMatchObject({ stage: 'promoted', version: 1, canary: [CANARY] });
    expect(viaApi?.devices.map((d) => d.deviceId).sort()).toEqual([...devices].sort());
  }, 90_000);

  it('both edge devices report v1 in their retained state', async () => {
    await eventually(
      'every agent runs v1',
      async () =>
        devices.every((d) => states.get(d)?.models.some((m) => m.name === MODEL && m.version === 1)) ? true : undefined,
      30_000,
    );
    // a fresh subscriber gets the same from the retained messages
    const fresh = await connectClient(brokerUrl, { username: 'dashboard', password: stack.secrets.broker.dashboard });
    try {
      const retained = new Map<string, DeviceState>();
      fresh.on('message', (topic, payload) => {
        const d = decodePublish(topic, payload);
        if (isPublishOn(d, 'state')) retained.set(d.topic.device, d.message);
      });
      await fresh.subscribeAsync(topicFilter({ channel: 'state' }), { qos: 1 });
      const versions = await eventually(
        'retained state of both devices',
        async () =>
          devices.every((d) => retained.has(d))
            ? devices.map((d) => retained.get(d)?.models.find((m) => m.name === MODEL)?.version)
            : undefined,
        10_000,
        200,
      );
      expect(versions).toEqual([1, 1]);
    } finally {
      fresh.end(true);
    }
  }, 60_000);
});
