import { describe, expect, it } from 'vitest';
import { RegistryError } from './errors.js';
import { signRollbackGrant, verifyRollbackGrant } from './rollback-grant.js';
import { generateSigningKey } from './signing.js';

const key = generateSigningKey('trainer-1');
const trusted = { [key.keyId]: key.publicKeyPem };
const now = 1_767_225_600_000;
const grant = signRollbackGrant(
  { model: 'press-anomaly', version: 3, devices: ['press-1', 'press-2'], now, ttlMs: 60_000 },
  key.privateKeyPem,
  key.keyId,
);
const want = { model: 'press-anomaly', version: 3, device: 'press-1', now: now + 1_000 };
const code = (f: () => void) => {
  try {
    f();
  } catch (err) {
    return (err as RegistryError).code;
  }
  return 'ok';
};

describe('rollback grants', () => {
  it('a grant signed by a trusted key lets a named device go back to that version until it expires', () => {
    expect(code(() => verifyRollbackGrant(grant, trusted, want))).toBe('ok');
    expect(code(() => verifyRollbackGrant(grant, trusted, { ...want, device: 'press-2' }))).toBe('ok');
  });

  it.each([
    ['another device', { ...want, device: 'press-9' }, 'INVALID_MANIFEST'],
    ['another version', { ...want, version: 2 }, 'INVALID_MANIFEST'],
    ['another model', { ...want, model: 'fan-anomaly' }, 'INVALID_MANIFEST'],
    ['after it expired', { ...want, now: now + 61_000 }, 'INVALID_MANIFEST'],
  ])('BAD INPUT - refused for %s', (_what, w, expected) => {
    expect(code(() => verifyRollbackGrant(grant, trusted, w))).toBe(expected);
  });

  it('BAD INPUT - a tampered grant or an untrusted key is refused', () => {
    expect(
      code(() =>
        verifyRollbackGrant({ ...grant, devices: ['press-1', 'press-9'] }, trusted, { ...want, device: 'press-9' }),
      ),
    ).toBe('BAD_SIGNATURE');
    expect(code(() => verifyRollbackGrant({ ...grant, expiresAt: now + 999_999 }, trusted, want))).toBe(
      'BAD_SIGNATURE',
    );
    const other = generateSigningKey('attacker');
    const forged = signRollbackGrant(
      { model: 'press-anomaly', version: 1, devices: ['press-1'], now },
      other.privateKeyPem,
      other.keyId,
    );
    expect(code(() => verifyRollbackGrant(forged, trusted, { ...want, version: 1 }))).toBe('UNKNOWN_KEY');
  });
});
