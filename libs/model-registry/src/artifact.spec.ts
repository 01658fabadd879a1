import { describe, expect, it } from 'vitest';
import { sampleManifest } from '@takt/contracts/testing';
import { sha256Hex, verifyArtifact } from './artifact.js';
import { RegistryError } from './errors.js';

const bytes = Buffer.from('onnx model bytes, pretend'.repeat(40));
const manifest = sampleManifest({
  artifact: { file: 'model.onnx', sha256: sha256Hex(bytes), bytes: bytes.length },
  variants: { int8: { file: 'model.int8.onnx', sha256: sha256Hex(bytes.subarray(0, 100)), bytes: 100 } },
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    return (err as RegistryError).code;
  }
  return undefined;
}

describe('verifyArtifact', () => {
  it('accepts the exact bytes, for the main artifact and a variant', () => {
    expect(() => verifyArtifact(manifest, bytes)).not.toThrow();
    expect(() => verifyArtifact(manifest, bytes.subarray(0, 100), 'int8')).not.toThrow();
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('BAD INPUT - one flipped byte (tampered artifact) → HASH_MISMATCH', () => {
    const tampered = Buffer.from(bytes);
    tampered.writeUInt8(tampered.readUInt8(500) ^ 0x01, 500);
    expect(codeOf(() => verifyArtifact(manifest, tampered))).toBe('HASH_MISMATCH');
  });

  it('BAD INPUT - truncated file → TRUNCATED', () => {
    expect(codeOf(() => verifyArtifact(manifest, bytes.subarray(0, bytes.length - 1)))).toBe('TRUNCATED');
    expect(codeOf(() => verifyArtifact(manifest, new Uint8Array(0)))).toBe('TRUNCATED');
  });

  it('BAD INPUT - extra bytes appended → HASH_MISMATCH', () => {
    expect(codeOf(() => verifyArtifact(manifest, Buffer.concat([bytes, Buffer.from([0])])))).toBe('HASH_MISMATCH');
  });

  it('BAD INPUT - manifest whose hash does not match the artifact → HASH_MISMATCH', () => {
    const wrong = { ...manifest, artifact: { ...manifest.artifact, sha256: 'c'.repeat(64) } };
    expect(codeOf(() => verifyArtifact(wrong, bytes))).toBe('HASH_MISMATCH');
  });

  it('BAD INPUT - variant the manifest does not have → NOT_FOUND', () => {
    expect(codeOf(() => verifyArtifact(manifest, bytes, 'fp16'))).toBe('NOT_FOUND');
    expect(codeOf(() => verifyArtifact(manifest, bytes, '__proto__'))).toBe('NOT_FOUND');
  });
});
