import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeManifest, type ModelKind, type ModelManifest } from '@takt/contracts';

type ActiveFile = Record<string /* deviceId */, Partial<Record<ModelKind, ModelManifest>>>;

/**
 * Model files on the edge box: artifacts by content hash (`<dataDir>/models/blobs/<sha256>.onnx`)
 * and which manifest each device runs (`active.json`), so a restart comes back on the same models.
 */
export class ModelStore {
  readonly #dir: string;
  #active: ActiveFile = {};

  constructor(dataDir: string) {
    this.#dir = join(dataDir, 'models');
  }

  async open(): Promise<void> {
    await mkdir(join(this.#dir, 'blobs'), { recursive: true });
    try {
      this.#active = JSON.parse(await readFile(join(this.#dir, 'active.json'), 'utf8')) as ActiveFile;
    } catch {
      this.#active = {};
    }
  }

  blobPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new RangeError(`sha256 ${JSON.stringify(sha256)} is not 64 hex digits`);
    return join(this.#dir, 'blobs', `${sha256}.onnx`);
  }

  /** Manifests a device ran at the last save (re-validated against the contract). */
  activeFor(deviceId: string): ModelManifest[] {
    return Object.values(this.#active[deviceId] ?? {}).flatMap((m) => {
      try {
        return [decodeManifest(m)];
      } catch {
        return [];
      }
    });
  }

  /** saves run one after another: devices of one box apply models concurrently and share the file */
  #saving: Promise<void> = Promise.resolve();

  setActive(deviceId: string, manifest: ModelManifest): Promise<void> {
    this.#active[deviceId] = { ...this.#active[deviceId], [manifest.kind]: manifest };
    const file = join(this.#dir, 'active.json');
    const save = async () => {
      await writeFile(`${file}.tmp`, JSON.stringify(this.#active));
      await rename(`${file}.tmp`, file);
    };
    const next = this.#saving.then(save, save);
    this.#saving = next.catch(() => undefined);
    return next;
  }
}
