import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeManifest, type ModelKind, type ModelManifest } from '@takt/contracts';
import { SerialQueue } from '@takt/runtime';

/** `active.json`: the manifest each device runs, by kind. */
export type ActiveFile = Record<string /* deviceId */, Partial<Record<ModelKind, ModelManifest>>>;
/** `highwater.json`: the highest version of each model a device ever applied. */
export type HighWaterFile = Record<string /* deviceId */, Record<string /* model name */, number>>;

/**
 * Model files on the edge box: artifacts by content hash (`<dataDir>/models/blobs/<sha256>.onnx`)
 * and which manifest each device runs (`active.json`), so a restart comes back on the same models.
 */
export class ModelStore {
  readonly #dir: string;
  #active: ActiveFile = {};
  #highWater: HighWaterFile = {};
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
    try {
      this.#highWater = JSON.parse(await readFile(join(this.#dir, 'highwater.json'), 'utf8')) as HighWaterFile;
    } catch {
      this.#highWater = {};
    }
  }

  /**
   * The highest version of `model` the device ever applied (0 when none): the edge refuses to go
   * below it without a signed rollback grant. Survives restarts; a box upgraded from before the file
   * existed starts from the versions it runs.
   */
  highWater(deviceId: string, model: string): number {
    const running = this.activeFor(deviceId)
      .filter((m) => m.name === model)
      .map((m) => m.version);
    return Math.max(0, this.#highWater[deviceId]?.[model] ?? 0, ...running);
  }

  /** Records that the device applied `version` of `model` (no-op unless it is higher than before). */
  raiseHighWater(deviceId: string, model: string, version: number): Promise<void> {
    return this.#saves.run(async () => {
      if ((this.#highWater[deviceId]?.[model] ?? 0) >= version) return;
      const next: HighWaterFile = {
        ...this.#highWater,
        [deviceId]: { ...this.#highWater[deviceId], [model]: version },
      };
      await writeJsonAtomic(join(this.#dir, 'highwater.json'), next);
      this.#highWater = next;
    });
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

  #save(
    deviceId: string,
    change: (models: Partial<Record<ModelKind, ModelManifest>>) => Partial<Record<ModelKind, ModelManifest>>,
  ): Promise<void> {
    return this.#saves.run(async () => {
      const next: ActiveFile = { ...this.#active, [deviceId]: change(this.#active[deviceId] ?? {}) };
      await this.write(next);
      this.#active = next;
    });
  }

  /** Writes `active.json` atomically (synced temp file, rename). A seam for fault-injection tests. */
  protected async write(active: ActiveFile): Promise<void> {
    await writeJsonAtomic(join(this.#dir, 'active.json'), active);
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const fh = await open(`${file}.tmp`, 'w');
  try {
    await fh.writeFile(JSON.stringify(value));
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(`${file}.tmp`, file);
}
