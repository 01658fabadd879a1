import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDashboard, TEST_USERS, type TestDashboard } from '../testing/harness.js';

/** Sign-in limits behind a reverse proxy on loopback: the client's address comes from X-Forwarded-For. */
describe('sign-in limits behind a trusted proxy', () => {
  let t: TestDashboard;
  const login = (username: string, password: string, from: string) =>
    fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.250, ${from}` },
      body: JSON.stringify({ username, password }),
    });

  beforeAll(async () => {
    t = await startTestDashboard({
      trustedProxies: ['loopback'],
      loginLimit: { maxFailures: 3, maxFailuresPerUser: 6, maxFailuresPerAddress: 8, maxConcurrentHashes: 2 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("locks an address + user by the forwarded client address, not the proxy's", async () => {
    for (let i = 0; i < 3; i++)
      expect((await login(TEST_USERS.viewer.username, 'wrong', '203.0.113.1')).status).toBe(401);
    expect((await login(TEST_USERS.viewer.username, TEST_USERS.viewer.password, '203.0.113.1')).status).toBe(429);
    expect((await login(TEST_USERS.viewer.username, TEST_USERS.viewer.password, '203.0.113.2')).status).toBe(200);
  });

  it('locks a user guessed from many addresses (maxFailuresPerUser)', async () => {
    for (let i = 0; i < 6; i++)
      expect((await login(TEST_USERS.admin.username, 'wrong', `203.0.113.${10 + i}`)).status).toBe(401);
    const locked = await login(TEST_USERS.admin.username, TEST_USERS.admin.password, '203.0.113.99');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('locks an address that tries many users (maxFailuresPerAddress)', async () => {
    for (let i = 0; i < 8; i++) expect((await login(`guess-${i}`, 'wrong', '203.0.113.50')).status).toBe(401);
    expect((await login(TEST_USERS.engineer.username, TEST_USERS.engineer.password, '203.0.113.50')).status).toBe(429);
    expect((await login(TEST_USERS.engineer.username, TEST_USERS.engineer.password, '203.0.113.51')).status).toBe(200);
  });

  it('checks at most maxConcurrentHashes passwords at once; the rest are answered 503 without a hash', async () => {
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => login(`burst-${i}`, 'wrong', `192.0.2.${i}`)),
    );
    const statuses = answers.map((r) => r.status);
    expect(
      statuses.every((s) => s === 401 || s === 503),
      statuses.join(),
    ).toBe(true);
    const busy = answers.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]?.headers.get('retry-after')).toBe('1');
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(2);
  });
});
