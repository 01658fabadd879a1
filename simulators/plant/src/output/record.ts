import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '@takt/contracts';
import { SimError } from '../errors.js';
import type { PlantFile } from '../plant/schema.js';
import { PlantSimulation } from '../simulation.js';
import { RawEncoder } from './raw-json.js';
import { truthCsv } from './truth-file.js';

export interface RecordOptions {
  plant: PlantFile;
  seed: number | string;
  /** s of simulated time */
  durationS: number;
  /** folder to write into (created) */
  out: string;
  /** ms epoch of the first batch; default now, floored to a batch boundary */
  startMs?: number;
  /** validate every batch against the contract, not only each machine's first; default false */
  validateAll?: boolean;
}

export interface RecordSummary {
  startMs: number;
  endMs: number;
  rawBatches: number;
  cameraFrames: number;
  truthEvents: number;
  faults: number;
  files: string[];
}

/** Buffers lines and writes them to a file in large chunks. */
class LineFile {
  readonly #fd: number;
  #buffer: string[] = [];
  #size = 0;
  constructor(readonly path: string) {
    this.#fd = openSync(path, 'w');
  }
  add(line: string): void {
    this.#buffer.push(line);
    this.#size += line.length;
    if (this.#size > 1 << 20) this.flush();
  }
  flush(): void {
    if (this.#buffer.length > 0) writeSync(this.#fd, this.#buffer.join('\n') + '\n');
    this.#buffer = [];
    this.#size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/**
 * Runs the plant offline, as fast as the CPU allows, and writes exactly what `run` would publish:
 * `raw.jsonl` (one RawSampleBatch per line, time order), `truth.csv` (`machine,fault,start,end`, ms epoch),
 * `truth.jsonl` (the truth-channel messages) and, when the plant has camera stations, `camera.jsonl`.
 */
export function recordPlant(o: RecordOptions): RecordSummary {
  if (!(o.durationS > 0))
    throw new SimError(
      'BAD_ARGUMENT',
      `--duration must be a positive number of seconds, got ${o.durationS}`,
      'duration',
    );
  mkdirSync(o.out, { recursive: true });
  const sim = new PlantSimulation(o.plant, {
    seed: o.seed,
    ...(o.startMs === undefined ? {} : { startMs: o.startMs }),
  });
  const raw = new LineFile(join(o.out, 'raw.jsonl'));
  const truth = new LineFile(join(o.out, 'truth.jsonl'));
  const camera = sim.cameras.length > 0 ? new LineFile(join(o.out, 'camera.jsonl')) : undefined;
  const summary: RecordSummary = {
    startMs: sim.startMs,
    endMs: sim.startMs,
    rawBatches: 0,
    cameraFrames: 0,
    truthEvents: 0,
    faults: 0,
    files: [],
  };
  const endMs = sim.startMs + Math.round(o.durationS * 1000);
  const encoder = new RawEncoder(o.validateAll);
  while (sim.now < endMs) {
    sim.step({
      truth: (_a, m) => (truth.add(encode('truth', m).toString()), summary.truthEvents++),
      camera: (_a, f) => (camera?.add(encode('camera', f).toString()), summary.cameraFrames++),
      raw: (view) => (raw.add(encoder.encode(view)), summary.rawBatches++),
    });
  }
  for (const f of [raw, truth, camera]) f?.close();
  const faults = sim.faultsBefore(endMs);
  truthCsv(join(o.out, 'truth.csv'), faults);
  summary.endMs = endMs;
  summary.faults = faults.length;
  summary.files = [raw.path, join(o.out, 'truth.csv'), truth.path, ...(camera ? [camera.path] : [])];
  return summary;
}
