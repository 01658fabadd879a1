import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { ModelManifest } from '@takt/contracts';
import { canonicalJson } from './canonical.js';
import { RegistryError } from './errors.js';
import { parseManifest } from './manifest.js';

/** An Ed25519 signing key and its public half, both PEM. */
export interface SigningKey {
  keyId: string;
  /** PKCS#8 PEM; keep it secret */
  privateKeyPem: string;
  /** SPKI PEM; give it to every verifier */
  publicKeyPem: string;
}

const KEY_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

function assertKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId))
    throw new RegistryError('INVALID_KEY', `key id ${JSON.stringify(keyId)} must match ${KEY_ID.source}`);
}

/** A fresh Ed25519 key pair named `keyId` (letters, digits, `_.:-`, at most 64). */
export function generateSigningKey(keyId: string): SigningKey {
  assertKeyId(keyId);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    keyId,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** The bytes a signature covers: the canonical JSON of the manifest without its `signature` field. */
export function manifestSigningBytes(m: Omit<ModelManifest, 'signature'> & { signature?: unknown }): Buffer {
  const { signature: _signature, ...body } = m;
  return Buffer.from(canonicalJson(body), 'utf8');
}

function ed25519Key(pem: string, kind: 'private' | 'public', keyId: string): KeyObject {
  let key: KeyObject;
  try {
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    throw new RegistryError('INVALID_KEY', `${kind} key ${JSON.stringify(keyId)} is not a readable PEM key`, {
      cause: err,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new RegistryError(
      'INVALID_KEY',
      `${kind} key ${JSON.stringify(keyId)} is ${key.asymmetricKeyType}, not ed25519`,
    );
  return key;
}

/** An Ed25519 signature of `bytes` by `keyId`, as manifests and rollback grants carry it. */
export function signBytes(
  bytes: Buffer,
  privateKeyPem: string,
  keyId: string,
): { alg: 'ed25519'; keyId: string; value: string } {
  assertKeyId(keyId);
  return {
    alg: 'ed25519',
    keyId,
    value: sign(null, bytes, ed25519Key(privateKeyPem, 'private', keyId)).toString('base64'),
  };
}

/** Checks a signature of `bytes` against the trusted keys; `what` names the signed thing in errors (`UNKNOWN_KEY`, `BAD_SIGNATURE`). */
export function verifyBytes(
  bytes: Buffer,
  sig: { keyId: string; value: string },
  trustedKeys: Record<string, string>,
  what: string,
): void {
  const pem = Object.hasOwn(trustedKeys, sig.keyId) ? trustedKeys[sig.keyId] : undefined;
  if (pem === undefined)
    throw new RegistryError(
      'UNKNOWN_KEY',
      `${what} is signed by key ${JSON.stringify(sig.keyId)}, which is not trusted`,
    );
  if (!verify(null, bytes, ed25519Key(pem, 'public', sig.keyId), Buffer.from(sig.value, 'base64'))) {
    throw new RegistryError('BAD_SIGNATURE', `${what}: signature by key ${JSON.stringify(sig.keyId)} does not verify`);
  }
}

/** Signs a manifest (any existing signature is replaced); the result is validated against the contract. */
export function signManifest(
  m: Omit<ModelManifest, 'signature'> & { signature?: unknown },
  privateKeyPem: string,
  keyId: string,
): ModelManifest {
  const { signature: _old, ...draft } = m;
  const body = parseManifest(draft); // validate (and drop unknown junk) before anything is signed
  return parseManifest({ ...body, signature: signBytes(manifestSigningBytes(body), privateKeyPem, keyId) });
}

/**
 * Checks a manifest's Ed25519 signature against the trusted public keys (key id → SPKI PEM).
 * Throws `RegistryError`: `INVALID_MANIFEST`, `UNSIGNED`, `UNKNOWN_KEY` or `BAD_SIGNATURE`.
 */
export function verifyManifest(m: ModelManifest, trustedKeys: Record<string, string>): void {
  const manifest = parseManifest(m);
  const sig = manifest.signature;
  if (!sig) throw new RegistryError('UNSIGNED', `manifest ${manifest.name} v${manifest.version} carries no signature`);
  verifyBytes(manifestSigningBytes(manifest), sig, trustedKeys, `manifest ${manifest.name} v${manifest.version}`);
}
