import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnTakt, workspaceRoot } from '@takt/testing';
import { partThumbnail } from './testing/frames.js';
import { TestFleet } from './testing/fleet.js';
import { startTestDashboard, TEST_USERS, type TestDashboard } from './testing/harness.js';

const SHOTS = fileURLToPath(new URL('../test-output/screenshots/', import.meta.url));
const DEFECTS = ['ok', 'scratch', 'ok', 'pit', 'ok', 'crack', 'stain', 'ok'] as const;

describe('dashboard in chromium', () => {
  let t: TestDashboard;
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
    t = await startTestDashboard({ liveRaw: true });
    fleet = new TestFleet(t.publisher);
    await fleet.publishStates(addresses);
    const now = Date.now();
    for (let i = 0; i < 150; i++) await fleet.sample(live, now - (150 - i) * 400, i > 100 && i < 120 ? 3.4 : 1 + 0.3 * Math.sin(i / 8));
    await fleet.anomaly(live, 'evt-live-1', 'open', now - 19_600, 3.6);
    await fleet.anomaly(live, 'evt-live-1', 'close', now - 19_600, 3.6, now - 12_000);
    await fleet.anomaly(addresses[57]!, 'evt-b', 'open', now - 60_000, 5.1);
    await fleet.anomaly(addresses[310]!, 'evt-c', 'open', now - 240_000, 3.0);
    for (let i = 0; i < DEFECTS.length; i++) {
      const d = DEFECTS[i]!;
      await fleet.publish(addresses[i % 3]!, 'inspection', { ts: now - i * 7_000, frameId: `frame-${i}`, label: i === 4 ? 'scratch' : d, confidence: 0.62 + (i % 4) * 0.09, model: { name: 'vision', version: 2 }, thumbnail: partThumbnail(d, i), truth: d });
    }
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
    const poke = setInterval(() => void fleet.publish(live, 'heartbeat', { ts: Date.now(), uptimeS: 60, outboxDepth: 0 }).catch(() => undefined), 250);
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
    await page.screenshot({ path: `${SHOTS}device.png`, fullPage: true });
    await page.click('.ranges button[data-r="1h"]');
    await expect.poll(() => page.textContent('#src')).toContain('live window');
  });

  it('charts a simulated machine live from `takt-sim run` (raw batches → mean / RMS)', async () => {
    const sim = spawnTakt('simulators/plant', ['run', '--plant', `${workspaceRoot()}/simulators/plant/plants/demo.json`, '--broker', t.brokerUrl, '--username', 'service', '--password', 'service-secret', '--seed', '7', '--duration', '60'], {
      name: 'takt-sim',
      ready: async () => t.dashboard.plant.series.telemetry('pump-1', 0, Date.now() + 1_000).length > 0,
    });
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

  it('acknowledges an alert and labels it a false alarm', async () => {
    await page.click('nav a[data-path="alerts"]');
    const row = page.locator('tr[data-event="evt-b"]');
    await row.locator('button[data-act="ack"]').click();
    await expect.poll(() => row.textContent()).toContain(`acknowledged by ${TEST_USERS.admin.username}`);
    await row.locator('button[data-act="false-alarm"]').click();
    await expect.poll(() => row.textContent()).toContain('false-alarm');
    expect(t.dashboard.plant.alerts.get(`${addresses[57]!.device}/evt-b`)?.label?.label).toBe('false-alarm');
    await page.click('.chip[data-t="all"]');
    await page.waitForSelector('tr[data-event="evt-live-1"]');
    await page.screenshot({ path: `${SHOTS}alerts.png`, fullPage: true });
  });

  it('lists inspections with thumbnails and relabels one', async () => {
    await page.click('nav a[data-path="inspections"]');
    await page.waitForSelector('.frame img');
    const card = page.locator('.frame[data-frame="frame-4"]');
    await card.locator('select').selectOption('ok');
    await card.locator('button[data-act="relabel"]').click();
    await expect.poll(() => card.textContent()).toContain('relabelled ok');
    await page.screenshot({ path: `${SHOTS}inspections.png`, fullPage: true });
  });

  it('shows models, jobs and rollouts pages (trainer service not configured here), with no handler of the overview left behind', async () => {
    await page.click('nav a[data-path=""]');
    await page.waitForSelector('#kpis .kpi');
    await page.click('nav a[data-path="models"]');
    await expect.poll(() => page.textContent('#models')).toContain('no trainer service configured');
    await devicesEvents(3); // live device updates keep coming: the overview's handlers must not render into this page
    await page.screenshot({ path: `${SHOTS}models.png`, fullPage: true });
    await page.click('nav a[data-path="rollouts"]');
    await expect.poll(() => page.textContent('#rollouts')).toContain('no trainer service configured');
    await devicesEvents(3);
    await page.screenshot({ path: `${SHOTS}rollouts.png`, fullPage: true });
  });
});
