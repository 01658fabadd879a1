import { rollbackGrantSchema, type RollbackGrant } from '@takt/contracts';
import { canonicalJson } from './canonical.js';
import { RegistryError } from './errors.js';
import { signBytes, verifyBytes } from './signing.js';

/** How long a rollback grant stays valid by default: a day, enough for a rollout to reach every device. */
export const DEFAULT_GRANT_TTL_MS = 86_400_000;

const grantBytes = ({ signature: _s, ...body }: Omit<RollbackGrant, 'signature'> & { signature?: unknown }) =>
  Buffer.from(canonicalJson(body), 'utf8');

/** Signs a permission for `devices` to go back to `version` of `model`, valid for `ttlMs`. */
export function signRollbackGrant(
  g: { model: string; version: number; devices: string[]; now?: number; ttlMs?: number },
  privateKeyPem: string,
  keyId: string,
): RollbackGrant {
  const issuedAt = g.now ?? Date.now();
  const body = {
    model: g.model,
    version: g.version,
    devices: [...g.devices].sort(),
    issuedAt,
    expiresAt: issuedAt + (g.ttlMs ?? DEFAULT_GRANT_TTL_MS),
  };
  return rollbackGrantSchema.parse({ ...body, signature: signBytes(grantBytes(body), privateKeyPem, keyId) });
}

/**
 * Checks that `grant` lets `device` go back to `version` of `model` now: signed by a trusted key,
 * for exactly that model and version, naming the device, not expired. Throws `RegistryError`
 * (`BAD_SIGNATURE`, `UNKNOWN_KEY`, `INVALID_MANIFEST` for a grant that does not cover the request).
 */
export function verifyRollbackGrant(
  grant: RollbackGrant,
  trustedKeys: Record<string, string>,
  want: { model: string; version: number; device: string; now?: number },
): void {
  const g = rollbackGrantSchema.parse(grant);
  const what = `rollback grant for ${g.model} v${g.version}`;
  verifyBytes(grantBytes(g), g.signature, trustedKeys, what);
  const now = want.now ?? Date.now();
  const refuse = (why: string) => new RegistryError('INVALID_MANIFEST', `${what} does not allow this rollback: ${why}`);
  if (g.model !== want.model || g.version !== want.version)
    throw refuse(`it is for ${g.model} v${g.version}, not ${want.model} v${want.version}`);
  if (!g.devices.includes(want.device)) throw refuse(`device ${want.device} is not named in it`);
  if (now > g.expiresAt) throw refuse(`it expired at ${new Date(g.expiresAt).toISOString()}`);
  if (g.issuedAt > now + 300_000) throw refuse('it is issued in the future');
}
