import type * as tfjs from '@tensorflow/tfjs';
import { SeededRandom } from '../anomaly/random.js';
import { silentProgress, type ProgressReporter } from '../progress.js';
import type { Tf } from '../tf-backend.js';
import { foldNormalization, normalize, type InputNormalization } from './fold.js';
import { classWeights, gather } from './split.js';

/** Samples with one shape, one after another, and their class indices. */
export interface ClassifierSplit {
  x: Float32Array;
  labels: Int32Array;
}

export interface TrainClassifierOptions {
  /** shape of one sample, e.g. [32, 32, 1] or [256, 3] */
  sampleShape: number[];
  classes: number;
  /** most epochs; default 40 */
  epochs?: number;
  /** default 32 */
  batchSize?: number;
  /** Adam learning rate; default 0.003 */
  learningRate?: number;
  /** epochs without a better validation result before stopping; default 6 */
  patience?: number;
  /** epochs without a better validation result before the learning rate halves (reduce on plateau); default patience / 2 */
  lrPatience?: number;
  /**
   * `plateau` (default): halve the rate after `lrPatience` epochs without a better validation result.
   * `cosine`: linear warm-up over the first `warmupEpochs`, then cosine decay to 2 % of the rate at `epochs`.
   */
  schedule?: 'plateau' | 'cosine';
  /** warm-up epochs of the `cosine` schedule; default 2 */
  warmupEpochs?: number;
  seed?: number;
  /** a fresh random variant of the training batch for each epoch (on raw inputs) */
  augment?: (x: Float32Array, rng: SeededRandom) => Float32Array;
  /** per-channel input normalisation trained with and folded into the first conv at the end, so the returned model takes raw inputs */
  normalization?: InputNormalization;
  progress?: ProgressReporter;
}

export interface TrainedClassifier {
  model: tfjs.LayersModel;
  /** epoch (1-based) whose weights were kept */
  bestEpoch: number;
  epochsRun: number;
  valAccuracy: number;
  valLoss: number;
  /** wall time of each epoch, ms */
  epochMs: number[];
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
function shuffled(n: number, rng: SeededRandom): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx;
}

// tfjs keeps Adam's rate in a protected field that applyGradients reads each step
const rateOf = (optimizer: tfjs.Optimizer) => (optimizer as unknown as { learningRate: number }).learningRate;
const setRate = (optimizer: tfjs.Optimizer, rate: number) =>
  void ((optimizer as unknown as { learningRate: number }).learningRate = rate);

/** Learning rate of epoch `epoch` (1-based): linear warm-up, then cosine decay to 2 % of `base` at `epochs`. */
export function cosineRate(base: number, epoch: number, epochs: number, warmup: number): number {
  if (epoch <= warmup) return (base * epoch) / (warmup + 1);
  const t = Math.min(1, (epoch - warmup - 1) / Math.max(1, epochs - warmup - 1));
  return base * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * t)));
}

async function evaluate(
  tf: Tf,
  model: tfjs.LayersModel,
  val: ClassifierSplit,
  shape: number[],
  classes: number,
): Promise<{ loss: number; acc: number }> {
  const [loss, acc] = tf.tidy(() => {
    const xs = tf.tensor(val.x, [val.labels.length, ...shape]);
    const ys = tf.oneHot(tf.tensor1d(val.labels, 'int32'), classes);
    const p = model.predict(xs) as tfjs.Tensor;
    const l = tf.neg(tf.sum(tf.mul(ys, tf.log(tf.clipByValue(p, 1e-7, 1))), -1)).mean();
    const a = tf.equal(p.argMax(-1), ys.argMax(-1)).mean();
    return [l.dataSync()[0] as number, a.dataSync()[0] as number];
  });
  return { loss, acc };
}

/**
 * Trains a softmax classifier: a fresh augmented, shuffled copy of the training split each epoch,
 * class-weighted cross-entropy, early stopping on validation accuracy (ties: lower loss), the
 * best epoch's weights restored at the end and the input normalisation folded in.
 */
export async function trainClassifier(
  tf: Tf,
  model: tfjs.LayersModel,
  train: ClassifierSplit,
  val: ClassifierSplit,
  options: TrainClassifierOptions,
): Promise<TrainedClassifier> {
  const { sampleShape, classes } = options;
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const rng = new SeededRandom(options.seed ?? 1);
  const epochs = options.epochs ?? 40;
  const patience = options.patience ?? 6;
  const baseRate = options.learningRate ?? 0.003;
  const optimizer = tf.train.adam(
    options.schedule === 'cosine' ? cosineRate(baseRate, 1, epochs, options.warmupEpochs ?? 2) : baseRate,
  );
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const lrPatience = options.lrPatience ?? Math.max(1, Math.floor(patience / 2));
  let lastLrDrop = 0;
  const weights = classWeights(train.labels, classes);
  const norm = options.normalization;
  const prepare = (x: Float32Array) => (norm ? normalize(x, norm) : x);
  const valPrepared = { x: prepare(val.x), labels: val.labels };
  const phase = (options.progress ?? silentProgress).phase('epochs', epochs);
  let best = { epoch: 0, acc: -1, loss: Infinity, weights: [] as tfjs.Tensor[] };
  const epochMs: number[] = [];
  let epoch = 0;
  for (epoch = 1; epoch <= epochs && epoch - best.epoch <= patience; epoch++) {
    const t0 = Date.now();
    const order = shuffled(train.labels.length, rng);
    const xRaw = gather(train.x, per, order);
    const x = prepare(options.augment ? options.augment(xRaw, rng) : xRaw);
    const xs = tf.tensor(x, [order.length, ...sampleShape]);
    const ys = tf.tidy(() =>
      tf.oneHot(
        tf.tensor1d(
          Int32Array.from(order, (i) => train.labels[i] as number),
          'int32',
        ),
        classes,
      ),
    );
    const h = await model.fit(xs, ys, {
      epochs: 1,
      batchSize: options.batchSize ?? 32,
      shuffle: false,
      classWeight: weights,
      verbose: 0,
    });
    tf.dispose([xs, ys]);
    const v = await evaluate(tf, model, valPrepared, sampleShape, classes);
    epochMs.push(Date.now() - t0);
    if (v.acc > best.acc || (v.acc === best.acc && v.loss < best.loss)) {
      tf.dispose(best.weights);
      best = { epoch, acc: v.acc, loss: v.loss, weights: model.getWeights().map((w) => w.clone()) };
    }
    if (options.schedule === 'cosine') {
      setRate(optimizer, cosineRate(baseRate, epoch + 1, epochs, options.warmupEpochs ?? 2));
    } else if (epoch - Math.max(best.epoch, lastLrDrop) >= lrPatience) {
      setRate(optimizer, rateOf(optimizer) / 2);
      lastLrDrop = epoch;
    }
    const msEpoch = epochMs.reduce((a, b) => a + b, 0) / epochMs.length;
    phase.tick({
      loss: Number(h.history['loss']?.[0]),
      acc: Number(h.history['acc']?.[0] ?? h.history['accuracy']?.[0]),
      val_loss: v.loss,
      val_acc: v.acc,
      s_epoch: msEpoch / 1000,
      eta_s: Math.round((msEpoch * (Math.min(epochs, best.epoch + patience) - epoch)) / 1000),
    });
  }
  phase.done({ best_epoch: best.epoch, val_acc: best.acc });
  model.setWeights(best.weights);
  tf.dispose(best.weights);
  if (norm) foldNormalization(tf, model, norm);
  return { model, bestEpoch: best.epoch, epochsRun: epoch - 1, valAccuracy: best.acc, valLoss: best.loss, epochMs };
}
