import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAULT_KINDS, type ModelManifest, type RawSampleBatch } from '@takt/contracts';
import { Windower } from '@takt/features';
import type { ModelRegistry } from '@takt/model-registry';
import type { Logger } from '@takt/runtime';
import { onnxPredict } from '../cnn/export.js';
import { TrainerError } from '../errors.js';
import { trainFault, type TrainedFault } from '../fault/fit.js';
import { windowInput } from '../fault/windows.js';
import { readModelDir, type ManifestDraft } from '../model-dir.js';
import { windowLabel, type TruthFault } from '../raw/recording.js';
import { loadLabelledImages } from '../vision/dataset.js';
import { fitVision } from '../vision/fit.js';
import { hashHoldout } from '../vision/holdout.js';
import type { TrainerServiceConfig } from './config.js';
import type { JobOutcome, JobProgress } from './jobs.js';
import { progressBetween } from './kmeans-job.js';
import type { ClassifierEvaluation, ClassifierGateReport, JobRecord } from './records.js';

/** A piece of evidence as the store's query returns it, labels resolved (see telemetry-store `queryEvidence`). */
export interface EvidenceRecord {
  evidenceId: string;
  deviceId: string;
  ts: number;
  kind: 'frame' | 'window';
  reason: string;
  sha256: string;
  window?: { sensors: string[]; eventId?: string; onset?: number };
  truth?: string;
  label?: { label: string; by: string; at: number; source: 'engineer' | 'upload' };
}
export interface EvidenceQuery {
  from: number;
  to: number;
  kind?: 'frame' | 'window';
  devices?: string[];
  limit?: number;
}
/** A simulated fault on a device, from the stored `truth` channel. */
export interface TruthInterval {
  deviceId: string;
  fault: string;
  start: number;
  end?: number;
}

/** What the CNN jobs read: labelled evidence and simulator truth (InfluxDB) and the evidence blobs. */
export interface CnnJobDeps {
  store: {
    queryEvidence(q: EvidenceQuery): Promise<EvidenceRecord[]>;
    queryTruth(q: { from: number; to: number; devices?: string[] }): Promise<TruthInterval[]>;
  };
  blobs: { get(sha256: string): Promise<Uint8Array | undefined> };
  registry: ModelRegistry;
  training: TrainerServiceConfig['training'];
  /** use the simulator's ground truth where no engineer or upload label applies (demos and tests) */
  useSimulatorTruth: boolean;
  /** where a job lays out its data set for the fit (a fresh folder per job, removed after); default the OS temp dir */
  workDir?: string;
  logger: Logger;
}

/** The fault class of a window an engineer called healthy: the fault CLI's name for "no fault". */
export const HEALTHY_FAULT_CLASS = 'ok';
const HEALTHY_LABELS = new Set(['ok', 'normal', 'false-alarm']);

/** A label that applies to a piece of evidence, and where it came from. */
interface Resolved {
  label: string;
  source: 'engineer' | 'upload' | 'simulator' | 'healthy-sample';
}

/** The job's evidence of one kind: its range (default: `lookbackMs` back from now), devices, at most `maxSamples`. */
async function readEvidence(
  deps: CnnJobDeps,
  job: JobRecord,
  kind: 'frame' | 'window',
  cfg: { lookbackMs: number; maxSamples: number },
) {
  const to = job.request.to ?? Date.now();
  const from = job.request.from ?? to - cfg.lookbackMs;
  const devices = job.request.devices ? { devices: job.request.devices } : {};
  const records = await deps.store.queryEvidence({ from, to, kind, ...devices, limit: cfg.maxSamples });
  return { from, to, records };
}

