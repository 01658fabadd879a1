import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateSigningKey } from '@takt/model-registry';
import { setUser } from '@takt/runtime';

/** Credentials of one stack, generated once and kept in `<dir>/secrets.json` (mode 0600). */
export interface StackSecrets {
  /** broker users: service accounts for every component */
  broker: Record<'ingestor' | 'trainer' | 'dashboard' | 'simulator' | 'edge', string>;
  /** dashboard sign-in of the demo engineer/admin */
  dashboard: { admin: string; engineer: string; viewer: string };
  /** trainer API bearer tokens */
  tokens: { reader: string; operator: string };
  signingKey: { keyId: string; privateKeyPem: string; publicKeyPem: string };
}

const secret = () => randomBytes(12).toString('base64url');

/**
 * Loads or creates the stack's secrets and the users files the broker and dashboard read.
 * `demoPassword` fixes the dashboard passwords (npm start prints them); otherwise they are random.
 */
export async function ensureSecrets(dir: string, demoPassword?: string): Promise<StackSecrets> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StackSecrets;
  const s: StackSecrets = {
    broker: { ingestor: secret(), trainer: secret(), dashboard: secret(), simulator: secret(), edge: secret() },
    dashboard: { admin: demoPassword ?? secret(), engineer: demoPassword ?? secret(), viewer: demoPassword ?? secret() },
    tokens: { reader: secret(), operator: secret() },
    signingKey: generateSigningKey('takt-demo-1'),
  };
  const brokerUsers = join(dir, 'broker-users.json');
  for (const [user, password] of Object.entries(s.broker)) await setUser(brokerUsers, user, password, 'service');
  const dashUsers = join(dir, 'dashboard-users.json');
  for (const [user, password] of Object.entries(s.dashboard)) await setUser(dashUsers, user, password, user);
  mkdirSync(join(dir, 'keys'), { recursive: true });
  writeFileSync(join(dir, 'keys', `${s.signingKey.keyId}.pub`), s.signingKey.publicKeyPem);
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  return s;
}
