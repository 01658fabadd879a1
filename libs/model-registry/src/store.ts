import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ID_PATTERN, type ArtifactRef, type ModelManifest, type RollbackGrant } from '@takt/contracts';
import { SerialQueue } from '@takt/runtime';
import { artifactRef, checkDigest, hashFile, sha256Hex } from './artifact.js';
import { RegistryError } from './errors.js';
import { writeFileAtomic } from '@takt/runtime';
import { parseManifest } from './manifest.js';
import { KeySigner, type Signer } from './signer.js';

export interface ModelRegistryOptions {
  /** root folder: `blobs/sha256/<hash>` and `models/<name>/<version>/manifest.json`; created when missing */
  dir: string;
  /** when set, every registered manifest is signed with it (in this process; see `signer`) */
  signingKey?: { keyId: string; privateKeyPem: string };
  /** signs every registered manifest and rollback grant; e.g. a `SocketSigner` to a separate signer process */
  signer?: Signer;
}

/** What `register` takes: the manifest without what the registry fills in (artifact refs, signature). */
export interface RegisterInput {
  manifest: Omit<ModelManifest, 'artifact' | 'signature' | 'variants'>;
  /** the main artifact, e.g. the fp32 ONNX model */
  artifact: Uint8Array;
  /** other encodings of the same model by name, e.g. `{ int8: bytes }` */
  variants?: Record<string, Uint8Array>;
}

/**
 * An on-disk, content-addressed model store. Artifacts live once under their SHA-256; each
 * model name has versions that only go up. Manifest files are written last and atomically, so a
 * crash mid-register never leaves a manifest pointing at a missing blob.
 */
export class ModelRegistry {
  readonly #dir: string;
  readonly #signer: Signer | undefined;
  /** registrations, one at a time; a refused one does not stop the next */
  readonly #registrations = new SerialQueue();

  constructor(opts: ModelRegistryOptions) {
    this.#dir = opts.dir;
    this.#signer = opts.signer ?? (opts.signingKey ? new KeySigner(opts.signingKey) : undefined);
  }

  /** Stores artifacts and a (signed) manifest as the next version of its name; refuses a version ≤ the latest. */
  register(input: RegisterInput): Promise<ModelManifest> {
    return this.#registrations.run(() => this.#register(input));
  }

