import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeManifest, type ModelKind, type ModelManifest } from '@takt/contracts';
import { SerialQueue } from '@takt/runtime';

/** `active.json`: the manifest each device runs, by kind. */
export type ActiveFile = Record<string /* deviceId */, Partial<Record<ModelKind, ModelManifest>>>;

/**
 * Model files on the edge box: artifacts by content hash (`<dataDir>/models/blobs/<sha256>.onnx`)
 * and which manifest each device runs (`active.json`), so a restart comes back on the same models.
 */
export class ModelStore {
  readonly #dir: string;
  #active: ActiveFile = {};
  /** saves run one after another: devices of one box apply models concurrently and share the file */
  readonly #saves = new SerialQueue();

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

  /** Saves `manifest` as the device's model of its kind; on a failed write nothing changes, in memory or on disk. */
  setActive(deviceId: string, manifest: ModelManifest): Promise<void> {
    return this.#save(deviceId, (models) => ({ ...models, [manifest.kind]: manifest }));
  }

  /** Saves that the device runs no model of `kind`. */
  clearActive(deviceId: string, kind: ModelKind): Promise<void> {
    return this.#save(deviceId, ({ [kind]: _dropped, ...rest }) => rest);
  }

  #save(deviceId: string, change: (models: Partial<Record<ModelKind, ModelManifest>>) => Partial<Record<ModelKind, ModelManifest>>): Promise<void> {
    return this.#saves.run(async () => {
      const next: ActiveFile = { ...this.#active, [deviceId]: change(this.#active[deviceId] ?? {}) };
      await this.write(next);
      this.#active = next;
    });
  }

  /** Writes `active.json` atomically (synced temp file, rename). A seam for fault-injection tests. */
  protected async write(active: ActiveFile): Promise<void> {
    const file = join(this.#dir, 'active.json');
    const fh = await open(`${file}.tmp`, 'w');
    try {
      await fh.writeFile(JSON.stringify(active));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(`${file}.tmp`, file);
  }
}
