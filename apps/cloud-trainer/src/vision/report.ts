import { GOOD_CLASS_NAMES } from '@takt/contracts';
import { TrainerError } from '../errors.js';
import { classificationReport, toGoodDefect, type ClassificationReport } from '../cnn/metrics.js';

/** Labels read as "nothing wrong" when `--good-class` is not given (case-insensitive, whole label): the contracts' list. */
export { GOOD_CLASS_NAMES } from '@takt/contracts';

/** The good class: the one named, else the only label that reads as good, else none. */
export function goodClassOf(classes: string[], named?: string): number | undefined {
  if (named !== undefined) {
    const i = classes.indexOf(named);
    if (i < 0)
      throw new TrainerError(
        'BAD_ARGUMENT',
        `--good-class ${JSON.stringify(named)} is not one of the labels (${classes.join(', ')})`,
      );
    return i;
  }
  const found = classes.flatMap((c, i) => (GOOD_CLASS_NAMES.test(c) ? [i] : []));
  return found.length === 1 ? found[0] : undefined;
}

/** Both artifacts' predictions on the test split, with the class report of each, and good/defect when there is a good class. */
export interface VisionEvaluation {
  classes: string[];
  good?: number;
  fp32: ClassificationReport;
  int8: ClassificationReport;
  /** good (0) / defect (1) reports, when a good class is known */
  binary?: { fp32: ClassificationReport; int8: ClassificationReport };
}

export function evaluateVision(
  classes: string[],
  truth: Int32Array,
  fp32: Int32Array,
  int8: Int32Array,
  good: number | undefined,
): VisionEvaluation {
  const n = classes.length;
  const ev: VisionEvaluation = {
    classes,
    fp32: classificationReport(truth, fp32, n),
    int8: classificationReport(truth, int8, n),
  };
  if (good === undefined) return ev;
  const gt = toGoodDefect(truth, good);
  return {
    ...ev,
    good,
    binary: {
      fp32: classificationReport(gt, toGoodDefect(fp32, good), 2),
      int8: classificationReport(gt, toGoodDefect(int8, good), 2),
    },
  };
}

const KEY = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A metric name with the class in it, or its index when the label would make the name too long. */
const key = (prefix: string, cls: string, i: number) =>
  KEY.test(`${prefix}.${cls}`) ? `${prefix}.${cls}` : `${prefix}.${i}`;

/**
 * Flat manifest metrics: `test_accuracy[_int8]`, `test_macro_f1[_int8]`, per class
 * `test_precision[_int8].<class>` / `test_recall…`, the confusion matrix `test_confusion[_int8].<truth>.<predicted>`
 * (up to 16 classes), and with a good class `test_binary_accuracy[_int8]`, `test_defect_recall[_int8]`
 * (defects caught) and `test_good_recall[_int8]` (good parts passed).
 */
export function evaluationMetrics(ev: VisionEvaluation): Record<string, number> {
  const m: Record<string, number> = {};
  for (const [suffix, r] of [
    ['', ev.fp32],
    ['_int8', ev.int8],
  ] as const) {
    m[`test_accuracy${suffix}`] = r.accuracy;
    m[`test_macro_f1${suffix}`] = r.macroF1;
    ev.classes.forEach((c, i) => {
      m[key(`test_precision${suffix}`, c, i)] = r.precision[i] as number;
      m[key(`test_recall${suffix}`, c, i)] = r.recall[i] as number;
      if (ev.classes.length > 16) return;
      ev.classes.forEach((p, j) => {
        const named = `test_confusion${suffix}.${c}.${p}`;
        m[KEY.test(named) ? named : `test_confusion${suffix}.${i}.${j}`] = (r.confusion[i] as number[])[j] as number;
      });
    });
    const b = ev.binary?.[suffix === '' ? 'fp32' : 'int8'];
    if (b) {
      m[`test_binary_accuracy${suffix}`] = b.accuracy;
      m[`test_defect_recall${suffix}`] = b.recall[1] as number;
      m[`test_good_recall${suffix}`] = b.recall[0] as number;
    }
  }
  return m;
}

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const pad = (s: string, n: number) => s.padStart(n);

/** The evaluation as the CLI prints it: headline, per-class table (fp32 | int8), confusion matrices. */
export function formatEvaluation(ev: VisionEvaluation, testSamples: number): string {
  const lines = [
    `held-out test images: ${testSamples}`,
    `accuracy      fp32 ${pct(ev.fp32.accuracy)}   int8 ${pct(ev.int8.accuracy)}`,
    `macro-F1      fp32 ${ev.fp32.macroF1.toFixed(3)}     int8 ${ev.int8.macroF1.toFixed(3)}`,
  ];
  if (ev.binary && ev.good !== undefined) {
    const b = ev.binary;
    lines.push(
      `good/defect (good = ${ev.classes[ev.good]}): accuracy fp32 ${pct(b.fp32.accuracy)}   int8 ${pct(b.int8.accuracy)}`,
      `  defects caught fp32 ${pct(b.fp32.recall[1] as number)}   int8 ${pct(b.int8.recall[1] as number)};  good parts passed fp32 ${pct(b.fp32.recall[0] as number)}   int8 ${pct(b.int8.recall[0] as number)}`,
    );
  }
  const w = Math.max(8, ...ev.classes.map((c) => c.length));
  lines.push(`${pad('class', w)}  precision fp32/int8  recall fp32/int8`);
  ev.classes.forEach((c, i) => {
    const cell = (a: number[], b: number[]) => `${pct(a[i] as number).padStart(7)} /${pct(b[i] as number).padStart(7)}`;
    lines.push(`${pad(c, w)}  ${cell(ev.fp32.precision, ev.int8.precision)}   ${cell(ev.fp32.recall, ev.int8.recall)}`);
  });
  for (const [name, r] of [
    ['fp32', ev.fp32],
    ['int8', ev.int8],
  ] as const) {
    lines.push(
      `confusion ${name} (rows: truth, columns: predicted)`,
      `${pad('', w)} ${ev.classes.map((c) => pad(c.slice(0, 8), 8)).join(' ')}`,
    );
    r.confusion.forEach((row, i) =>
      lines.push(`${pad(ev.classes[i] as string, w)} ${row.map((v) => pad(String(v), 8)).join(' ')}`),
    );
  }
  return lines.join('\n');
}
