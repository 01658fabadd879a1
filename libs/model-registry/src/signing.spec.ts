import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { canonicalJson } from './canonical.js';
import { RegistryError, type RegistryErrorCode } from './errors.js';
import { generateSigningKey, manifestSigningBytes, signManifest, verifyManifest } from './signing.js';

function expectCode(fn: () => unknown, code: RegistryErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(RegistryError);
  expect((thrown as RegistryError).code).toBe(code);
}

const key = generateSigningKey('takt-2026');
const trusted = { [key.keyId]: key.publicKeyPem };
const { signature: _s, ...unsigned } = sampleManifest();

describe('canonicalJson', () => {
  it('sorts keys at every level and ignores insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
  it('drops undefined members and refuses non-finite numbers', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
  });
  it('excludes the signature field from the signed bytes', () => {
    expect(manifestSigningBytes(sampleManifest()).toString()).toBe(manifestSigningBytes(unsigned).toString());
    expect(manifestSigningBytes(unsigned).toString()).not.toContain('signature');
  });
});

describe('signManifest / verifyManifest', () => {
  it('signs and verifies, whatever the key order of the manifest', () => {
    const signed = signManifest(unsigned, key.privateKeyPem, key.keyId);
    expect(signed.signature).toMatchObject({ alg: 'ed25519', keyId: 'takt-2026' });
    const reordered = Object.fromEntries(Object.entries(signed).reverse()) as typeof signed;
    expect(() => verifyManifest(reordered, trusted)).not.toThrow();
    expect(() => verifyManifest(JSON.parse(JSON.stringify(signed)), trusted)).not.toThrow();
  });

  it('BAD INPUT - manifest changed after signing (threshold raised) → BAD_SIGNATURE', () => {
    const signed = signManifest(unsigned, key.privateKeyPem, key.keyId);
    expectCode(() => verifyManifest({ ...signed, threshold: 99 }, trusted), 'BAD_SIGNATURE');
  });

  it('BAD INPUT - artifact hash swapped after signing → BAD_SIGNATURE', () => {
    const signed = signManifest(unsigned, key.privateKeyPem, key.keyId);
    expectCode(
      () => verifyManifest({ ...signed, artifact: { ...signed.artifact, sha256: 'b'.repeat(64) } }, trusted),
      'BAD_SIGNATURE',
    );
  });

  it('BAD INPUT - signed with a different key under a trusted key id → BAD_SIGNATURE', () => {
    const other = generateSigningKey('takt-2026');
    const forged = signManifest(unsigned, other.privateKeyPem, 'takt-2026');
    expectCode(() => verifyManifest(forged, trusted), 'BAD_SIGNATURE');
  });

  it('BAD INPUT - signed by a key id nobody trusts → UNKNOWN_KEY', () => {
    const other = generateSigningKey('rogue');
    expectCode(() => verifyManifest(signManifest(unsigned, other.privateKeyPem, 'rogue'), trusted), 'UNKNOWN_KEY');
    expectCode(() => verifyManifest(signManifest(unsigned, key.privateKeyPem, key.keyId), {}), 'UNKNOWN_KEY');
  });

  it('BAD INPUT - unsigned manifest → UNSIGNED', () => {
    expectCode(() => verifyManifest(unsigned, trusted), 'UNSIGNED');
  });

  it('BAD INPUT - signature that is not base64 of a signature → BAD_SIGNATURE or INVALID_MANIFEST', () => {
    const signed = signManifest(unsigned, key.privateKeyPem, key.keyId);
    const sig = { alg: 'ed25519' as const, keyId: key.keyId };
    expectCode(() => verifyManifest({ ...signed, signature: { ...sig, value: 'AAAA' } }, trusted), 'BAD_SIGNATURE');
    expectCode(() => verifyManifest({ ...signed, signature: { ...sig, value: '***' } }, trusted), 'INVALID_MANIFEST');
  });

  it('BAD INPUT - manifest breaking the contract → INVALID_MANIFEST', () => {
    expectCode(() => verifyManifest({ ...sampleManifest(), version: 0 }, trusted), 'INVALID_MANIFEST');
    expectCode(() => signManifest({ ...unsigned, name: 'Bad Name' }, key.privateKeyPem, key.keyId), 'INVALID_MANIFEST');
  });

  it('BAD INPUT - RSA key, garbage PEM, bad key id → INVALID_KEY', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    expectCode(() => signManifest(unsigned, rsa, 'k1'), 'INVALID_KEY');
    expectCode(() => signManifest(unsigned, 'not a key', 'k1'), 'INVALID_KEY');
    expectCode(() => generateSigningKey('has space'), 'INVALID_KEY');
    const signed = signManifest(unsigned, key.privateKeyPem, key.keyId);
    expectCode(() => verifyManifest(signed, { [key.keyId]: 'garbage' }), 'INVALID_KEY');
  });
});
