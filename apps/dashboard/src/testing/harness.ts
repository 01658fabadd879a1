import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '@takt/runtime';
import { connectClient, startTestBroker, tempDir } from '@takt/testing';
import type { MqttClient } from 'mqtt';
import { startDashboard, type Dashboard } from '../app.js';
import { dashboardConfigSchema, type DashboardConfigInput } from '../config.js';

export const TEST_USERS = {
  viewer: { username: 'vera', password: 'vera-viewer-pw', role: 'viewer' },
  engineer: { username: 'emil', password: 'emil-engineer-pw', role: 'engineer' },
  admin: { username: 'ada', password: 'ada-admin-pw', role: 'admin' },
} as const;

/** the test broker's default service user (what the dashboard and simulators connect as) */
export const SERVICE = { username: 'service', password: 'service-secret' } as const;

export interface Signed {
  cookie: string;
  csrfToken: string;
}

export interface TestDashboard {
  dashboard: Dashboard;
  url: string;
  brokerUrl: string;
  configFile: string;
  usersFile: string;
  /** a publisher connected to the same broker */
  publisher: MqttClient;
  signIn(role: keyof typeof TEST_USERS): Promise<Signed>;
  close(): Promise<void>;
}

/** Writes a users file with one user per dashboard role (plus a broker `device` user that must be ignored). */
export async function writeUsersFile(file: string): Promise<void> {
  const users: Record<string, { passwordHash: string; role: string }> = {};
  for (const u of [...Object.values(TEST_USERS), { username: 'press-01', password: 'device-pw', role: 'device' }]) {
    users[u.username] = { passwordHash: await hashPassword(u.password), role: u.role };
  }
  writeFileSync(file, JSON.stringify(users));
}

/** A dashboard in this process on a free port, with a real broker and a real users file. */
export async function startTestDashboard(
  config: Omit<Partial<DashboardConfigInput>, 'mqtt'> & { liveRaw?: boolean } = {},
): Promise<TestDashboard> {
  const dir = tempDir('takt-dashboard-');
  const broker = await startTestBroker();
  const usersFile = join(dir.path, 'users.json');
  await writeUsersFile(usersFile);
  const { liveRaw = false, ...rest } = config;
  const input = { port: 0, usersFile, ...rest, mqtt: { url: broker.url, ...SERVICE, liveRaw } };
  const configFile = join(dir.path, 'dashboard.json');
  writeFileSync(configFile, JSON.stringify(input));
  const dashboard = await startDashboard(dashboardConfigSchema.parse(input));
  await dashboard.feed.waitConnected();
  const publisher = await connectClient(broker.url, SERVICE);
  const signIn = async (role: keyof typeof TEST_USERS): Promise<Signed> => {
    const { username, password } = TEST_USERS[role];
    const res = await fetch(`${dashboard.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in as ${username} answered ${res.status}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
    return { cookie, csrfToken: ((await res.json()) as { csrfToken: string }).csrfToken };
  };
  return {
    dashboard,
    url: dashboard.url,
    brokerUrl: broker.url,
    configFile,
    usersFile,
    publisher,
    signIn,
    close: async () => {
      await publisher.endAsync();
      await dashboard.close();
      await broker.close();
      dir.remove();
    },
  };
}
