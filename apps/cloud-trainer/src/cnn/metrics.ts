/** How well predicted classes match the truth: what a plant engineer reads before trusting a model. */
export interface ClassificationReport {
  accuracy: number;
  /** per class (index = class): of the samples predicted as c, the share that are c (0 when none predicted) */
  precision: number[];
  /** per class: of the samples that are c, the share predicted as c */
  recall: number[];
  /** per class: harmonic mean of precision and recall */
  f1: number[];
  /** unweighted mean of the per-class F1: rare defect classes count as much as the common good one */
  macroF1: number;
  /** confusion[truth][predicted] counts */
  confusion: number[][];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix of `classes` classes. */
export function classificationReport(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
): ClassificationReport {
  if (truth.length !== predicted.length)
    throw new RangeError(`classificationReport: ${truth.length} truths, ${predicted.length} predictions`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i] as number;
    const p = predicted[i] as number;
    (confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + 1;
    if (t === p) correct++;
  }
  const col = (c: number) => confusion.reduce((a, row) => a + (row[c] as number), 0);
  const row = (c: number) => (confusion[c] as number[]).reduce((a, b) => a + b, 0);
  const hit = (c: number) => (confusion[c] as number[])[c] as number;
  const precision = confusion.map((_, c) => ratio(hit(c), col(c)));
  const recall = confusion.map((_, c) => ratio(hit(c), row(c)));
  const f1 = precision.map((p, c) => ratio(2 * p * (recall[c] as number), p + (recall[c] as number)));
  return {
    accuracy: ratio(correct, truth.length),
    precision,
    recall,
    f1,
    macroF1: f1.reduce((a, b) => a + b, 0) / Math.max(1, classes),
    confusion,
  };
}

/**
 * Collapses class indices to good (0) / defect (1) around one good class: a defect predicted as
 * another defect class still counts as a caught defect.
 */
export function toGoodDefect(labels: ArrayLike<number>, good: number): Int32Array {
  return Int32Array.from({ length: labels.length }, (_, i) => (labels[i] === good ? 0 : 1));
}
