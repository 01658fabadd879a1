import type * as tfjs from '@tensorflow/tfjs';
import { INT8_QUANTIZATION, quantizeInt8, tfjsToOnnx } from '@takt/onnx';
import type { ModelManifest } from '@takt/contracts';
import { accuracy, OnnxClassifier, topClass } from './onnx-classifier.js';
import type { ClassifierSplit } from './train-classifier.js';

export interface ExportedClassifier {
  fp32: Uint8Array;
  int8: Uint8Array;
  /** validation accuracy of each artifact, run by onnxruntime */
  fp32Accuracy: number;
  int8Accuracy: number;
  /** class each artifact predicts for each validation sample */
  fp32Predicted: Int32Array;
  int8Predicted: Int32Array;
  quantization: NonNullable<ModelManifest['quantization']>;
}

/** Classes `model` bytes predict for a split's samples, run by onnxruntime. */
export async function onnxPredict(
  model: Uint8Array,
  split: ClassifierSplit,
  sampleShape: number[],
  classes: number,
): Promise<Int32Array> {
  const clf = await OnnxClassifier.create(model);
  try {
    return topClass(await clf.predict(split.x, sampleShape, classes), classes).index;
  } finally {
    await clf.close();
  }
}

/**
 * Exports fp32 ONNX, quantizes it to int8 (QDQ, calibrated on up to `calibrationSamples` training
 * inputs), and evaluates both artifacts on the validation split with onnxruntime (pass the
 * held-out test split here when there is one).
 */
export async function exportClassifier(
  model: tfjs.LayersModel,
  train: ClassifierSplit,
  val: ClassifierSplit,
  sampleShape: number[],
  classes: number,
  calibrationSamples = 256,
): Promise<ExportedClassifier> {
  const fp32 = tfjsToOnnx(model);
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const n = Math.min(calibrationSamples, train.labels.length);
  const batch = 32;
  const calibration: Float32Array[] = [];
  for (let i = 0; i < n; i += batch) calibration.push(train.x.slice(i * per, Math.min(n, i + batch) * per));
  const int8 = await quantizeInt8(fp32, calibration, { inputShape: [batch, ...sampleShape], method: 'minmax' });
  const fp32Predicted = await onnxPredict(fp32, val, sampleShape, classes);
  const int8Predicted = await onnxPredict(int8, val, sampleShape, classes);
  return {
    fp32,
    int8,
    fp32Accuracy: accuracy(fp32Predicted, val.labels),
    int8Accuracy: accuracy(int8Predicted, val.labels),
    fp32Predicted,
    int8Predicted,
    quantization: { ...INT8_QUANTIZATION, calibration: 'minmax', samples: n },
  };
}
