import type { SubspaceParams } from '@takt/onnx';
import { fitKmeans, refineKmeans } from '../kmeans.js';
import type { Matrix } from '../matrix.js';
import type { RobustScaling } from '../scaling.js';
import { selectK } from '../select-k.js';
import { fitPrincipalSubspace } from './pca.js';

/** The anomaly detector families Takt trains; both export to the same subspace graph. */
export const DETECTORS = ['kmeans', 'pca'] as const;
export type Detector = (typeof DETECTORS)[number];

export interface DetectorOptions {
  detector: Detector;
  /** share of the scaled variance the principal subspace keeps; default `DEFAULT_VARIANCE_KEPT` */
  varianceKept?: number;
  /** K-means: k range searched by silhouette; default 2..8 */
  minK?: number;
  maxK?: number;
  /** K-means: a fixed k (cross-fitting reuses the k chosen on all rows) */
  k?: number;
  /** K-means: k-means++ restarts; default 5 */
  restarts?: number;
  seed?: number;
  onK?: (k: number, silhouette: number) => void;
}

export interface FittedDetector {
  /** graph parameters; `limits` are 1 until calibration sets them */
  params: SubspaceParams;
  /** k chosen (1 for PCA) and its silhouette (0 for PCA) */
  k: number;
  silhouette: number;
  silhouettes: Record<number, number>;
}

/** Whitened principal scores t = P·z / √λ of scaled rows. */
export function whitenedScores(scaled: Matrix, mean: number[], basis: number[][], variance: number[]): Matrix {
  const q = basis.length;
  const out = new Float64Array(scaled.rows * q);
  for (let r = 0; r < scaled.rows; r++) {
    const o = r * scaled.cols;
    basis.forEach((b, j) => {
      let s = 0;
      for (let c = 0; c < scaled.cols; c++)
        s += (b[c] as number) * ((scaled.data[o + c] as number) - (mean[c] as number));
      out[r * q + j] = s / Math.sqrt(variance[j] as number);
    });
  }
  return { rows: scaled.rows, cols: q, data: out };
}

function centroidsOf(
  t: Matrix,
  o: DetectorOptions,
): Pick<FittedDetector, 'k' | 'silhouette' | 'silhouettes'> & { centroids: number[][] } {
  if (o.detector === 'pca') return { centroids: [Array<number>(t.cols).fill(0)], k: 1, silhouette: 0, silhouettes: {} };
  const seed = o.seed ?? 1;
  let model;
  let silhouettes: Record<number, number> = {};
  if (o.k !== undefined) {
    model = fitKmeans(t, { k: Math.min(o.k, t.rows), restarts: o.restarts ?? 5, seed: seed * 1000 + o.k });
  } else {
    const chosen = selectK(t, { minK: o.minK ?? 2, maxK: o.maxK, restarts: o.restarts, seed, onK: o.onK });
    model = chosen.model;
    silhouettes = chosen.silhouettes;
  }
  const refined = refineKmeans(t, model.centroids);
  const k = refined.centroids.rows;
  return {
    centroids: Array.from({ length: k }, (_, j) =>
      Array.from(refined.centroids.data.subarray(j * t.cols, (j + 1) * t.cols)),
    ),
    k,
    silhouette: silhouettes[k] ?? 0,
    silhouettes,
  };
}

/**
 * Fits a detector on scaled rows: the principal subspace, then K-means in its whitened scores
 * (`kmeans`: operating modes as clusters, distances in units of healthy spread) or one centroid
 * at the mean (`pca`: Hotelling's T²). The residual off the subspace is the SPE either way.
 */
export function fitDetector(scaled: Matrix, scaling: RobustScaling, o: DetectorOptions): FittedDetector {
  const pca = fitPrincipalSubspace(scaled, o.varianceKept);
  const t = whitenedScores(scaled, pca.mean, pca.basis, pca.variance);
  const { centroids, ...chosen } = centroidsOf(t, o);
  // fold the PCA mean into the graph's centering: (x − (center + mean·scale)) / scale
  const center = scaling.center.map((c, i) => c + (pca.mean[i] as number) * (scaling.scale[i] as number));
  return {
    params: {
      center,
      scale: scaling.scale,
      basis: pca.basis,
      variance: pca.variance,
      centroids,
      limits: { t2: 1, spe: 1 },
    },
    ...chosen,
  };
}
