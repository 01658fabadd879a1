import {
  ContractError,
  GOOD_CLASS_NAMES,
  type CameraFrame,
  type DeviceAddress,
  type RawSampleBatch,
  type WindowSpec,
} from '@takt/contracts';
import { computeFeatures, Windower, type FeatureWindow } from '@takt/features';
import { SerialQueue, type Logger } from '@takt/runtime';
import type { AgentConfig } from '../config.js';
import { EdgeError } from '../errors.js';
import { EvidenceCollector, type EvidenceCollectorDeps } from '../evidence/evidence-collector.js';
import type { Score } from '../inference/kmeans.js';
import type { LoadedModel } from '../inference/loaded-model.js';
import { MODEL_KIND_RUNNERS } from '../inference/model-kinds.js';
import { decodeFrame, thumbnailPng, type GrayImage } from '../inference/vision.js';
import type { UpstreamEmitter } from '../upstream/emitter.js';
import { AnomalyTracker, type AnomalyTransition } from './anomaly-tracker.js';
import type { DeviceModels } from './device-models.js';
import { splitTelemetry, TelemetryDownsampler, type TelemetryPoint } from './telemetry-downsampler.js';

export interface PipelineDeps {
  address: DeviceAddress;
  models: DeviceModels;
  emitter: UpstreamEmitter;
  config: AgentConfig;
  logger: Logger;
  /** a model failed at run time `maxFailedRuns` times in a row (the pipeline rolled it back when it could) */
  onModelFailure: (model: LoadedModel, err: Error, rolledBack: boolean) => void;
  onError: (err: Error) => void;
  /** seeded randomness, the budget's clock and a counter hook for the evidence collector (tests, metrics) */
  evidence?: Pick<EvidenceCollectorDeps, 'random' | 'now' | 'onCount'>;
}

/** ms a batch may start before the previous one before it counts as a clock stepped back */
export const CLOCK_JUMP_MS = 60_000;

/**
 * Everything one device's data goes through: telemetry downsampling, windows → features → K-means
 * score → hysteresis events, raw windows → 1-D CNN fault class, frames → 2-D CNN inspection.
 */
export class DevicePipeline {
  readonly #d: PipelineDeps;
  #windower: Windower | undefined;
  #windowKey = '';
  #faultWindower: Windower | undefined;
  #faultKey = '';
  #tracker: AnomalyTracker | undefined;
  #trackerModel: LoadedModel | undefined;
  #telemetry: TelemetryDownsampler | undefined;
  #lastFault: string | undefined;
  /** the fault CNN's newest class, for the next features message */
  #faultResult: { label: string; confidence: number; model: { name: string; version: number } } | undefined;
  #failures = new Map<LoadedModel, number>();
  /** raw batches of the device, processed strictly in order */
  readonly #batches = new SerialQueue();
  #frames: { frame: CameraFrame; image: GrayImage; at: number }[] = [];
  #visionBusy = false;
  windowsScored = 0;
  #lastT0: number | undefined;
  /** raw batches dropped because `backlog.rawBatches` were already waiting */
  rawDropped = 0;
  /** camera frames dropped (oldest first) because `backlog.frames` were already waiting */
  framesDropped = 0;
  /** the device's evidence for training; undefined when `evidence.enabled` is false */
  readonly evidence: EvidenceCollector | undefined;

  constructor(deps: PipelineDeps) {
    this.#d = deps;
    if (deps.config.evidence.enabled) {
      this.evidence = new EvidenceCollector({
        address: deps.address,
        emitter: deps.emitter,
        config: deps.config.evidence,
        logger: deps.logger,
        onError: deps.onError,
        ...deps.evidence,
      });
    }
    if (deps.config.telemetryIntervalMs > 0)
      this.#telemetry = new TelemetryDownsampler(deps.config.telemetryIntervalMs, deps.config.telemetryBatch);
  }

