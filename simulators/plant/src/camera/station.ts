import type { CameraFrame, DeviceAddress } from '@takt/contracts';
import type { CameraSpec, DefectClass } from '../plant/schema.js';
import { encodePng } from './png.js';
import { partClass, renderPart } from './render.js';

/** A camera station: photographs one part every 1/fps s; parts are defective at `defectRate`. */
export class CameraStation {
  readonly address: DeviceAddress;
  readonly spec: CameraSpec;
  readonly #seed: number | string;
  readonly #startMs: number;
  readonly #intervalMs: number;
  #next = 0;
  #seq = 0;

  constructor(o: { address: DeviceAddress; spec: CameraSpec; seed: number | string; startMs: number }) {
    this.address = o.address;
    this.spec = o.spec;
    this.#seed = o.seed;
    this.#startMs = o.startMs;
    this.#intervalMs = 1000 / o.spec.fps;
  }

  /** Frames whose capture time falls in [from, to), in time order. */
  framesIn(from: number, to: number): CameraFrame[] {
    const frames: CameraFrame[] = [];
    for (;;) {
      const ts = Math.round(this.#startMs + this.#next * this.#intervalMs);
      if (ts >= to) break;
      if (ts >= from) frames.push(this.frame(this.#next, ts));
      this.#next++;
    }
    return frames;
  }

  /** Frame number `index`: deterministic in the seed, station id and index. */
  frame(index: number, ts: number): CameraFrame {
    const { cls, rng } = partClass(this.#seed, this.address.device, index, this.spec.defectRate);
    const img = renderPart(rng, this.spec.size, cls);
    const bytes = this.spec.encoding === 'png' ? encodePng(img) : Buffer.from(img.data);
    return {
      schemaVersion: 1,
      deviceId: this.address.device,
      ts,
      seq: this.#seq++,
      frameId: `${this.address.device}-${index}`.slice(0, 64),
      width: img.width,
      height: img.height,
      encoding: this.spec.encoding,
      data: bytes.toString('base64'),
      truth: cls satisfies DefectClass,
    };
  }
}
