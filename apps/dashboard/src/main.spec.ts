import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceCommand, tempDir } from '@takt/testing';

describe('takt-dashboard CLI', () => {
  it('BAD INPUT - a bad config value exits 2 naming the key and the variable it came from', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'c.json');
      writeFileSync(file, JSON.stringify({ usersFile: 'u.json', mqtt: { url: 'mqtt://127.0.0.1:1' } }));
      const cmd = sourceCommand('apps/dashboard', ['--config', file]);
      const r = spawnSync(cmd.command, cmd.args, { cwd: cmd.cwd, env: { ...process.env, TAKT_DASHBOARD_PORT: '"eighty"' }, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('"port"');
      expect(r.stderr).toContain('TAKT_DASHBOARD_PORT');
    } finally {
      dir.remove();
    }
  });
});
