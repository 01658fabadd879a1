import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateSigningKey } from '@takt/model-registry';
import { setUser } from '@takt/runtime';

/** Broker user of each service, and the role it logs in with (least privilege: apps/broker/README.md). */
export const SERVICE_ROLES = {
  ingestor: 'ingestor',
  trainer: 'trainer',
  dashboard: 'dashboard',
  simulator: 'plant',
} as const;

/** Credentials of one stack, generated once and kept in `<dir>/secrets.json` (mode 0600). */
export interface StackSecrets {
  /** broker users: one account per service */
  broker: Record<keyof typeof SERVICE_ROLES, string>;
  /** broker users of the edge boxes, one each (role `edge`, bound to the devices it serves) */
  edges: Record<string, string>;
  /** dashboard sign-in of the demo engineer/admin */
  dashboard: { admin: string; engineer: string; viewer: string };
  /** trainer API bearer tokens */
  tokens: { reader: string; operator: string };
  signingKey: { keyId: string; privateKeyPem: string; publicKeyPem: string };
}

const secret = () => randomBytes(12).toString('base64url');

/** An edge box of the stack: its broker user name and the devices it serves (`site/line/device`). */
export interface EdgeIdentity {
  name: string;
  devices: { site: string; line: string; device: string }[];
}

/**
 * The edge boxes' broker users: each box its own password, role `edge`, bound to exactly the devices
 * it serves. Creates the passwords `secrets` lacks; (re)writes the users file the broker watches.
 */
export async function ensureEdgeUsers(dir: string, secrets: StackSecrets, edges: EdgeIdentity[]): Promise<void> {
  const brokerUsers = join(dir, 'broker-users.json');
  let added = false;
  for (const e of edges) {
    added ||= secrets.edges[e.name] === undefined;
    secrets.edges[e.name] ??= secret();
    // written every start: the bindings follow the plant file when a line gains or loses a device
    await setUser(brokerUsers, e.name, secrets.edges[e.name] as string, 'edge', {
      devices: e.devices.map((d) => `${d.site}/${d.line}/${d.device}`),
    });
  }
  if (added) writeFileSync(join(dir, 'secrets.json'), JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Loads or creates the stack's secrets and the users files the broker and dashboard read.
 * `demoPassword` fixes the dashboard passwords (npm start prints them); otherwise they are random.
 */
export async function ensureSecrets(dir: string, demoPassword?: string): Promise<StackSecrets> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'secrets.json');
  const old = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets> & { broker: { edge?: string } })
    : undefined;
  if (old?.edges && old.broker.edge === undefined) return old as StackSecrets;
  // new, or made before per-box edge users: fresh broker accounts (the shared `edge` one is gone), the rest kept
  const s: StackSecrets = {
    broker: { ingestor: secret(), trainer: secret(), dashboard: secret(), simulator: secret() },
    edges: {},
    dashboard: old?.dashboard ?? {
      admin: demoPassword ?? secret(),
      engineer: demoPassword ?? secret(),
      viewer: demoPassword ?? secret(),
    },
    tokens: old?.tokens ?? { reader: secret(), operator: secret() },
    signingKey: old?.signingKey ?? generateSigningKey('takt-demo-1'),
  };
  const brokerUsers = join(dir, 'broker-users.json');
  rmSync(brokerUsers, { force: true });
  for (const [user, password] of Object.entries(s.broker))
    await setUser(brokerUsers, user, password, SERVICE_ROLES[user as keyof typeof SERVICE_ROLES]);
  const dashUsers = join(dir, 'dashboard-users.json');
  for (const [user, password] of Object.entries(s.dashboard)) await setUser(dashUsers, user, password, user);
  mkdirSync(join(dir, 'keys'), { recursive: true });
  writeFileSync(join(dir, 'keys', `${s.signingKey.keyId}.pub`), s.signingKey.publicKeyPem);
  writeFileSync(file, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  return s;
}
