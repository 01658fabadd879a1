import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@takt/runtime';
import { sourceCommand, spawnTakt, startTestBroker, tempDir, type TestBroker } from '@takt/testing';
import { SERVICE, TEST_USERS, writeUsersFile } from './testing/harness.js';

describe('takt-dashboard CLI', () => {
  it('BAD INPUT - a bad config value exits 2 naming the key and the variable it came from', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ usersFile: 'u.json', mqtt: { url: 'mqtt://127.0.0.1:1' } }));
      const cmd = sourceCommand('apps/dashboard', ['--config', file]);
      const r = spawnSync(cmd.command, cmd.args, {
        cwd: cmd.cwd,
        env: { ...process.env, TAKT_DASHBOARD_PORT: '"eighty"' },
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('"port"');
      expect(r.stderr).toContain('TAKT_DASHBOARD_PORT');
    } finally {
      dir.remove();
    }
  });

  describe('SIGHUP', () => {
    const dir = tempDir('takt-dashboard-hup-');
    let broker: TestBroker | undefined;
    let stop: (() => Promise<void>) | undefined;
    afterAll(async () => {
      await stop?.();
      await broker?.close();
      dir.remove();
    });

    it("re-reads the users file: a removed user's session and live stream end, the others go on", async () => {
      broker = await startTestBroker();
      const usersFile = join(dir.path, 'users.json');
      await writeUsersFile(usersFile);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const configFile = join(dir.path, 'dashboard.json');
      writeFileSync(configFile, JSON.stringify({ port, usersFile, mqtt: { url: broker.url, ...SERVICE } }));
      const proc = spawnTakt('apps/dashboard', ['--config', configFile], {
        logFile: join(dir.path, 'dashboard.log'),
        ready: async () => (await fetch(`${url}/healthz`)).ok,
      });
      await proc.start();
      stop = () => proc.close();
      const signIn = async ({ username, password }: { username: string; password: string }) => {
        const res = await fetch(`${url}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password }),
        });
        expect(res.status).toBe(200);
        return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
      };
      const [emil, vera] = [await signIn(TEST_USERS.engineer), await signIn(TEST_USERS.viewer)];
      const stream = await fetch(`${url}/api/events`, { headers: { cookie: emil } });
      expect(stream.status).toBe(200);
      const users = JSON.parse(readFileSync(usersFile, 'utf8')) as Record<string, unknown>;
      delete users[TEST_USERS.engineer.username];
      writeFileSync(usersFile, JSON.stringify(users));
      process.kill(proc.pid as number, 'SIGHUP');
      await stream.text(); // resolves when the dashboard ends the stream
      expect((await fetch(`${url}/api/session`, { headers: { cookie: emil } })).status).toBe(401);
      expect((await fetch(`${url}/api/session`, { headers: { cookie: vera } })).status).toBe(200);
      expect(proc.running).toBe(true);
    });
  });
});
