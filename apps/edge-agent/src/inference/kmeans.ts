import type { ModelManifest } from '@takt/contracts';
import { EdgeError } from '../errors.js';
import type { LoadedModel } from './loaded-model.js';

export interface Score {
  score: number;
  cluster: number;
}

/** Feature names the model takes, in input order (manifest `input.featureNames`). */
export function modelFeatureNames(m: ModelManifest): string[] {
  const names = m.input.featureNames;
  if (!names || names.length === 0)
    throw new EdgeError('UNSUPPORTED_MODEL', `kmeans model ${m.name} v${m.version} has no input.featureNames`);
  return names;
}

/** The window's features in the model's order, or the names missing from the window. */
export function featureVector(
  features: Record<string, number>,
  names: readonly string[],
): { vector: Float32Array; missing: string[] } {
  const vector = new Float32Array(names.length);
  const missing: string[] = [];
  names.forEach((n, i) => {
    const v = features[n];
    if (v === undefined) missing.push(n);
    else vector[i] = v;
  });
  return { vector, missing };
}

/** Scores a batch of feature vectors; throws `EdgeError('BAD_OUTPUT')` on a wrong shape or a non-finite score. */
export async function scoreBatch(model: LoadedModel, vectors: Float32Array[]): Promise<Score[]> {
  const f = vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * f);
  vectors.forEach((v, i) => data.set(v, i * f));
  const out = await model.run(data, [vectors.length, f]);
  const score = out.values['score'] ?? out.values[model.manifest.outputs[0]?.name ?? ''];
  const cluster = out.values['cluster'];
  if (!score || score.length !== vectors.length)
    throw new EdgeError(
      'BAD_OUTPUT',
      `kmeans model returned ${score?.length ?? 0} scores for ${vectors.length} windows`,
    );
  return Array.from(score, (s, i) => {
    if (!Number.isFinite(s))
      throw new EdgeError(
        'BAD_OUTPUT',
        `kmeans model ${model.manifest.name} v${model.manifest.version} returned score ${s}`,
      );
    return { score: s, cluster: cluster ? Math.max(0, Math.trunc(cluster[i] ?? 0)) : 0 };
  });
}
