import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePublish, topicFilter } from '@takt/contracts';
import { collectMessages, connectClient } from '@takt/testing';
import { TestFleet } from './testing/fleet.js';
import { SERVICE, startTestDashboard, TEST_USERS, type Signed, type TestDashboard } from './testing/harness.js';

type Role = 'viewer' | 'engineer' | 'admin';
interface RouteCase {
  method: 'GET' | 'POST';
  path: string;
  role: Role;
  body?: unknown;
}

/** Every API route and the least role it needs. */
const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/session', role: 'viewer' },
  { method: 'POST', path: '/api/logout', role: 'viewer' },
  { method: 'GET', path: '/api/overview', role: 'viewer' },
  { method: 'GET', path: '/api/devices/dev-0001', role: 'viewer' },
  { method: 'GET', path: '/api/devices/dev-0001/history?range=5m', role: 'viewer' },
  { method: 'GET', path: '/api/alerts', role: 'viewer' },
  { method: 'POST', path: '/api/alerts/dev-0001/evt-1/ack', role: 'engineer' },
  { method: 'POST', path: '/api/alerts/dev-0001/evt-1/comments', role: 'engineer', body: { text: 'bearing noise' } },
  { method: 'POST', path: '/api/alerts/dev-0001/evt-1/label', role: 'engineer', body: { label: 'false-alarm' } },
  { method: 'GET', path: '/api/inspections', role: 'viewer' },
  { method: 'POST', path: '/api/inspections/dev-0001/f-1/label', role: 'engineer', body: { label: 'scratch' } },
  { method: 'GET', path: '/api/labels', role: 'viewer' },
  { method: 'GET', path: '/api/evidence', role: 'viewer' },
  { method: 'GET', path: '/api/evidence/ev-1/blob', role: 'viewer' },
  {
    method: 'POST',
    path: '/api/evidence/ev-1/label',
    role: 'engineer',
    body: { label: 'scratch', device: 'dev-0001', ts: 1 },
  },
  { method: 'GET', path: '/api/models', role: 'viewer' },
  { method: 'GET', path: '/api/jobs', role: 'viewer' },
  { method: 'POST', path: '/api/jobs', role: 'engineer', body: { kind: 'kmeans', model: 'pump-anomaly' } },
  { method: 'GET', path: '/api/rollouts', role: 'viewer' },
  {
    method: 'POST',
    path: '/api/rollouts',
    role: 'admin',
    body: { model: 'pump-anomaly', version: 3, canary: ['dev-0001'], devices: ['dev-0001', 'dev-0002'] },
  },
  { method: 'POST', path: '/api/rollouts/ro-1/promote', role: 'admin' },
  { method: 'POST', path: '/api/rollouts/ro-1/rollback', role: 'admin' },
  { method: 'GET', path: '/api/approvals', role: 'viewer' },
  { method: 'POST', path: '/api/approvals/pump-anomaly/4/approve', role: 'admin' },
  { method: 'POST', path: '/api/approvals/pump-anomaly/4/reject', role: 'admin' },
  { method: 'GET', path: '/api/events', role: 'viewer' },
];
const BELOW: Record<Role, Role[]> = { viewer: [], engineer: ['viewer'], admin: ['viewer', 'engineer'] };

