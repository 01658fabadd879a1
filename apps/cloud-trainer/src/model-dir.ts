import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContractError, decodeManifest, type ModelManifest } from '@takt/contracts';
import { RegistryError, sha256Hex, verifyArtifact } from '@takt/model-registry';
import { TrainerError } from './errors.js';

/** A manifest before its artifact references are filled in. */
export type ManifestDraft = Omit<ModelManifest, 'artifact' | 'variants' | 'signature'>;

const fileOf = (variant?: string) => (variant === undefined ? 'model.onnx' : `model.${variant}.onnx`);

/**
 * Writes a model folder: `model.onnx`, `model.<variant>.onnx` for each variant (e.g. `int8`), and
 * `manifest.json` (unsigned; the registry signs what it registers) — validated before anything is written.
 */
export function writeModelDir(
  dir: string,
  draft: ManifestDraft,
  artifact: Uint8Array,
  variants: Record<string, Uint8Array> = {},
): ModelManifest {
  const ref = (bytes: Uint8Array, variant?: string) => ({
    file: fileOf(variant),
    sha256: sha256Hex(bytes),
    bytes: bytes.length,
  });
  const names = Object.keys(variants);
  const manifest = decodeManifest({
    ...draft,
    artifact: ref(artifact),
    ...(names.length > 0
      ? { variants: Object.fromEntries(names.map((v) => [v, ref(variants[v] as Uint8Array, v)])) }
      : {}),
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, fileOf()), artifact);
  for (const v of names) writeFileSync(join(dir, fileOf(v)), variants[v] as Uint8Array);
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads a model folder's manifest and one artifact, checked against the manifest's size and SHA-256. */
export function readModelDir(dir: string, variant?: string): { manifest: ModelManifest; bytes: Uint8Array } {
  let manifest: ModelManifest;
  try {
    manifest = decodeManifest(readFileSync(join(dir, 'manifest.json')));
  } catch (err) {
    if (err instanceof ContractError)
      throw new TrainerError('BAD_MODEL', `${dir}/manifest.json is not a valid model manifest: ${err.message}`);
    throw new TrainerError('NOT_FOUND', `cannot read ${dir}/manifest.json: ${(err as Error).message}`);
  }
  const file = variant === undefined ? manifest.artifact.file : manifest.variants?.[variant]?.file;
  if (!file)
    throw new TrainerError(
      'BAD_MODEL',
      `model ${manifest.name} v${manifest.version} in ${dir} has no ${variant} variant`,
    );
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(dir, file));
  } catch (err) {
    throw new TrainerError('NOT_FOUND', `cannot read ${dir}/${file}: ${(err as Error).message}`);
  }
  try {
    verifyArtifact(manifest, bytes, variant);
  } catch (err) {
    if (err instanceof RegistryError) throw new TrainerError('BAD_MODEL', `${dir}/${file}: ${err.message}`);
    throw err;
  }
  return { manifest, bytes };
}
