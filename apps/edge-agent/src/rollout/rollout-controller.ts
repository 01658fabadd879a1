import { readFile, stat } from 'node:fs/promises';
import {
  errorCode,
  type DesiredModel,
  type DeviceAddress,
  type ModelKind,
  type ModelManifest,
  type ROLLOUT_STATUSES,
} from '@takt/contracts';
import { downloadArtifact, hashFile, verifyArtifact, verifyManifest, verifyRollbackGrant } from '@takt/model-registry';
import { KeyedSerialQueue, type Logger } from '@takt/runtime';
import { EdgeError } from '../errors.js';
import { LoadedModel } from '../inference/loaded-model.js';
import type { Ort, SessionOptions } from '../inference/ort.js';
import type { DeviceModels } from '../device/device-models.js';
import type { ModelStore } from './model-store.js';
import { smokeTest } from './smoke-test.js';

export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** failure codes of a download that may succeed later (a stalled or failing registry) */
const TRANSIENT = new Set(['ABORTED', 'DOWNLOAD_FAILED']);

export interface RolloutReport {
  rolloutId: string;
  name: string;
  version: number;
  status: RolloutStatus;
  reason?: string;
  /** stable code of the failure */
  code?: string;
  at: number;
}

export interface RolloutDeps {
  ort: Ort;
  store: ModelStore;
  session: Omit<SessionOptions, 'logger'>;
  /** trusted Ed25519 public keys: key id → SPKI PEM */
  trustedKeys: Record<string, string>;
  /** bearer token for artifact downloads, sent only to `registryUrl` */
  token?: string;
  /** the registry's base URL: artifacts are fetched from `<registryUrl>/api/artifacts/sha256/<hash>` only */
  registryUrl?: string;
  /** bytes an artifact may have, enforced on the manifest and while streaming */
  maxArtifactBytes: number;
  downloadRetries: number;
  /** ms a download may take in all, retries included, before it is given up (ABORTED); default 600_000 */
  downloadTimeoutMs?: number;
  /** ms budget of the smoke test */
  smokeBudgetMs: number;
  models: (deviceId: string) => DeviceModels;
  report: (address: DeviceAddress, r: RolloutReport) => void;
  logger: Logger;
}

/**
 * Applies `model/desired` to a device: verify the signature, download (resume, retry) and verify the
 * artifact, load it beside the running model, smoke-test it, swap atomically, persist; on any
 * failure the device stays on the model it runs and the report says why.
 */
export class RolloutController {
  readonly #deps: RolloutDeps;
  /** one rollout at a time per device; a failed one does not hold up the next */
  readonly #queues = new KeyedSerialQueue<string>();
  /** `${device}/${rolloutId}/${version}` already decided (a retained message comes back on every reconnect) */
  readonly #decided = new Set<string>();
  /** the newest desired model per device: one queued behind a newer one is skipped (rapid flips apply once) */
  readonly #latest = new Map<string, DesiredModel>();

  constructor(deps: RolloutDeps) {
    this.#deps = deps;
  }

