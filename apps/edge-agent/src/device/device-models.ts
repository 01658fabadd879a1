import type { ActiveModel, ExecutionProvider, ModelKind } from '@takt/contracts';
import type { FeatureWindow } from '@takt/features';
import type { LoadedModel } from '../inference/loaded-model.js';
import type { GrayImage } from '../inference/vision.js';

/** The latest real inputs of a device, replayed to smoke-test a new model. */
export interface RecordedInputs {
  features?: Record<string, number>;
  window?: FeatureWindow;
  frame?: GrayImage;
}

interface Slot {
  current: LoadedModel;
  /** kept for rollback */
  previous?: LoadedModel;
}

/** The models one device runs, by kind, each with its predecessor kept for rollback. */
export class DeviceModels {
  readonly #slots = new Map<ModelKind, Slot>();
  readonly recorded: RecordedInputs = {};

  current(kind: ModelKind): LoadedModel | undefined {
    return this.#slots.get(kind)?.current;
  }

  previous(kind: ModelKind): LoadedModel | undefined {
    return this.#slots.get(kind)?.previous;
  }

  /** Makes `model` current in one step; the old current becomes `previous` (the one before is released). */
  swap(model: LoadedModel): void {
    const kind = model.manifest.kind;
    const slot = this.#slots.get(kind);
    const dropped = slot?.previous;
    model.since = Date.now();
    this.#slots.set(kind, { current: model, previous: slot?.current });
    if (dropped && dropped !== model) void dropped.release();
  }

  /** Puts the previous model back; returns the failed one (released) or undefined when there is none. */
  rollback(kind: ModelKind): LoadedModel | undefined {
    const slot = this.#slots.get(kind);
    if (!slot?.previous) return undefined;
    const failed = slot.current;
    slot.previous.since = Date.now();
    this.#slots.set(kind, { current: slot.previous });
    void failed.release();
    return failed;
  }

  list(): ActiveModel[] {
    return [...this.#slots.values()].map(({ current: m }) => ({
      name: m.manifest.name,
      kind: m.manifest.kind,
      version: m.manifest.version,
      provider: m.provider,
      since: m.since,
    }));
  }

  /** The provider of the anomaly model, else of any model. */
  provider(): ExecutionProvider | undefined {
    return (this.#slots.get('kmeans-anomaly') ?? [...this.#slots.values()][0])?.current.provider;
  }

  async releaseAll(): Promise<void> {
    for (const s of this.#slots.values()) {
      await s.current.release();
      await s.previous?.release();
    }
    this.#slots.clear();
  }
}
