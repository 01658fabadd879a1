import * as ort from 'onnxruntime-node';

/** One model variant loaded for timing. */
export interface Variant {
  name: string;
  session: ort.InferenceSession;
}

export async function loadVariant(name: string, model: Uint8Array, threads: number): Promise<Variant> {
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  return { name, session };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

/**
 * Median ms per `session.run` at `batch`, fp32 and int8 interleaved run by run so both see the same
 * background load. Inputs are real frames cycled from `pool`.
 */
export async function timeVariants(
  variants: Variant[],
  pool: Float32Array,
  sampleShape: number[],
  batch: number,
  rounds: number,
): Promise<Map<string, number>> {
  const perSample = sampleShape.reduce((a, b) => a * b, 1);
  const samples = pool.length / perSample;
  const feeds = Array.from({ length: 8 }, (_, i) => {
    const start = ((i * batch) % Math.max(1, samples - batch)) * perSample;
    return new ort.Tensor('float32', pool.slice(start, start + batch * perSample), [batch, ...sampleShape]);
  });
  const times = new Map(variants.map((v) => [v.name, [] as number[]]));
  for (const v of variants)
    for (let i = 0; i < 5; i++) await v.session.run({ input: feeds[i % feeds.length] as ort.Tensor });
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const t0 = performance.now();
      await v.session.run({ input: feeds[r % feeds.length] as ort.Tensor });
      times.get(v.name)?.push(performance.now() - t0);
    }
  }
  return new Map([...times].map(([k, t]) => [k, median(t)]));
}

/** Top-1 accuracy over a labelled set, in batches of 64. */
export async function accuracy(
  v: Variant,
  x: Float32Array,
  y: Int32Array,
  sampleShape: number[],
  classes: number,
): Promise<{ accuracy: number; predictions: number[] }> {
  const perSample = sampleShape.reduce((a, b) => a * b, 1);
  const predictions: number[] = [];
  for (let start = 0; start < y.length; start += 64) {
    const n = Math.min(64, y.length - start);
    const out = await v.session.run({
      input: new ort.Tensor('float32', x.slice(start * perSample, (start + n) * perSample), [n, ...sampleShape]),
    });
    const p = out['output']?.data as Float32Array;
    for (let i = 0; i < n; i++) {
      const row = Array.from(p.subarray(i * classes, (i + 1) * classes));
      predictions.push(row.indexOf(Math.max(...row)));
    }
  }
  return { accuracy: predictions.filter((c, i) => c === y[i]).length / y.length, predictions };
}