const countBy = <T>(items: T[], key: (t: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
};

const fmtCounts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** The gate of a CNN: the candidate passes when its held-out accuracy is at least the current model's minus `slack`. */
export function classifierGate(
  candidate: ClassifierEvaluation,
  current: ClassifierEvaluation | undefined,
  testSamples: number,
  slack: number,
  why?: string,
): ClassifierGateReport {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  if (!current) return { basis: 'held-out', testSamples, candidate, passed: true, reason: why ?? 'no current model' };
  const passed = candidate.accuracy >= current.accuracy - slack;
  return {
    basis: 'held-out',
    testSamples,
    candidate,
    current,
    passed,
    reason: `${passed ? 'as good as' : 'worse than'} current v${current.version}: held-out accuracy ${pct(candidate.accuracy)} vs ${pct(current.accuracy)} on the same ${testSamples} samples`,
  };
}

function gateMetrics(g: ClassifierGateReport): Record<string, number> {
  return {
    gate_test_samples: g.testSamples,
    gate_accuracy: g.candidate.accuracy,
    ...(g.current ? { gate_currentEvalaccuracy: g.current.accuracy } : {}),
  };
}

/** A trained candidate, before the gate: what `judgeAndRegister` needs of either CNN job. */
interface Candidate {
  /** what the samples are, for messages */
  what: 'frames' | 'windows';
  version: number;
  /** the fit's metrics: `val_accuracy` (fp32) and `val_accuracy_int8` on the held-out samples */
  metrics: Record<string, number>;
  /** the current model on the same held-out samples; undefined when there is none or it cannot read them */
  current: ClassifierEvaluation | undefined;
  testSamples: number;
  slack: number;
  /** why there is no current evaluation, when there is a current model */
  why?: string;
  /** classes left out for too few samples */
  dropped: Record<string, number>;
  samples: number;
  classes: number;
  /** label counts by source */
  sources: Record<string, number>;
  from: number;
  to: number;
  /** the devices it can serve */
  serves: string[];
  artifacts: () => { draft: ManifestDraft; fp32: Uint8Array; int8: Uint8Array };
}

/** The promotion gate against the current model, then (when it passes) sign and register: the end of every CNN job. */
async function judgeAndRegister(
  deps: CnnJobDeps,
  job: JobRecord,
  progress: JobProgress,
  c: Candidate,
): Promise<JobOutcome> {
  const candidate: ClassifierEvaluation = {
    version: c.version,
    accuracy: c.metrics['val_accuracy'] ?? 0,
    accuracyInt8: c.metrics['val_accuracy_int8'] ?? 0,
  };
  const gate = classifierGate(candidate, c.current, c.testSamples, c.slack, c.why);
  const metrics = { ...c.metrics, ...gateMetrics(gate), [c.what]: c.samples, classes: c.classes };
  const base = { metrics, gate, labelSources: c.sources };
  const note =
    Object.keys(c.dropped).length > 0 ? `; classes left out for too few ${c.what}: ${fmtCounts(c.dropped)}` : '';
  if (!gate.passed) return { ...base, message: `candidate v${c.version} refused: ${gate.reason}${note}` };
  progress(0.93, `registering v${c.version}`);
  const { draft, fp32, int8 } = c.artifacts();
  await deps.registry.register({
    manifest: {
      ...draft,
      name: job.model,
      version: c.version,
      createdAt: Date.now(),
      training: {
        ...draft.training,
        from: c.from,
        to: c.to,
        source: `evidence:${c.what} ${fmtCounts(c.sources)}`.slice(0, 256),
      },
      metrics: { ...draft.metrics, ...gateMetrics(gate) },
    },
    artifact: fp32,
    variants: { int8 },
  });
  deps.logger.info({ model: job.model, version: c.version, gate: gate.reason, serves: c.serves }, 'CNN registered');
  return {
    ...base,
    message: `registered v${c.version} (${gate.reason})${note}`,
    version: c.version,
    trainedOn: c.serves,
  };
}

// ---------------------------------------------------------------- vision

/** The label of a frame: an engineer's or the upload's, else (when allowed) the simulator's truth. */
export function frameLabel(r: EvidenceRecord, useTruth: boolean): Resolved | undefined {
  if (r.label) return { label: r.label.label, source: r.label.source };
  if (useTruth && r.truth) return { label: r.truth, source: 'simulator' };
  return undefined;
}

/** Classes with fewer than `min` samples cannot be learned yet: left out, and said so. */
function enoughPerClass<T extends { label: string }>(
  items: T[],
  min: number,
): { kept: T[]; dropped: Record<string, number> } {
  const counts = countBy(items, (i) => i.label);
  const dropped = Object.fromEntries(Object.entries(counts).filter(([, n]) => n < min));
  return { kept: items.filter((i) => !(i.label in dropped)), dropped };
}

/** The current vision model's accuracy on the held-out frames (read at its own input size), classes matched by name. */
async function currentVisionAccuracy(
  deps: CnnJobDeps,
  current: ModelManifest,
  dir: string,
  test: { file: string; label: string }[],
): Promise<ClassifierEvaluation | undefined> {
  const size = current.input.shape[1];
  const classes = current.classes;
  if (!classes || typeof size !== 'number' || test.length === 0) return undefined;
  const csv = join(dir, 'current-test.csv');
  await writeFile(csv, ['file,label', ...test.map((t) => `${t.file},${t.label}`)].join('\n') + '\n');
  const data = loadLabelledImages(dir, csv, { size, minPerClass: 1 });
  const predicted = await onnxPredict(
    await deps.registry.readArtifact(current),
    { x: data.pixels, labels: data.labels },
    [size, size, 1],
    classes.length,
  );
  let right = 0;
  predicted.forEach((p, i) => (right += classes[p] === data.classes[data.labels[i] as number] ? 1 : 0));
  return { version: current.version, accuracy: right / predicted.length };
}

/**
 * A `cnn-vision` job: labelled frames from the evidence store (engineer relabels, uploaded sets, and — in demos
 * and tests only — simulator truth) → the same fit as `takt-trainer vision fit` (held-out test share by a hash of
 * the evidence id, stable as the set grows) → gate against the current model on the same held-out frames →
 * fp32 + int8, signed, registered. `trainedOn` is every device that sent frames: the camera stations it serves.
 */
export async function runVisionJob(deps: CnnJobDeps, job: JobRecord, progress: JobProgress): Promise<JobOutcome> {
  const cfg = deps.training.vision;
  progress(0.02, 'reading labelled frames from the evidence store');
  const { from, to, records } = await readEvidence(deps, job, 'frame', cfg);
  const labelled = records.flatMap((r) => {
    const l = frameLabel(r, deps.useSimulatorTruth);
    return l ? [{ r, ...l }] : [];
  });
  const { kept, dropped } = enoughPerClass(labelled, cfg.minPerClass);
  const classes = [...new Set(kept.map((k) => k.label))].sort();
  if (classes.length < 2) {
    throw new TrainerError(
      'TOO_FEW_IMAGES',
      `${labelled.length} labelled frame(s) of ${records.length} in the evidence store give ${classes.length} class(es) with at least ${cfg.minPerClass} frames (${fmtCounts(countBy(labelled, (l) => l.label)) || 'none'}); a classifier needs two`,
    );
  }
  const dir = await mkdtemp(join(deps.workDir ?? tmpdir(), 'takt-vision-job-'));
  try {
    progress(0.05, `fetching ${kept.length} frames`);
    const rows: { file: string; label: string }[] = [];
    for (const k of kept) {
      const png = await deps.blobs.get(k.r.sha256);
      if (!png) continue; // swept by retention since the query: the frame is gone, not an error
      const file = `${k.r.evidenceId}.png`;
      await writeFile(join(dir, file), png);
      rows.push({ file, label: k.label });
    }
    await writeFile(
      join(dir, 'labels.csv'),
      ['file,label', ...rows.map((r) => `${r.file},${r.label}`)].join('\n') + '\n',
    );
    const current = await deps.registry.latest(job.model);
    const version = (current?.version ?? 0) + 1;
    const sources = countBy(kept, (k) => k.source);
    progress(0.1, `training v${version} on ${rows.length} frames of ${classes.length} classes (${fmtCounts(sources)})`);
    const out = join(dir, 'model');
    const fit = await fitVision({
      images: dir,
      labels: join(dir, 'labels.csv'),
      out,
      name: job.model,
      size: cfg.size,
      epochs: cfg.epochs,
      patience: cfg.patience,
      holdout: cfg.holdout,
      seed: deps.training.seed,
      progress: progressBetween(progress, 0.1, 0.85),
    });
    progress(0.87, 'evaluating candidate against the current model');
    const test = hashHoldout(
      rows.map((r) => r.file),
      cfg.holdout,
    ).test.map((i) => rows[i] as { file: string; label: string });
    const currentEval =
      current?.kind === 'cnn-vision' ? await currentVisionAccuracy(deps, current, dir, test) : undefined;
    return await judgeAndRegister(deps, job, progress, {
      what: 'frames',
      version,
      metrics: fit.manifest.metrics,
      current: currentEval,
      testSamples: test.length,
      slack: cfg.gateSlack,
      dropped,
      samples: rows.length,
      classes: classes.length,
      sources,
      from,
      to,
      serves: [...new Set(records.filter((r) => r.reason !== 'upload').map((r) => r.deviceId))].sort(),
      artifacts: () => {
        const { manifest, bytes } = readModelDir(out);
        const { artifact: _a, variants: _v, signature: _s, ...draft } = manifest;
        return { draft, fp32: bytes, int8: readModelDir(out, 'int8').bytes };
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- fault

/** A window's samples as the raw batch they came from. */
interface WindowBlob {
  t0: number;
  sensors: RawSampleBatch['sensors'];
}

function parseWindowBlob(bytes: Uint8Array, id: string): WindowBlob {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as WindowBlob;
    if (typeof v.t0 !== 'number' || typeof v.sensors !== 'object' || v.sensors === null)
      throw new Error('not {t0, sensors}');
    return v;
  } catch (err) {
    throw new TrainerError(
      'BAD_ARGUMENT',
      `window evidence ${id}: blob is not a raw window: ${(err as Error).message}`,
    );
  }
}

/**
 * The samples from `from` on (an engineer's fault label is about the event, so what came before its onset is
 * left out). Every series then starts at `from`, each off by less than one of its sample periods.
 */
function trimBefore(w: WindowBlob, from: number): WindowBlob {
  if (from <= w.t0) return w;
  const sensors: RawSampleBatch['sensors'] = {};
  for (const [name, s] of Object.entries(w.sensors)) {
    const skip = Math.ceil(((from - w.t0) * s.rate) / 1000);
    if (skip < s.values.length) sensors[name] = { ...s, values: s.values.slice(skip) };
  }
  return { t0: Math.round(from), sensors };
}

/** How a window is labelled: an engineer's label wins; a healthy sample is healthy; else simulator truth when allowed. */
export function windowLabelOf(
  r: EvidenceRecord,
  useTruth: boolean,
): { fixed?: Resolved; fromTruth: boolean } | undefined {
  if (r.label) {
    const l = r.label.label;
    if (HEALTHY_LABELS.has(l))
      return { fixed: { label: HEALTHY_FAULT_CLASS, source: r.label.source }, fromTruth: false };
    if ((FAULT_KINDS as readonly string[]).includes(l))
      return { fixed: { label: l, source: r.label.source }, fromTruth: false };
    // `true-alarm` says there was a fault, not which one: only truth can name it
  }
  if (useTruth) return { fromTruth: true };
  if (r.reason === 'healthy')
    return { fixed: { label: HEALTHY_FAULT_CLASS, source: 'healthy-sample' }, fromTruth: false };
  return undefined;
}

/** The sensor set most labelled windows share (exactly): the machines of that kind are the ones the model serves. */
function sensorGroup(records: EvidenceRecord[], named?: string[]): string[] {
  if (named) return named;
  const counts = countBy(records, (r) => [...(r.window?.sensors ?? [])].sort().join(','));
  const best = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  return best ? best[0].split(',').filter((s) => s.length > 0) : [];
}

/** The current fault model's accuracy on the candidate's validation windows, when it reads the same windows. */
async function currentFaultAccuracy(
  deps: CnnJobDeps,
  current: ModelManifest,
  t: TrainedFault,
): Promise<ClassifierEvaluation | undefined> {
  const w = current.input.window;
  const mine = t.draft.input.window;
  if (
    !w ||
    !mine ||
    !current.classes ||
    w.lengthMs !== mine.lengthMs ||
    current.input.shape[1] !== t.sampleShape[0] ||
    w.sensors.join(',') !== mine.sensors.join(',')
  )
    return undefined;
  const predicted = await onnxPredict(
    await deps.registry.readArtifact(current),
    t.val,
    t.sampleShape,
    current.classes.length,
  );
  let right = 0;
  predicted.forEach((p, i) => (right += current.classes?.[p] === t.classes[t.val.labels[i] as number] ? 1 : 0));
  return { version: current.version, accuracy: predicted.length === 0 ? 0 : right / predicted.length };
}

/**
 * A `cnn-fault` job: raw windows from the evidence store — around anomaly events (labelled by an engineer with
 * a fault class or as a false alarm) and healthy samples — cut into the model's windows, labelled (engineer
 * labels first; simulator truth only in demos and tests) → the same 1-D CNN as `takt-trainer fault fit` → gate
 * against the current model on the same validation windows → fp32 + int8, signed, registered. It serves the
 * machines whose windows carry its sensors.
 */
export async function runFaultJob(deps: CnnJobDeps, job: JobRecord, progress: JobProgress): Promise<JobOutcome> {
  const cfg = deps.training.fault;
  progress(0.02, 'reading raw windows from the evidence store');
  const { from, to, records } = await readEvidence(deps, job, 'window', cfg);
  const usable = records.flatMap((r) => {
    const how = windowLabelOf(r, deps.useSimulatorTruth);
    return how && r.window ? [{ r, how }] : [];
  });
  const sensors = sensorGroup(
    usable.map((u) => u.r),
    cfg.sensors,
  );
  const inGroup = usable.filter((u) => sensors.every((s) => u.r.window?.sensors.includes(s)));
  const truth: TruthFault[] = deps.useSimulatorTruth
    ? (await deps.store.queryTruth({ from: from - 3_600_000, to })).map((t) => ({
        machine: t.deviceId,
        fault: t.fault,
        start: t.start,
        end: t.end ?? to,
      }))
    : [];
  const hopMs = Math.max(10, Math.round(cfg.windowMs / 2));
  const xs: Float32Array[] = [];
  const names: string[] = [];
  const groups: string[] = [];
  const sources: Record<string, number> = {};
  const devices = new Set<string>();
  progress(0.05, `cutting ${inGroup.length} raw windows of ${sensors.join(',')} into ${cfg.windowMs} ms windows`);
  for (const { r, how } of inGroup) {
    const bytes = await deps.blobs.get(r.sha256);
    if (!bytes) continue;
    let blob = parseWindowBlob(bytes, r.evidenceId);
    if (how.fixed && how.fixed.label !== HEALTHY_FAULT_CLASS && r.window?.onset !== undefined)
      blob = trimBefore(blob, r.window.onset);
    if (Object.keys(blob.sensors).length === 0) continue;
    const windower = new Windower({ lengthMs: cfg.windowMs, hopMs, sensors });
    const batch = {
      schemaVersion: 1 as const,
      deviceId: r.deviceId,
      ts: blob.t0,
      seq: 0,
      t0: blob.t0,
      sensors: blob.sensors,
    };
    for (const w of windower.push(batch)) {
      const label = how.fixed ? how.fixed.label : windowLabel(truth, r.deviceId, w.start, w.end);
      if (label === undefined) continue; // a fault covering less than half the window: ambiguous
      const x = windowInput(w, sensors, cfg.length);
      if (!x) continue;
      xs.push(x);
      names.push(label);
      groups.push(r.evidenceId);
      const source = how.fixed ? how.fixed.source : 'simulator';
      sources[source] = (sources[source] ?? 0) + 1;
      devices.add(r.deviceId);
    }
  }
  const counts = countBy(names, (n) => n);
  const enough = Object.entries(counts).filter(([, n]) => n >= cfg.minPerClass);
  if (enough.length < 2) {
    throw new TrainerError(
      'TOO_FEW_ROWS',
      `${names.length} labelled window(s) from ${inGroup.length} raw windows give ${enough.length} class(es) with at least ${cfg.minPerClass} windows (${fmtCounts(counts) || 'none'}); a classifier needs two`,
    );
  }
  const keep = new Set(enough.map(([c]) => c));
  const dropped = Object.fromEntries(Object.entries(counts).filter(([c]) => !keep.has(c)));
  const idx = names.flatMap((n, i) => (keep.has(n) ? [i] : []));
  const per = cfg.length * sensors.length;
  const x = new Float32Array(idx.length * per);
  idx.forEach((i, j) => x.set(xs[i] as Float32Array, j * per));
  const current = await deps.registry.latest(job.model);
  const version = (current?.version ?? 0) + 1;
  progress(0.1, `training v${version} on ${idx.length} windows (${fmtCounts(Object.fromEntries(enough))})`);
  const t = await trainFault(
    {
      sensors,
      length: cfg.length,
      lengthMs: cfg.windowMs,
      hopMs,
      x,
      names: idx.map((i) => names[i] as string),
      groups: idx.map((i) => groups[i] as string),
    },
    {
      source: `evidence:windows ${fmtCounts(sources)}`,
      name: job.model,
      epochs: cfg.epochs,
      valSplit: cfg.valSplit,
      minPerClass: cfg.minPerClass,
      seed: deps.training.seed,
      progress: progressBetween(progress, 0.1, 0.85),
    },
  );
  progress(0.87, 'evaluating candidate against the current model');
  return judgeAndRegister(deps, job, progress, {
    what: 'windows',
    version,
    metrics: t.draft.metrics,
    current: current?.kind === 'cnn-fault' ? await currentFaultAccuracy(deps, current, t) : undefined,
    testSamples: t.val.labels.length,
    slack: cfg.gateSlack,
    ...(current ? { why: `current v${current.version} reads other windows (sensors, length or size differ)` } : {}),
    dropped,
    samples: idx.length,
    classes: t.classes.length,
    sources,
    from,
    to,
    // every machine that sent windows with these sensors can run it, not only those with labelled faults
    serves: [
      ...new Set(records.filter((r) => sensors.every((s) => r.window?.sensors.includes(s))).map((r) => r.deviceId)),
    ].sort(),
    artifacts: () => ({ draft: t.draft, fp32: t.fp32, int8: t.int8 }),
  });
}