  /**
   * Queues a desired model for a device (one rollout at a time per device). Every failure is
   * reported; the promise rejects only on a fault outside the rollout steps, and even then the
   * device's next desired model still runs. A desired model superseded by a newer one before its
   * turn is skipped.
   */
  handle(address: DeviceAddress, desired: DesiredModel): Promise<void> {
    this.#latest.set(address.device, desired);
    return this.#queues.run(address.device, async () => {
      if (this.#latest.get(address.device) !== desired) return; // superseded while queued
      await this.#apply(address, desired);
    });
  }

  /**
   * Saves the model a device fell back to after a run-time rollback, so a restart comes back on
   * it rather than on the model that failed. Queued behind the device's rollouts.
   */
  persistRollback(address: DeviceAddress, kind: ModelKind): Promise<void> {
    return this.#queues.run(address.device, async () => {
      const current = this.#deps.models(address.device).current(kind);
      if (current) await this.#deps.store.setActive(address.device, current.manifest);
      else await this.#deps.store.clearActive(address.device, kind);
    });
  }

  /** Loads the models a device ran before a restart, verifying hash and signature again and smoke-testing each. */
  restore(address: DeviceAddress): Promise<void> {
    return this.#queues.run(address.device, async () => {
      for (const manifest of this.#deps.store.activeFor(address.device)) await this.#restoreOne(address, manifest);
    });
  }

  async #restoreOne(address: DeviceAddress, manifest: ModelManifest): Promise<void> {
    let model: LoadedModel | undefined;
    try {
      verifyManifest(manifest, this.#deps.trustedKeys);
      const bytes = await this.#readVerified(manifest);
      model = await LoadedModel.load(this.#deps.ort, bytes, manifest, {
        ...this.#deps.session,
        logger: this.#deps.logger,
      });
      await smokeTest(model, this.#deps.models(address.device).recorded, this.#deps.smokeBudgetMs);
      this.#deps.models(address.device).swap(model);
      this.#deps.logger.info(
        { device: address.device, model: manifest.name, version: manifest.version, provider: model.provider },
        'model restored',
      );
    } catch (err) {
      await model?.release();
      this.#deps.logger.error(
        { device: address.device, model: manifest.name, version: manifest.version, err: (err as Error).message },
        'stored model not restored',
      );
    }
  }

  async #apply(address: DeviceAddress, desired: DesiredModel): Promise<void> {
    const m = desired.manifest;
    const key = `${address.device}/${desired.rolloutId}/${m.version}`;
    const models = this.#deps.models(address.device);
    const cur = models.current(m.kind);
    if (
      cur &&
      cur.manifest.name === m.name &&
      cur.manifest.version === m.version &&
      cur.manifest.artifact.sha256 === m.artifact.sha256
    )
      return;
    if (this.#decided.has(key)) return;
    const report = (status: RolloutStatus, err?: unknown) =>
      this.#deps.report(address, {
        rolloutId: desired.rolloutId,
        name: m.name,
        version: m.version,
        status,
        at: Date.now(),
        ...(err ? { reason: (err as Error).message.slice(0, 1000), code: errorCode(err, 'ERROR') } : {}),
      });
    let bytes: Uint8Array;
    try {
      report('downloading');
      verifyManifest(m, this.#deps.trustedKeys);
      this.#checkVersion(address.device, desired);
      await this.#download(desired);
      report('verifying');
      bytes = await this.#readVerified(m);
    } catch (err) {
      // a stalled or failing registry is tried again when the desired model comes back; a bad model is not
      if (!TRANSIENT.has(errorCode(err, ''))) this.#decided.add(key);
      this.#deps.logger.warn(
        { device: address.device, model: m.name, version: m.version, err: (err as Error).message },
        'rollout refused',
      );
      report('rejected', err);
      return;
    }
    let loaded: LoadedModel | undefined;
    try {
      loaded = await LoadedModel.load(this.#deps.ort, bytes, m, { ...this.#deps.session, logger: this.#deps.logger });
      await smokeTest(loaded, models.recorded, this.#deps.smokeBudgetMs);
    } catch (err) {
      this.#decided.add(key);
      await loaded?.release();
      this.#deps.logger.warn(
        { device: address.device, model: m.name, version: m.version, err: (err as Error).message },
        'new model failed its smoke test; staying on the previous one',
      );
      report('rolled-back', err);
      return;
    }
    try {
      await this.#deps.store.setActive(address.device, m);
    } catch (err) {
      await loaded.release();
      const e = new EdgeError(
        'MODEL_STORE_FAILED',
        `${m.name} v${m.version} not applied: saving the active model failed: ${(err as Error).message}`,
        { cause: err },
      );
      this.#deps.logger.error(
        { device: address.device, model: m.name, version: m.version, err: e.message },
        'rollout not applied',
      );
      report('rolled-back', e); // not decided: the same desired model is tried again when it comes back
      return;
    }
    models.swap(loaded);
    this.#decided.add(key);
    // if this fails, a restart still starts from the version active.json holds
    await this.#deps.store
      .raiseHighWater(address.device, m.name, m.version)
      .catch((err: Error) =>
        this.#deps.logger.warn(
          { device: address.device, model: m.name, err: err.message },
          'high-water mark not saved',
        ),
      );
    this.#deps.logger.info(
      { device: address.device, model: m.name, version: m.version, provider: loaded.provider },
      'model applied',
    );
    report('applied');
  }

  /**
   * A version lower than the highest this device applied is a downgrade: refused unless the message
   * carries a rollback grant, signed by a trusted key, for this model, version and device.
   */
  #checkVersion(device: string, desired: DesiredModel): void {
    const m = desired.manifest;
    const highest = this.#deps.store.highWater(device, m.name);
    if (m.version >= highest) return;
    if (!desired.rollbackGrant)
      throw new EdgeError(
        'DOWNGRADE_REFUSED',
        `${m.name} v${m.version} is older than v${highest}, which this device applied; a rollback needs a signed grant`,
      );
    try {
      verifyRollbackGrant(desired.rollbackGrant, this.#deps.trustedKeys, { model: m.name, version: m.version, device });
    } catch (err) {
      throw new EdgeError(
        'DOWNGRADE_REFUSED',
        `${m.name} v${m.version} is older than v${highest}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** downloads in flight by artifact hash: devices of one box that get the same model share one download */
  readonly #downloads = new Map<string, Promise<void>>();

  #download(desired: DesiredModel): Promise<void> {
    const sha = desired.manifest.artifact.sha256;
    let running = this.#downloads.get(sha);
    if (!running) {
      running = this.#fetchArtifact(desired).finally(() => this.#downloads.delete(sha));
      this.#downloads.set(sha, running);
    }
    return running;
  }

  async #fetchArtifact(desired: DesiredModel): Promise<void> {
    const ref = desired.manifest.artifact;
    const dest = this.#deps.store.blobPath(ref.sha256);
    const have = await stat(dest).catch(() => undefined);
    if (have && have.size === ref.bytes && (await hashFile(dest)).sha256 === ref.sha256) return;
    if (ref.bytes > this.#deps.maxArtifactBytes)
      throw new EdgeError(
        'ROLLOUT_REFUSED',
        `artifact of ${desired.manifest.name} v${desired.manifest.version} has ${ref.bytes} bytes, more than rollout.maxArtifactBytes (${this.#deps.maxArtifactBytes})`,
      );
    // by content address from the configured registry only: a URL in a message is never followed, so
    // the token is never sent elsewhere
    if (!this.#deps.registryUrl)
      throw new EdgeError(
        'NO_REGISTRY',
        'no rollout.registryUrl configured: artifacts are fetched only from the configured registry, never from a URL in a message',
      );
    await downloadArtifact(`${this.#deps.registryUrl.replace(/\/+$/, '')}/api/artifacts/sha256/${ref.sha256}`, dest, {
      sha256: ref.sha256,
      bytes: ref.bytes,
      maxBytes: this.#deps.maxArtifactBytes,
      retries: this.#deps.downloadRetries,
      signal: AbortSignal.timeout(this.#deps.downloadTimeoutMs ?? 600_000), // a stalled registry must not hold the device's rollouts
      headers: this.#deps.token ? { authorization: `Bearer ${this.#deps.token}` } : undefined,
    });
  }

  async #readVerified(m: ModelManifest): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#deps.store.blobPath(m.artifact.sha256));
    } catch (err) {
      throw new EdgeError('ROLLOUT_REFUSED', `artifact of ${m.name} v${m.version} is not on disk`, { cause: err });
    }
    verifyArtifact(m, bytes);
    return bytes;
  }
}
