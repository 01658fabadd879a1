import type { DeviceAddress, DeviceState, ModelManifest } from '@takt/contracts';
import type { ModelRegistry } from '@takt/model-registry';
import { SerialQueue, type Logger } from '@takt/runtime';
import type { ModelEvent } from '@takt/telemetry-store';
import { TrainerError } from '../errors.js';
import type { TrainerServiceConfig } from './config.js';
import type { DeviceDirectory } from './device-directory.js';
import { newId } from './jobs.js';
import type { RolloutDevice, RolloutRecord } from './records.js';
import { canaryFailure, canaryVerdict, reportOf } from './rollout-verdict.js';

export interface RolloutRequest {
  model: string;
  version: number;
  /** devices that get the model first */
  canary: string[];
  /** the rest of the group (canaries may be listed again) */
  devices: string[];
  /** ms the canaries are watched; default from config */
  watchMs?: number;
}

export interface RolloutManagerOptions {
  directory: DeviceDirectory;
  registry: ModelRegistry;
  /** writes a `model_events` point (failures are logged, never fatal) */
  event: (e: ModelEvent) => Promise<void>;
  /** base URL put in front of `/api/models/...` in `artifactUrl` */
  publicUrl: string;
  config: TrainerServiceConfig['rollout'];
  history?: RolloutRecord[];
  onChange: () => void;
  logger: Logger;
}

/**
 * Canary rollouts over retained `model/desired`: publish to the canaries, watch their `state`,
 * heartbeats and anomaly events for `watchMs`, then promote to the rest or roll back by restoring
 * each device's previous desired model (or clearing it). Every step is a model event.
 */
export class RolloutManager {
  readonly #o: RolloutManagerOptions;
  readonly #rollouts: RolloutRecord[];
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #anomalies = new Map<string, Map<string, number>>();
  /** rollout steps, one at a time; a failed one does not stop the next */
  readonly #queue = new SerialQueue();

  constructor(o: RolloutManagerOptions) {
    this.#o = o;
    this.#rollouts = o.history ?? [];
    o.directory.on(
      'state',
      (a, s) =>
        void this.#serial(() => this.#onState(a, s)).catch((err: Error) =>
          o.logger.error({ err }, 'rollout state handling failed'),
        ),
    );
    o.directory.on('anomaly', (a, e) => {
      if (e.state !== 'open') return;
      for (const [id, counts] of this.#anomalies)
        if (this.get(id)?.canary.includes(a.device)) counts.set(a.device, (counts.get(a.device) ?? 0) + 1);
    });
    for (const r of this.#rollouts.filter((x) => x.stage === 'canary')) {
      this.#anomalies.set(r.id, new Map());
      this.#arm(r, Math.max(0, (r.watchUntil ?? 0) - Date.now()));
    }
  }

  list(): RolloutRecord[] {
    return [...this.#rollouts].reverse();
  }

  get(id: string): RolloutRecord | undefined {
    return this.#rollouts.find((r) => r.id === id);
  }

  create(req: RolloutRequest): Promise<RolloutRecord> {
    return this.#serial(() => this.#create(req));
  }

  /** Sends the model to the remaining devices; only while the rollout is in its canary stage. */
  promote(id: string, why = 'promoted by an operator'): Promise<RolloutRecord> {
    return this.#serial(() => this.#promote(this.#need(id), why));
  }

  /** Restores every reached device's previous desired model; while canary or promoted. */
  rollback(id: string, why = 'rolled back by an operator'): Promise<RolloutRecord> {
    return this.#serial(() => this.#rollback(this.#need(id), why, 'rolled-back'));
  }

  /** Resolves when queued rollout steps have run. */
  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(fn);
  }

