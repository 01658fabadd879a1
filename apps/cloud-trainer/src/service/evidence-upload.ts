import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FAULT_KINDS, idSchema, nameSchema, textSchema } from '@takt/contracts';
import { isEvidenceStoreError, pngSize, type BlobStore } from '@takt/evidence-store';
import type { ModelRegistry } from '@takt/model-registry';
import type { EvidenceInput, TelemetryStore } from '@takt/telemetry-store';
import { ApiError } from './api-error.js';
import type { EvidenceConfig } from './evidence-config.js';

/** Most bytes of one upload request (JSON, base64 images included). */
export const UPLOAD_REQUEST_LIMIT = '32mb';
/** Default `set` (the deviceId uploaded images are filed under). */
export const DEFAULT_UPLOAD_SET = 'upload';

/** A relative file name as a labels.csv names it: `[A-Za-z0-9_.-]` segments, `/`-separated, no `.`/`..` segment. */
const FILE_NAME = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export const uploadRequestSchema = z.strictObject({
  /** the set the images belong to; stored as their deviceId; default `upload` */
  set: idSchema.optional(),
  /** who uploads (kept as the label's `by`); default `upload` */
  by: textSchema(64).min(1).optional(),
  images: z
    .array(z.strictObject({ file: z.string(), label: z.string(), png: z.string() }))
    .min(1)
    .max(10_000),
});
export type UploadRequest = z.output<typeof uploadRequestSchema>;

export interface LabelVocabulary {
  vision: string[];
  fault: string[];
}

/** The label vocabulary: vision = configured ∪ classes of registered cnn-vision models ∪ labels of uploads; fault = fault kinds ∪ `normal` ∪ configured. */
export async function labelVocabulary(
  config: EvidenceConfig,
  registry: ModelRegistry,
  store: TelemetryStore,
): Promise<LabelVocabulary> {
  const [models, uploaded] = await Promise.all([registry.list(), store.queryUploadLabels()]);
  const vision = new Set([
    ...(config.visionClasses ?? []),
    ...models.filter((m) => m.kind === 'cnn-vision').flatMap((m) => m.classes ?? []),
    ...uploaded,
  ]);
  const fault = new Set<string>([...FAULT_KINDS, 'normal', ...(config.faultClasses ?? [])]);
  return { vision: [...vision].sort(), fault: [...fault].sort() };
}

interface CheckedImage {
  file: string;
  label: string;
  bytes: Buffer;
  width: number;
  height: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Checks every image before anything is stored; the first bad one is a 400 naming its index and file. */
function checkImages(b: UploadRequest, config: EvidenceConfig, vision: ReadonlySet<string>): CheckedImage[] {
  const closed = config.visionClasses !== undefined;
  return b.images.map((img, i) => {
    const refuse = (why: string) =>
      new ApiError(
        'BAD_REQUEST',
        `body.images.${i} (file ${JSON.stringify(img.file.slice(0, 200))}): ${why}; nothing was stored`,
      );
    if (img.file.length > 255 || !FILE_NAME.test(img.file))
      throw refuse(
        'the file name must be a relative path of [A-Za-z0-9_.-] names separated by /, without . or .. parts, at most 255 characters',
      );
    if (!nameSchema.safeParse(img.label).success)
      throw refuse(`label ${JSON.stringify(img.label.slice(0, 80))} must match [A-Za-z0-9_.:-]{1,64}`);
    if (closed && !vision.has(img.label))
      throw refuse(
        `label ${JSON.stringify(img.label)} is not in the vision vocabulary (${[...vision].join(', ')}); see GET /api/labels`,
      );
    if (!BASE64.test(img.png) || img.png.length % 4 !== 0) throw refuse('png must be base64');
    const approx = (img.png.length * 3) / 4;
    if (approx > config.maxBlobBytes + 2)
      throw refuse(
        `the image has ${Math.floor(approx)} bytes; at most ${config.maxBlobBytes} (evidence.maxBlobBytes) are allowed`,
      );
    const bytes = Buffer.from(img.png, 'base64');
    if (bytes.length > config.maxBlobBytes)
      throw refuse(
        `the image has ${bytes.length} bytes; at most ${config.maxBlobBytes} (evidence.maxBlobBytes) are allowed`,
      );
    try {
      return { file: img.file, label: img.label, bytes, ...pngSize(bytes) };
    } catch (err) {
      if (isEvidenceStoreError(err, 'BAD_IMAGE')) throw refuse(`not a usable PNG: ${err.message}`);
      throw err;
    }
  });
}

let lastTs = 0;
/**
 * `n` distinct ms timestamps ending at now (later only when earlier uploads already used them): an evidence
 * point is identified by its series and time, so two images never share one, and a batch does not reach
 * into the future, where a listing up to now would miss it.
 */
function uploadTimes(n: number): number[] {
  const first = Math.max(Date.now() - n + 1, lastTs + 1);
  lastTs = first + n - 1;
  return Array.from({ length: n }, (_, i) => first + i);
}

/** The id of an uploaded image: stable for the same set, file and bytes (an upload repeated lists once). */
export function uploadEvidenceId(set: string, file: string, sha256: string): string {
  return `up-${createHash('sha256').update(`${set}\u0000${file}\u0000${sha256}`).digest('hex').slice(0, 32)}`;
}

/**
 * Validates every image (PNG that decodes, size, label, file name), then stores the blobs and writes
 * one evidence point per image (`kind frame`, `reason upload`, deviceId = set, the label as the upload's own).
 */
export async function storeUpload(
  b: UploadRequest,
  deps: { config: EvidenceConfig; blobs: BlobStore; store: TelemetryStore; registry: ModelRegistry },
): Promise<{ stored: number; evidenceIds: string[] }> {
  const vocabulary =
    deps.config.visionClasses === undefined
      ? new Set<string>()
      : new Set((await labelVocabulary(deps.config, deps.registry, deps.store)).vision);
  const images = checkImages(b, deps.config, vocabulary);
  const set = b.set ?? DEFAULT_UPLOAD_SET;
  const by = b.by ?? 'upload';
  const points: EvidenceInput[] = [];
  const times = uploadTimes(images.length);
  for (const [i, img] of images.entries()) {
    const blob = await deps.blobs.put(img.bytes);
    const evidenceId = uploadEvidenceId(set, img.file, blob.sha256);
    points.push({
      evidenceId,
      deviceId: set,
      ts: times[i] as number,
      kind: 'frame',
      reason: 'upload',
      ...blob,
      frame: { frameId: evidenceId, width: img.width, height: img.height },
      upload: { label: img.label, by, file: img.file },
    });
  }
  await deps.store.writeEvidence(points);
  return { stored: points.length, evidenceIds: points.map((p) => p.evidenceId) };
}