describe('dashboard API', () => {
  let t: TestDashboard;
  const who = {} as Record<Role, Signed>;
  const call = async (r: RouteCase, s?: Signed, csrf = true) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (s) headers['cookie'] = s.cookie;
    if (s && csrf) headers['x-csrf-token'] = s.csrfToken;
    const ac = new AbortController();
    const res = await fetch(`${t.url}${r.path}`, {
      method: r.method,
      headers,
      body: r.method === 'POST' ? JSON.stringify(r.body ?? {}) : undefined,
      signal: ac.signal,
    });
    const text = res.headers.get('content-type')?.includes('event-stream') ? '' : await res.text();
    ac.abort();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as { error?: { code: string; message: string } }) : {},
    };
  };

  beforeAll(async () => {
    t = await startTestDashboard({ trainer: { url: 'http://127.0.0.1:9', readerToken: 'r', operatorToken: 'o' } });
    for (const role of ['viewer', 'engineer', 'admin'] as Role[]) who[role] = await t.signIn(role);
    const fleet = new TestFleet(t.publisher);
    const [a] = TestFleet.addresses(1, 1, 2);
    await fleet.publishStates(TestFleet.addresses(1, 1, 2));
    await fleet.anomaly(a!, 'evt-1', 'open', Date.now() - 5_000);
    await fleet.publish(a!, 'inspection', {
      ts: Date.now(),
      frameId: 'f-1',
      label: 'ok',
      confidence: 0.8,
      model: { name: 'vision', version: 1 },
    });
    const deadline = Date.now() + 5_000;
    while (!t.dashboard.plant.inspections.find('dev-0001', 'f-1') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses anonymous requests with 401',
    async (_n, r) => {
      const res = await call(r);
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('UNAUTHENTICATED');
    },
  );

  it.each(ROUTES.filter((r) => BELOW[r.role].length).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses roles below its own with 403',
    async (_n, r) => {
      for (const role of BELOW[r.role]) {
        const res = await call(r, who[role]);
        expect(res.status, role).toBe(403);
        expect(res.body.error?.code).toBe('FORBIDDEN');
      }
    },
  );

  it.each(ROUTES.filter((r) => r.method === 'POST').map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses a request without the CSRF token',
    async (_n, r) => {
      const res = await call(r, who.admin, false);
      expect(res.status).toBe(403);
      expect(res.body.error?.code).toBe('CSRF');
      const wrong = await call(r, { cookie: who.admin.cookie, csrfToken: who.engineer.csrfToken });
      expect(wrong.body.error?.code).toBe('CSRF');
    },
  );

  it('lets the right role through (trainer routes answer 503 when the trainer is down, never 401/403)', async () => {
    const fresh = {
      viewer: await t.signIn('viewer'),
      engineer: await t.signIn('engineer'),
      admin: await t.signIn('admin'),
    };
    for (const r of ROUTES.filter((x) => x.path !== '/api/logout')) {
      const res = await call(r, fresh[r.role]);
      expect([200, 201, 202, 503], `${r.method} ${r.path}: ${JSON.stringify(res.body)}`).toContain(res.status);
    }
  });

  it.each([
    ['/api/devices/dev-0001/history', 'range'],
    ['/api/devices/dev-0001/history?range=9m', 'range'],
    ['/api/devices/dev-0001/history?from=abc', 'from'],
    ['/api/devices/dev-0001/history?from=2000&to=1000', 'from must be before to'],
    ['/api/devices/dev-0001/history?from=0&to=9000000000', '30 days'],
    ['/api/devices/Bad_Id/history?range=5m', 'device'],
    ['/api/alerts?state=maybe', 'state'],
    ['/api/alerts?limit=0', 'limit'],
    ['/api/alerts?colour=red', 'colour'],
    ['/api/inspections?limit=9999', 'limit'],
    ['/api/events?device=NOPE', 'device'],
    ['/api/models?x=1', 'x'],
    ['/api/evidence?kind=audio', 'kind'],
    ['/api/labels?x=1', 'x'],
  ])('BAD INPUT - GET %s answers 400 naming %s', async (path, words) => {
    const res = await call({ method: 'GET', path, role: 'viewer' }, who.viewer);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('BAD_REQUEST');
    expect(res.body.error?.message).toContain(words);
  });

  it.each([
    ['/api/alerts/dev-0001/evt-1/label', { label: 'has space' }, 'label'],
    ['/api/alerts/dev-0001/evt-1/comments', { text: '' }, 'text'],
    ['/api/inspections/dev-0001/f-1/label', { label: 'has space' }, 'label'],
    ['/api/jobs', { kind: 'cnn', model: 'pump-anomaly' }, 'kind'],
    ['/api/evidence/ev-1/label', { label: 'has space' }, 'label'],
    ['/api/rollouts', { model: 'pump-anomaly', version: 3, canary: ['dev-0009'], devices: ['dev-0001'] }, 'canary'],
  ])('BAD INPUT - POST %s with a bad body answers 400', async (path, body, words) => {
    const res = await call({ method: 'POST', path, role: 'admin', body }, who.admin);
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toContain(words);
  });

  it('BAD INPUT - a form post (not JSON) is refused with 415, unparseable JSON with 400', async () => {
    const form = await fetch(`${t.url}/api/alerts/dev-0001/evt-1/ack`, {
      method: 'POST',
      headers: {
        cookie: who.engineer.cookie,
        'x-csrf-token': who.engineer.csrfToken,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'a=1',
    });
    expect(form.status).toBe(415);
    const bad = await fetch(`${t.url}/api/alerts/dev-0001/evt-1/ack`, {
      method: 'POST',
      headers: {
        cookie: who.engineer.cookie,
        'x-csrf-token': who.engineer.csrfToken,
        'content-type': 'application/json',
      },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
  });

  it('sets an httpOnly SameSite=Strict cookie, and signs out server-side', async () => {
    const res = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: TEST_USERS.viewer.username, password: TEST_USERS.viewer.password }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const s = { cookie: cookie.split(';')[0] as string, csrfToken: ((await res.json()) as Signed).csrfToken };
    expect((await call({ method: 'POST', path: '/api/logout', role: 'viewer' }, s)).status).toBe(200);
    expect((await call({ method: 'GET', path: '/api/overview', role: 'viewer' }, s)).status).toBe(401);
  });

  it('BAD INPUT - a device user from a shared users file cannot sign in', async () => {
    const res = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'press-01', password: 'device-pw' }),
    });
    expect(res.status).toBe(401);
  });

  it('rate-limits failed sign-ins per IP + user, without locking out other users', async () => {
    const login = (username: string, password: string) =>
      fetch(`${t.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    for (let i = 0; i < 5; i++) expect((await login(TEST_USERS.admin.username, 'wrong')).status).toBe(401);
    const locked = await login(TEST_USERS.admin.username, TEST_USERS.admin.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(TEST_USERS.engineer.username, TEST_USERS.engineer.password)).status).toBe(200);
  });

  it('believes no X-Forwarded-For without a configured trusted proxy: rotating it does not escape the lockout', async () => {
    const login = (i: number) =>
      fetch(`${t.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
        body: JSON.stringify({ username: 'mallory', password: 'guess' }),
      });
    for (let i = 0; i < 5; i++) expect((await login(i)).status).toBe(401);
    expect((await login(99)).status).toBe(429);
  });

  it('labels an alert as a false alarm: a valid `label` message reaches the broker', async () => {
    const sub = await connectClient(t.brokerUrl, SERVICE);
    try {
      const got = collectMessages(sub, topicFilter({ channel: 'label' }), 1);
      await new Promise((r) => setTimeout(r, 100));
      const res = await call(
        {
          method: 'POST',
          path: '/api/alerts/dev-0001/evt-1/label',
          role: 'engineer',
          body: { label: 'true-alarm', comment: 'bearing worn' },
        },
        who.engineer,
      );
      expect(res.status).toBe(201);
      const [msg] = await got;
      const { topic, message } = decodePublish(msg!.topic, msg!.payload);
      expect(topic).toMatchObject({ site: 'site-1', line: 'line-1', device: 'dev-0001', channel: 'label' });
      expect(message).toMatchObject({
        target: 'anomaly',
        refId: 'evt-1',
        label: 'true-alarm',
        by: TEST_USERS.engineer.username,
        comment: 'bearing worn',
      });
    } finally {
      await sub.endAsync();
    }
  });

  it('acknowledges an alert and keeps the comment', async () => {
    const r1 = await call({ method: 'POST', path: '/api/alerts/dev-0001/evt-1/ack', role: 'engineer' }, who.engineer);
    expect(r1.body).toMatchObject({ acknowledged: { by: TEST_USERS.engineer.username } });
    await call(
      { method: 'POST', path: '/api/alerts/dev-0001/evt-1/comments', role: 'engineer', body: { text: 'checked' } },
      who.engineer,
    );
    const list = await call({ method: 'GET', path: '/api/alerts?state=open', role: 'viewer' }, who.viewer);
    const alert = (list.body as { alerts: { eventId: string; comments: { text: string }[] }[] }).alerts.find(
      (a) => a.eventId === 'evt-1',
    );
    expect(alert?.comments.map((c) => c.text)).toContain('checked');
    expect(
      (await call({ method: 'POST', path: '/api/alerts/dev-0001/nope/ack', role: 'engineer' }, who.engineer)).status,
    ).toBe(404);
  });
});
