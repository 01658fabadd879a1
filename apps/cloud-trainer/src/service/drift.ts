import type { ModelManifest } from '@takt/contracts';
import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import type { ModelEvent, TelemetryStore } from '@takt/telemetry-store';
import type { TrainerServiceConfig } from './config.js';
import { byDevice } from './training-data.js';

/** Smallest bin share used in the logarithm, so an empty bin gives a large but finite PSI. */
const PSI_FLOOR = 1e-4;

/**
 * Population stability index of `sample` against a reference given by its deciles (p10..p90):
 * ten bins of expected share 0.1 (tied deciles merge their bins), PSI = Σ (a − e)·ln(a / e).
 * Common reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 drifted.
 */
export function psi(referenceDeciles: readonly number[], sample: ArrayLike<number>): number {
  const edges: number[] = [];
  const expected: number[] = [0.1];
  for (const r of referenceDeciles) {
    if (edges.length > 0 && r <= (edges[edges.length - 1] as number)) {
      expected[edges.length - 1] = (expected[edges.length - 1] as number) + 0.1;
      continue;
    }
    edges.push(r);
    expected.push(0.1);
  }
  const counts = new Array<number>(expected.length).fill(0);
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i] as number;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= (edges[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  let total = 0;
  counts.forEach((c, i) => {
    const a = Math.max(PSI_FLOOR, c / Math.max(1, sample.length));
    const e = Math.max(PSI_FLOOR, expected[i] as number);
    total += (a - e) * Math.log(a / e);
  });
  return total;
}

/** The drift reference stored in a K-means manifest's metrics (`ref_score_p10` .. `ref_score_p90`). */
export function referenceOf(m: ModelManifest): number[] | undefined {
  const ref = Array.from({ length: 9 }, (_, i) => m.metrics[`ref_score_p${(i + 1) * 10}`]);
  return ref.every((v): v is number => typeof v === 'number' && Number.isFinite(v)) ? ref : undefined;
}

export interface DeviceDrift {
  deviceId: string;
  version: number;
  psi: number;
  samples: number;
  drifted: boolean;
}

export interface DriftMonitorOptions {
  store: TelemetryStore;
  registry: ModelRegistry;
  /** the model whose scores are checked */
  model: string;
  config: TrainerServiceConfig['drift'];
  event: (e: ModelEvent) => Promise<void>;
  /** called with the drifted devices when `config.retrain` is set */
  retrain: (drifted: DeviceDrift[]) => void;
  logger: Logger;
}

/**
 * Every `checkEveryMs`, compares each device's recent raw scores under the latest model with the
 * model's training reference (PSI over its deciles) and raises a `drift` model event per drifted device.
 */
export class DriftMonitor {
  readonly #o: DriftMonitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  /** checks run so far (for /metrics) */
  checks = 0;
  drifts = 0;

  constructor(o: DriftMonitorOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#o.config.checkEveryMs <= 0) return;
    this.#timer = setInterval(() => {
      this.#running = this.check().catch((err: Error) =>
        this.#o.logger.warn({ err: err.message }, 'drift check failed'),
      );
    }, this.#o.config.checkEveryMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One check over `[now − windowMs, now)`; returns every device that had enough scored windows. */
  async check(now = Date.now()): Promise<DeviceDrift[]> {
    const { config, model } = this.#o;
    const latest = await this.#o.registry.latest(model);
    const reference = latest && referenceOf(latest);
    if (!latest || !reference) return [];
    this.checks++;
    const rows = await this.#o.store.queryFeatures({ from: now - config.windowMs, to: now, model });
    const scored = rows.filter((r) => r.model?.version === latest.version && r.score !== undefined);
    const out: DeviceDrift[] = [];
    for (const [deviceId, list] of byDevice(scored)) {
      if (list.length < config.minSamples) continue;
      const value = psi(
        reference,
        list.map((r) => r.score as number),
      );
      const d = {
        deviceId,
        version: latest.version,
        psi: value,
        samples: list.length,
        drifted: value > config.psiThreshold,
      };
      out.push(d);
      if (!d.drifted) continue;
      this.drifts++;
      this.#o.logger.warn(
        { device: deviceId, psi: value, model, version: latest.version },
        'score distribution drifted',
      );
      await this.#o.event({
        kind: 'drift',
        model,
        version: latest.version,
        deviceId,
        detail: { psi: value, threshold: config.psiThreshold, samples: list.length, windowMs: config.windowMs },
      });
    }
    const drifted = out.filter((d) => d.drifted);
    if (drifted.length > 0 && config.retrain) this.#o.retrain(drifted);
    return out;
  }
}
