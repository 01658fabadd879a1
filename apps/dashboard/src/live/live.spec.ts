import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../plant/alert-book.js';
import { startTestDashboard, TEST_USERS, type Signed, type TestDashboard } from '../testing/harness.js';
import type { StreamEnd } from './sse-hub.js';

/** An open `GET /api/events`; `ended` resolves when the server ends the stream. */
async function openStream(url: string, s: Signed) {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events`, { headers: { cookie: s.cookie }, signal: ac.signal });
  if (res.status !== 200)
    return {
      status: res.status,
      code: ((await res.json()) as { error: { code: string } }).error.code,
      bytes: () => 0,
      ended: Promise.resolve(),
      close: () => ac.abort(),
    };
  let bytes = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const ended = (async () => {
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
    } catch {
      // aborted by the test
    }
  })();
  return { status: 200, code: undefined, bytes: () => bytes, ended, close: () => ac.abort() };
}

/** The next stream the hub closes for `why`. */
const hubCloses = (t: TestDashboard, why: StreamEnd) =>
  new Promise<string>((resolve) => {
    const on = (s: { username: string }, w: StreamEnd) => {
      if (w !== why) return;
      t.dashboard.hub.off('closed', on);
      resolve(s.username);
    };
    t.dashboard.hub.on('closed', on);
  });

const bigAlert = (i: number): Alert => ({
  id: `dev-0001/flood-${i}`,
  deviceId: 'dev-0001',
  eventId: `flood-${i}`,
  site: 'site-1',
  line: 'line-1',
  state: 'open',
  openedAt: i,
  score: 9,
  peakScore: 9,
  threshold: 2,
  model: { name: 'm', version: 1 },
  comments: [{ by: 'x', at: i, text: 'x'.repeat(32_000) }],
});

describe('live event streams', () => {
  let t: TestDashboard;
  beforeAll(async () => {
    t = await startTestDashboard({
      live: { maxStreams: 3, maxStreamsPerSession: 2, maxBufferedBytes: 262_144, stallMs: 2_000 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('caps streams per session (429) and in all (503)', async () => {
    const [a, b] = [await t.signIn('viewer'), await t.signIn('viewer')];
    const open = [await openStream(t.url, a), await openStream(t.url, a)];
    expect(open.map((s) => s.status)).toEqual([200, 200]);
    expect(await openStream(t.url, a)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    open.push(await openStream(t.url, b));
    expect(open[2]?.status).toBe(200);
    expect(await openStream(t.url, b)).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    let left = open.length;
    const gone = new Promise<void>((resolve) => t.dashboard.hub.on('closed', () => --left === 0 && resolve()));
    for (const s of open) s.close();
    await gone;
    t.dashboard.hub.removeAllListeners('closed');
    expect(t.dashboard.hub.clients).toBe(0);
  });

  it("closes a session's streams when it signs out", async () => {
    const s = await t.signIn('viewer');
    const stream = await openStream(t.url, s);
    const closed = hubCloses(t, 'logout');
    const out = await fetch(`${t.url}/api/logout`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(out.status).toBe(200);
    await stream.ended;
    expect(await closed).toBe(TEST_USERS.viewer.username);
  });

  it('drops a client that stops reading, instead of buffering for it without bound; a reading client stays', async () => {
    const s = await t.signIn('viewer');
    const fast = await openStream(t.url, s);
    const slow = createConnection({ host: '127.0.0.1', port: t.dashboard.port });
    slow.on('error', () => undefined);
    slow.write(`GET /api/events HTTP/1.1\r\nHost: dashboard\r\nCookie: ${s.cookie}\r\n\r\n`);
    await once(slow, 'data'); // headers and the first frame: attached
    slow.pause(); // and never read again
    let dropped = false;
    const closed = hubCloses(t, 'slow').then(() => (dropped = true));
    let sent = 0;
    for (let i = 0; !dropped; i++) {
      t.dashboard.plant.emit('alert', bigAlert(i));
      sent += 32_000;
      if (sent > 64 * 1_048_576) throw new Error('the slow client was never dropped');
      await new Promise((r) => setImmediate(r));
    }
    await closed;
    expect(t.dashboard.hub.clients).toBe(1);
    const before = fast.bytes();
    t.dashboard.plant.emit('alert', bigAlert(-1));
    while (fast.bytes() < before + 32_000) await new Promise((r) => setImmediate(r));
    fast.close();
    slow.destroy();
  });

  it('ends the streams of a user removed from the users file (reloadUsers, what SIGHUP runs); other users stay', async () => {
    const emil = await t.signIn('engineer');
    const vera = await t.signIn('viewer');
    const [gone, stays] = [await openStream(t.url, emil), await openStream(t.url, vera)];
    const users = JSON.parse(readFileSync(t.usersFile, 'utf8')) as Record<string, unknown>;
    delete users[TEST_USERS.engineer.username];
    writeFileSync(t.usersFile, JSON.stringify(users));
    const closed = hubCloses(t, 'user-changed');
    expect(t.dashboard.reloadUsers()).toEqual([TEST_USERS.engineer.username]);
    await gone.ended;
    expect(await closed).toBe(TEST_USERS.engineer.username);
    expect(t.dashboard.hub.clients).toBe(1); // vera's stream goes on
    stays.close();
    expect((await fetch(`${t.url}/api/session`, { headers: { cookie: emil.cookie } })).status).toBe(401);
    const again = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: TEST_USERS.engineer.username, password: TEST_USERS.engineer.password }),
    });
    expect(again.status).toBe(401);
  });
});

describe('live event streams and session expiry', () => {
  let t: TestDashboard;
  beforeAll(async () => {
    t = await startTestDashboard({ session: { idleMs: 1_500, maxAgeMs: 60_000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends a stream when its session expires (a stream alone does not keep a session alive)', async () => {
    const s = await t.signIn('viewer');
    const closed = hubCloses(t, 'expired');
    const stream = await openStream(t.url, s);
    await stream.ended;
    expect(await closed).toBe(TEST_USERS.viewer.username);
    expect((await fetch(`${t.url}/api/session`, { headers: { cookie: s.cookie } })).status).toBe(401);
  });
});