  #need(id: string): RolloutRecord {
    const r = this.get(id);
    if (!r) throw new TrainerError('NOT_FOUND', `no rollout ${id}`);
    return r;
  }

  async #create(req: RolloutRequest): Promise<RolloutRecord> {
    const manifest = await this.#o.registry.get(req.model, req.version);
    const all = [...new Set([...req.canary, ...req.devices])];
    const unknown = all.filter((d) => !this.#o.directory.address(d));
    if (unknown.length > 0)
      throw new TrainerError('CONFLICT', `devices never seen in state (site/line unknown): ${unknown.join(', ')}`);
    const busy = this.#rollouts.find((r) => r.stage === 'canary' && r.devices.some((d) => all.includes(d.deviceId)));
    if (busy) throw new TrainerError('CONFLICT', `rollout ${busy.id} is still watching canaries among these devices`);
    const now = Date.now();
    const watchMs = req.watchMs ?? this.#o.config.watchMs;
    const r: RolloutRecord = {
      id: newId('ro'),
      model: req.model,
      version: req.version,
      stage: 'canary',
      canary: [...new Set(req.canary)],
      devices: all.map((deviceId) => ({ deviceId, status: 'pending' })),
      watchMs,
      startedAt: now,
      updatedAt: now,
      watchUntil: now + watchMs,
      previous: {},
    };
    this.#rollouts.push(r);
    this.#anomalies.set(r.id, new Map());
    await this.#event(r, 'rollout-started', { canary: r.canary, devices: all, watchMs });
    try {
      await this.#send(r, manifest, r.canary);
    } catch (err) {
      await this.#rollback(r, `publishing to the canaries failed: ${(err as Error).message}`, 'failed');
      return r;
    }
    this.#arm(r, watchMs);
    return r;
  }

  async #send(r: RolloutRecord, manifest: ModelManifest, devices: string[]): Promise<void> {
    const base = `${this.#o.publicUrl}/api/models/${r.model}/${r.version}/artifact`;
    const variants = Object.keys(manifest.variants ?? {});
    // an operator rolling out an older version than the latest is a rollback: sign a grant for these devices
    const latest = await this.#o.registry.latest(r.model);
    const rollbackGrant =
      latest && latest.version > manifest.version
        ? await this.#o.registry.grantRollback(r.model, manifest.version, devices)
        : undefined;
    for (const device of devices) {
      const d = r.devices.find((x) => x.deviceId === device) as RolloutDevice;
      if (!(device in r.previous)) r.previous[device] = this.#o.directory.desired(device) ?? null;
      await this.#o.directory.publishDesired(device, {
        rolloutId: r.id,
        manifest,
        artifactUrl: base,
        ...(rollbackGrant ? { rollbackGrant } : {}),
        ...(variants.length > 0
          ? { variantUrls: Object.fromEntries(variants.map((v) => [v, `${base}?variant=${encodeURIComponent(v)}`])) }
          : {}),
      });
      d.status = 'sent';
      await this.#event(r, 'desired-published', { canary: r.canary.includes(device) }, device);
    }
    this.#touch(r);
  }

  #arm(r: RolloutRecord, ms: number): void {
    clearTimeout(this.#timers.get(r.id));
    const t = setTimeout(
      () =>
        void this.#serial(() => this.#decide(r.id)).catch((err: Error) =>
          this.#o.logger.error({ err, rollout: r.id }, 'canary decision failed'),
        ),
      ms,
    );
    this.#timers.set(r.id, t);
  }

  async #decide(id: string): Promise<void> {
    this.#timers.delete(id);
    const r = this.get(id);
    if (!r || r.stage !== 'canary') return;
    const dir = this.#o.directory;
    const verdict = canaryVerdict(r, {
      state: (d) => dir.state(d),
      lastSeen: (d) => dir.lastSeen(d),
      anomalies: (d) => this.#anomalies.get(id)?.get(d) ?? 0,
      maxAnomalies: this.#o.config.maxAnomalyEvents,
      heartbeatTimeoutMs: this.#o.config.heartbeatTimeoutMs,
      now: Date.now(),
    });
    if (verdict.promote)
      await this.#promote(r, `every canary applied v${r.version} and stayed healthy for ${r.watchMs} ms`);
    else await this.#rollback(r, verdict.reason, 'rolled-back');
  }

  async #promote(r: RolloutRecord, why: string): Promise<RolloutRecord> {
    if (r.stage !== 'canary')
      throw new TrainerError(
        'CONFLICT',
        `rollout ${r.id} is ${r.stage}; only a rollout in its canary stage can be promoted`,
      );
    clearTimeout(this.#timers.get(r.id));
    this.#anomalies.delete(r.id);
    r.stage = 'promoted';
    r.reason = why;
    const rest = r.devices.filter((d) => d.status === 'pending').map((d) => d.deviceId);
    await this.#event(r, 'promoted', { reason: why, devices: rest });
    try {
      await this.#send(r, await this.#o.registry.get(r.model, r.version), rest);
    } catch (err) {
      this.#o.logger.error({ rollout: r.id, err: (err as Error).message }, 'publishing to the group failed');
      r.reason = `${why}; publishing to the group failed: ${(err as Error).message}`;
    }
    this.#touch(r);
    return r;
  }

  async #rollback(r: RolloutRecord, why: string, stage: 'rolled-back' | 'failed'): Promise<RolloutRecord> {
    if (r.stage !== 'canary' && r.stage !== 'promoted')
      throw new TrainerError('CONFLICT', `rollout ${r.id} is already ${r.stage}`);
    clearTimeout(this.#timers.get(r.id));
    this.#anomalies.delete(r.id);
    const restored: string[] = [];
    for (const d of r.devices.filter((x) => x.status !== 'pending')) {
      try {
        await this.#restore(r, d.deviceId);
        restored.push(d.deviceId);
        if (d.status !== 'rejected' && d.status !== 'rolled-back') d.status = 'reverted';
      } catch (err) {
        this.#o.logger.error(
          { rollout: r.id, device: d.deviceId, err: (err as Error).message },
          'restoring the previous desired model failed',
        );
      }
    }
    // the stage changes only once every device is restored, so no reader sees a half-rolled-back record
    // (every caller runs inside #serial, so nothing else acts on the rollout meanwhile)
    r.stage = stage;
    r.reason = why;
    await this.#event(r, stage === 'failed' ? 'rollout-failed' : 'rolled-back', { reason: why, restored });
    this.#touch(r);
    return r;
  }

  /** Re-publishes the device's previous desired model under a new rollout id (so the edge acts on it), or clears it. */
  async #restore(r: RolloutRecord, device: string): Promise<void> {
    const prev = r.previous[device];
    if (!prev) return this.#o.directory.clearDesired(device);
    const { rolloutId: _old, schemaVersion: _v, deviceId: _d, ts: _t, seq: _s, rollbackGrant: _g, ...body } = prev;
    // going back below a version the device applied needs a signed grant, or the edge refuses it
    const rollbackGrant = await this.#o.registry.grantRollback(body.manifest.name, body.manifest.version, [device]);
    await this.#o.directory.publishDesired(device, { ...body, rolloutId: `${r.id}-rollback`, rollbackGrant });
  }

  async #onState(address: DeviceAddress, state: DeviceState): Promise<void> {
    for (const r of this.#rollouts) {
      if (r.stage !== 'canary' && r.stage !== 'promoted') continue;
      const d = r.devices.find((x) => x.deviceId === address.device);
      if (!d || d.status === 'pending') continue;
      const rep = reportOf(r, state);
      const changed =
        (rep.status !== undefined && rep.status !== d.status) ||
        (rep.reason !== undefined && rep.reason !== d.reason) ||
        (rep.version !== undefined && rep.version !== d.version);
      if (changed) {
        // a state re-sent unchanged (a retained copy after a reconnect or restart) is not news
        if (rep.status) d.status = rep.status;
        if (rep.reason) d.reason = rep.reason;
        if (rep.version !== undefined) d.version = rep.version;
        this.#touch(r);
        if (rep.status)
          await this.#event(r, `device-${rep.status}`, rep.reason ? { reason: rep.reason } : {}, d.deviceId);
      }
      if (r.stage !== 'canary' || !r.canary.includes(d.deviceId)) continue;
      const failed = canaryFailure(
        d,
        state,
        this.#anomalies.get(r.id)?.get(d.deviceId) ?? 0,
        this.#o.config.maxAnomalyEvents,
      );
      if (failed) await this.#rollback(r, failed, 'rolled-back');
    }
  }

  #touch(r: RolloutRecord): void {
    r.updatedAt = Date.now();
    this.#o.onChange();
  }

  async #event(r: RolloutRecord, kind: string, detail: object, deviceId?: string): Promise<void> {
    await this.#o.event({
      kind,
      model: r.model,
      version: r.version,
      ...(deviceId ? { deviceId } : {}),
      detail: { rolloutId: r.id, stage: r.stage, ...detail },
    });
  }
}