  /** Queues a batch; batches of one device are processed strictly in order. */
  onRaw(batch: RawSampleBatch): Promise<void> {
    if (this.#batches.size >= this.#d.config.backlog.rawBatches) {
      this.#overloaded('raw batches', ++this.rawDropped, this.#d.config.backlog.rawBatches);
      return Promise.resolve();
    }
    return this.#batches.run(() => this.#processRaw(batch)).catch((err: Error) => this.#d.onError(err));
  }

  /** Reports dropped input (the first drop, then every 1,000th): a source faster than this box can follow. */
  #overloaded(what: string, dropped: number, limit: number): void {
    if (dropped % 1_000 !== 1) return;
    this.#d.onError(
      new EdgeError(
        'INTAKE_OVERLOADED',
        `${dropped} ${what} dropped so far: ${limit} were already waiting (backlog limit)`,
      ),
    );
  }

  /**
   * A plant clock stepped back by more than CLOCK_JUMP_MS would leave every later batch "late" for
   * windows and intervals already closed — no telemetry, features or events until the clock caught
   * up: the windowers and the downsampler start afresh at the new time instead.
   */
  #followClock(batch: RawSampleBatch): void {
    const last = this.#lastT0;
    this.#lastT0 = batch.t0;
    if (last === undefined || batch.t0 >= last - CLOCK_JUMP_MS) return;
    this.#d.logger.warn(
      { device: this.#d.address.device, jumpMs: batch.t0 - last },
      'plant clock stepped back: windows start afresh',
    );
    this.#windower = undefined;
    this.#faultWindower = undefined;
    if (this.#telemetry)
      this.#telemetry = new TelemetryDownsampler(this.#d.config.telemetryIntervalMs, this.#d.config.telemetryBatch);
  }

  /** Waits until every queued batch is processed and its evidence handed to the outbox. */
  async idle(): Promise<void> {
    await this.#batches.idle();
    await this.evidence?.idle();
  }

  async #processRaw(batch: RawSampleBatch): Promise<void> {
    this.#followClock(batch);
    this.evidence?.raw(batch);
    for (const p of this.#telemetry?.push(batch) ?? []) await this.#emitTelemetry(p);
    const windows = this.#kmeansWindower().push(batch);
    if (windows.length > 0) await this.#handleWindows(windows);
    const fault = this.#d.models.current('cnn-fault');
    if (fault) await this.#classifyFaults(fault, batch);
  }

  /** Emits a telemetry message, split in halves while a batched one is over the channel's size limit (many sensors × a large `telemetryBatch`). */
  async #emitTelemetry(p: TelemetryPoint): Promise<void> {
    try {
      await this.#d.emitter.emit(this.#d.address, 'telemetry', p);
    } catch (err) {
      const halves = err instanceof ContractError && err.code === 'TOO_LARGE' ? splitTelemetry(p) : undefined;
      if (!halves) throw err;
      for (const h of halves) await this.#emitTelemetry(h);
    }
  }

  #kmeansWindower(): Windower {
    const model = this.#d.models.current('kmeans-anomaly');
    const spec: Partial<WindowSpec> =
      (model && MODEL_KIND_RUNNERS['kmeans-anomaly'].window(model.manifest)) ?? this.#d.config.window;
    const key = `${spec.lengthMs}/${spec.hopMs}/${spec.sensors?.join(',') ?? ''}`;
    if (!this.#windower || key !== this.#windowKey) {
      this.#windower = new Windower({
        lengthMs: spec.lengthMs ?? 1_000,
        hopMs: spec.hopMs ?? 500,
        sensors: spec.sensors,
      });
      this.#windowKey = key;
    }
    return this.#windower;
  }

  async #handleWindows(windows: FeatureWindow[]): Promise<void> {
    const features = windows.map(computeFeatures);
    this.#d.models.recorded.features = features[features.length - 1];
    this.#d.models.recorded.window = windows[windows.length - 1];
    const model = this.#d.models.current('kmeans-anomaly');
    const scores = model ? await this.#score(model, features) : undefined;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as FeatureWindow;
      const s = scores?.[i];
      let smoothed: number | undefined;
      if (s && model) {
        const { smoothed: sm, transition } = this.#trackerFor(model).update(s.score, w.end);
        smoothed = sm;
        if (transition) {
          await this.#emitEvent(model, transition, w.end);
          this.evidence?.anomaly(transition);
        }
      }
      const fault = this.#faultResult;
      this.#faultResult = undefined;
      await this.#d.emitter.emit(this.#d.address, 'features', {
        ts: w.end,
        windowStart: w.start,
        windowEnd: w.end,
        features: features[i] as Record<string, number>,
        ...(s && model
          ? {
              score: s.score,
              smoothedScore: smoothed,
              cluster: s.cluster,
              model: { name: model.manifest.name, version: model.manifest.version },
            }
          : {}),
        ...(fault ? { fault } : {}),
      });
    }
  }

  async #score(model: LoadedModel, features: Record<string, number>[]): Promise<(Score | undefined)[] | undefined> {
    let scores: (Score | undefined)[];
    try {
      scores = await MODEL_KIND_RUNNERS['kmeans-anomaly'].run(model, features);
    } catch (err) {
      this.#runFailed(model, err as Error);
      return undefined;
    }
    const scored = scores.filter((s) => s !== undefined).length;
    if (scored === 0) return undefined; // no window had every feature the model takes: nothing ran
    this.#failures.delete(model);
    this.windowsScored += scored;
    return scores;
  }

  #trackerFor(model: LoadedModel): AnomalyTracker {
    if (this.#tracker && this.#trackerModel === model) return this.#tracker;
    const c = this.#d.config.anomaly;
    const sm = model.manifest.smoothing;
    if (this.#tracker?.openEvent) this.evidence?.eventsReset(); // its open event ends with it
    this.#tracker = new AnomalyTracker({
      alpha: sm?.alpha ?? c.alpha,
      openAfterMs: sm?.openAfterMs ?? c.openAfterMs,
      closeAfterMs: sm?.closeAfterMs ?? c.closeAfterMs,
      threshold: model.manifest.threshold ?? c.threshold,
      clockJumpMs: CLOCK_JUMP_MS,
    });
    this.#trackerModel = model;
    return this.#tracker;
  }

  async #emitEvent(model: LoadedModel, t: AnomalyTransition, ts: number): Promise<void> {
    await this.#d.emitter.emit(this.#d.address, 'anomaly', {
      ts,
      eventId: t.eventId,
      state: t.state,
      model: { name: model.manifest.name, version: model.manifest.version },
      score: t.score,
      threshold: this.#tracker?.options.threshold ?? 0,
      openedAt: t.openedAt,
      ...(t.closedAt !== undefined ? { closedAt: t.closedAt } : {}),
      peakScore: t.peakScore,
      ...(this.#lastFault ? { faultClass: this.#lastFault } : {}),
    });
  }

  async #classifyFaults(model: LoadedModel, batch: RawSampleBatch): Promise<void> {
    const runner = MODEL_KIND_RUNNERS['cnn-fault'];
    const w = runner.window(model.manifest);
    if (!w) return;
    const key = `${model.manifest.name}/${model.manifest.version}`;
    if (!this.#faultWindower || key !== this.#faultKey) {
      this.#faultWindower = new Windower({ lengthMs: w.lengthMs, hopMs: w.hopMs, sensors: w.sensors });
      this.#faultKey = key;
    }
    const windows = this.#faultWindower.push(batch);
    if (windows.length === 0) return;
    try {
      const results = (await runner.run(model, windows)).filter((r) => r !== undefined);
      if (results.length === 0) return; // no window had every sensor the model takes: nothing ran
      const last = results[results.length - 1];
      this.#lastFault = last?.label;
      if (last)
        this.#faultResult = {
          label: last.label,
          confidence: last.confidence,
          model: { name: model.manifest.name, version: model.manifest.version },
        };
      this.#failures.delete(model);
    } catch (err) {
      this.#runFailed(model, err as Error);
    }
  }

  /** Queues a frame; frames waiting while a run is busy go together in the next batch. */
  onFrame(frame: CameraFrame): void {
    const model = this.#d.models.current('cnn-vision');
    let image: GrayImage;
    try {
      image = decodeFrame(frame);
    } catch (err) {
      this.#d.onError(err as Error);
      return;
    }
    this.#d.models.recorded.frame = image;
    if (!model) return this.evidence?.frame(frame); // a sample of plant frames to learn the first model from
    if (this.#frames.length >= this.#d.config.backlog.frames) {
      this.#frames.shift(); // the oldest waiting frame: the newest shows the line as it is now
      this.#overloaded('camera frames', ++this.framesDropped, this.#d.config.backlog.frames);
    }
    this.#frames.push({ frame, image, at: performance.now() });
    if (!this.#visionBusy) void this.#drainFrames();
  }

  async #drainFrames(): Promise<void> {
    this.#visionBusy = true;
    try {
      while (this.#frames.length > 0) {
        const model = this.#d.models.current('cnn-vision');
        const batch = this.#frames.splice(0, this.#d.config.inference.visionMaxBatch);
        if (!model) return;
        try {
          const results = await MODEL_KIND_RUNNERS['cnn-vision'].run(
            model,
            batch.map((b) => b.image),
          );
          this.#failures.delete(model);
          for (let i = 0; i < batch.length; i++) {
            const { frame, image, at } = batch[i] as (typeof batch)[number];
            const r = results[i];
            if (!r) continue;
            const thumbnail = this.#thumbnail(image, r.label, r.confidence);
            await this.#d.emitter.emit(this.#d.address, 'inspection', {
              ts: frame.ts,
              frameId: frame.frameId,
              label: r.label,
              confidence: r.confidence,
              scores: r.scores,
              model: { name: model.manifest.name, version: model.manifest.version },
              latencyMs: performance.now() - at,
              ...(thumbnail ? { thumbnail } : {}),
              ...(frame.truth ? { truth: frame.truth } : {}),
            });
            this.evidence?.frame(frame, {
              label: r.label,
              confidence: r.confidence,
              scores: r.scores,
              model: { name: model.manifest.name, version: model.manifest.version },
            });
          }
        } catch (err) {
          this.#runFailed(model, err as Error);
        }
      }
    } finally {
      this.#visionBusy = false;
    }
  }

  /** The inspection's preview (`inference.thumbnails`): every frame, or only those not plainly a good part. */
  #thumbnail(image: GrayImage, label: string, confidence: number): string | undefined {
    const { thumbnails, thumbnailPx } = this.#d.config.inference;
    if (thumbnails === 'none') return undefined;
    if (
      thumbnails === 'defects' &&
      GOOD_CLASS_NAMES.test(label) &&
      confidence >= this.#d.config.evidence.frames.uncertainBelow
    )
      return undefined;
    try {
      return thumbnailPng(image, thumbnailPx);
    } catch (err) {
      this.#d.logger.warn({ device: this.#d.address.device, err: (err as Error).message }, 'thumbnail not made');
      return undefined;
    }
  }

  #runFailed(model: LoadedModel, err: Error): void {
    const n = (this.#failures.get(model) ?? 0) + 1;
    this.#failures.set(model, n);
    this.#d.logger.warn(
      {
        device: this.#d.address.device,
        model: model.manifest.name,
        version: model.manifest.version,
        failures: n,
        err: err.message,
      },
      'model run failed',
    );
    if (n < this.#d.config.inference.maxFailedRuns) return;
    this.#failures.delete(model);
    const rolledBack = this.#d.models.rollback(model.manifest.kind) !== undefined;
    this.#d.onModelFailure(model, err, rolledBack);
  }
}
