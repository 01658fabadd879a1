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
  if (!KEY_ID.test(keyId)) throw new RegistryError('INVALID_KEY', `key id ${JSON.stringify(keyId)} must match ${KEY_ID.source}`);
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
    throw new RegistryError('INVALID_KEY', `${kind} key ${JSON.stringify(keyId)} is not a readable PEM key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new RegistryError('INVALID_KEY', `${kind} key ${JSON.stringify(keyId)} is ${key.asymmetricKeyType}, not ed25519`);
  return key;
}

/** Signs a manifest (any existing signature is replaced); the result is validated against the contract. */
export function signManifest(m: Omit<ModelManifest, 'signature'> & { signature?: unknown }, privateKeyPem: string, keyId: string): ModelManifest {
  assertKeyId(keyId);
  const key = ed25519Key(privateKeyPem, 'private', keyId);
  const { signature: _old, ...draft } = m;
  const body = parseManifest(draft); // validate (and drop unknown junk) before anything is signed
  const value = sign(null, manifestSigningBytes(body), key).toString('base64');
  return parseManifest({ ...body, signature: { alg: 'ed25519', keyId, value } });
}

/**
 * Checks a manifest's Ed25519 signature against the trusted public keys (key id → SPKI PEM).
 * Throws `RegistryError`: `INVALID_MANIFEST`, `UNSIGNED`, `UNKNOWN_KEY` or `BAD_SIGNATURE`.
 */
export function verifyManifest(m: ModelManifest, trustedKeys: Record<string, string>): void {
  const manifest = parseManifest(m);
  const sig = manifest.signature;
  if (!sig) throw new RegistryError('UNSIGNED', `manifest ${manifest.name} v${manifest.version} carries no signature`);
  const pem = Object.hasOwn(trustedKeys, sig.keyId) ? trustedKeys[sig.keyId] : undefined;
  if (pem === undefined) throw new RegistryError('UNKNOWN_KEY', `manifest ${manifest.name} v${manifest.version} is signed by key ${JSON.stringify(sig.keyId)}, which is not trusted`);
  const key = ed25519Key(pem, 'public', sig.keyId);
  const ok = verify(null, manifestSigningBytes(manifest), key, Buffer.from(sig.value, 'base64'));
  if (!ok) throw new RegistryError('BAD_SIGNATURE', `manifest ${manifest.name} v${manifest.version}: signature by key ${JSON.stringify(sig.keyId)} does not verify`);
}
