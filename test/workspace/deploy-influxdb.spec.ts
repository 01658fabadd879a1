import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@takt/runtime';
import { tempDir, workspaceRoot } from '@takt/testing';

describe('deploy/influxdb', () => {
  const dir = tempDir('takt-deploy-influx-');
  afterAll(() => dir.remove());

  it('start-influxd.sh serves with the shipped config on the given data dir and port', async () => {
    const port = await freePort();
    const child = spawn('bash', [join(workspaceRoot(), 'deploy/influxdb/start-influxd.sh'), dir.path, String(port)], {
      stdio: 'ignore',
    });
    try {
      await waitFor('influxd', async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 204, 30_000);
      const res = await fetch(`http://127.0.0.1:${port}/query?q=SHOW+DATABASES`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