  async #register(input: RegisterInput): Promise<ModelManifest> {
    const { name, version } = input.manifest;
    assertName(name);
    const latest = await this.latest(name);
    if (latest && version <= latest.version) {
      throw new RegistryError(
        'VERSION_NOT_INCREASING',
        `model ${name}: version ${version} is not above the latest registered version ${latest.version}`,
      );
    }
    const artifact = refOf(input.artifact, 'model.onnx');
    const blobs: [ArtifactRef, Uint8Array][] = [[artifact, input.artifact]];
    const variants: Record<string, ArtifactRef> = {};
    for (const [variant, bytes] of Object.entries(input.variants ?? {})) {
      const ref = refOf(bytes, `model.${variant}.onnx`);
      variants[variant] = ref;
      blobs.push([ref, bytes]);
    }
    const draft = { ...input.manifest, artifact, ...(input.variants ? { variants } : {}) };
    // validate and sign before anything touches the disk
    const manifest = this.#signer ? await this.#signer.signManifest(parseManifest(draft)) : parseManifest(draft);
    for (const [ref, bytes] of blobs) await this.#putBlob(ref, bytes);
    const versionDir = join(this.#dir, 'models', name, String(version));
    await mkdir(join(this.#dir, 'models', name), { recursive: true });
    try {
      await mkdir(versionDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new RegistryError('VERSION_NOT_INCREASING', `model ${name}: version ${version} already exists`);
      throw err;
    }
    await writeFileAtomic(join(versionDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  }

  async #putBlob(ref: ArtifactRef, bytes: Uint8Array): Promise<void> {
    const path = this.#blobPath(ref.sha256);
    await mkdir(join(this.#dir, 'blobs', 'sha256'), { recursive: true });
    const existing = await hashFile(path).catch(() => undefined);
    if (existing?.sha256 !== ref.sha256) await writeFileAtomic(path, bytes); // absent, or damaged on disk: heal it
  }

  #blobPath(sha256: string): string {
    return join(this.#dir, 'blobs', 'sha256', sha256);
  }

  /** Every manifest of every model, newest first (creation time, then version). */
  async list(): Promise<ModelManifest[]> {
    const names = await listDir(join(this.#dir, 'models'));
    const all: ModelManifest[] = [];
    for (const name of names.filter((n) => ID_PATTERN.test(n))) {
      for (const version of await this.#versions(name)) all.push(await this.get(name, version));
    }
    return all.sort((a, b) => b.createdAt - a.createdAt || b.version - a.version || a.name.localeCompare(b.name));
  }

  /** One manifest; `NOT_FOUND` when that name/version was never registered, `INVALID_MANIFEST` when its file is corrupt. */
  async get(name: string, version: number): Promise<ModelManifest> {
    assertName(name);
    if (!Number.isInteger(version) || version < 1)
      throw new RegistryError('NOT_FOUND', `model ${name}: no version ${version}`);
    let text: string;
    try {
      text = await readFile(join(this.#dir, 'models', name, String(version), 'manifest.json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new RegistryError('NOT_FOUND', `model ${name}: no version ${version}`);
      throw err;
    }
    return parseManifest(text);
  }

  /** The highest version of a model, or `undefined` when none is registered. */
  /**
   * A signed permission for `devices` to go back to `version` of `name` (see `verifyRollbackGrant`):
   * what the edge needs to accept a version lower than the highest it applied.
   */
  grantRollback(name: string, version: number, devices: string[], ttlMs?: number): Promise<RollbackGrant> {
    if (!this.#signer) throw new RegistryError('INVALID_KEY', 'this registry has no signer: it cannot grant rollbacks');
    return this.#signer.signRollbackGrant({ model: name, version, devices, ...(ttlMs ? { ttlMs } : {}) });
  }

  async latest(name: string): Promise<ModelManifest | undefined> {
    assertName(name);
    const versions = await this.#versions(name);
    return versions.length === 0 ? undefined : this.get(name, versions[0] as number);
  }

  /** Versions of a name that have a manifest, highest first. */
  async #versions(name: string): Promise<number[]> {
    const entries = await listDir(join(this.#dir, 'models', name));
    const versions: number[] = [];
    for (const e of entries.filter((v) => /^[1-9][0-9]*$/.test(v))) {
      if (await stat(join(this.#dir, 'models', name, e, 'manifest.json')).catch(() => undefined))
        versions.push(Number(e));
    }
    return versions.sort((a, b) => b - a);
  }

  /** Path of the blob holding the main artifact or a variant (e.g. `int8`). */
  /** The stored blob of a content hash (lower-case hex SHA-256), or undefined when the registry has none. */
  async blobByHash(sha256: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const path = this.#blobPath(sha256);
    return (await stat(path).catch(() => undefined))?.isFile() ? path : undefined;
  }

  artifactPath(m: ModelManifest, variant?: string): string {
    return this.#blobPath(artifactRef(m, variant).sha256);
  }

  /** Reads an artifact and checks it against the manifest (`TRUNCATED`, `HASH_MISMATCH`, `NOT_FOUND`). */
  async readArtifact(m: ModelManifest, variant?: string): Promise<Uint8Array> {
    const ref = artifactRef(m, variant);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#blobPath(ref.sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new RegistryError('NOT_FOUND', `blob ${ref.sha256} of ${m.name} v${m.version} is missing`);
      throw err;
    }
    checkDigest(
      ref,
      { bytes: bytes.length, sha256: sha256Hex(bytes) },
      `stored artifact ${variant ?? 'main'} of ${m.name} v${m.version}`,
    );
    return bytes;
  }
}

function refOf(bytes: Uint8Array, file: string): ArtifactRef {
  if (bytes.length === 0) throw new RegistryError('INVALID_MANIFEST', `artifact ${file} is empty`);
  return { file, sha256: sha256Hex(bytes), bytes: bytes.length };
}

function assertName(name: string): void {
  if (!ID_PATTERN.test(name))
    throw new RegistryError('NOT_FOUND', `model name ${JSON.stringify(name)} must match ${ID_PATTERN.source}`);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
