import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashPassword, readUsersFile, setUser, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('s3cret');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('s3creT', h)).toBe(false);
  });
  it('BAD HASH - malformed hashes never verify', async () => {
    for (const h of ['', 'plain', 'scrypt$1$1$1$$', 'scrypt$x$8$1$AAAA$AAAA', 'bcrypt$1$2$3$4$5'])
      expect(await verifyPassword('a', h)).toBe(false);
  });
  it('adds and updates users in a 0600 file', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'users-')), 'users.json');
    await setUser(f, 'press-01', 'a', 'device');
    await setUser(f, 'ingestor', 'b', 'service');
    await setUser(f, 'press-01', 'c', 'device');
    const users = readUsersFile(f);
    expect(Object.keys(users)).toEqual(['press-01', 'ingestor']);
    expect(await verifyPassword('c', users['press-01']!.passwordHash)).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });
});
