import { join } from 'node:path';
import { nameSchema } from '@takt/contracts';
import { z } from 'zod';

const MiB = 1_048_576;

/** The evidence store as the service sees it: blobs, retention, upload limits and the label vocabulary. */
export const evidenceConfigSchema = z
  .strictObject({
    /** folder of the content-addressed evidence blobs, shared with the ingestor's `evidence.dir`; default `<registryDir>/evidence` */
    dir: z.string().min(1).optional(),
    /** days blobs and their `evidence` metadata are kept (swept hourly); default 30 */
    retentionDays: z.number().int().min(1).max(3650).default(30),
    /** bytes one uploaded image may have; default 1_048_576 (1 MiB) */
    maxBlobBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * MiB)
      .default(MiB),
    /** the vision classes; when set, uploads and relabels must use them (or classes of registered vision models); when absent an upload may introduce classes */
    visionClasses: z.array(nameSchema).min(1).max(256).optional(),
    /** fault classes beyond the simulator's fault kinds and `normal` */
    faultClasses: z.array(nameSchema).max(256).optional(),
    /** CNN jobs may label evidence with simulator truth where no engineer or upload label applies (demos and tests); default false */
    useSimulatorTruth: z.boolean().default(false),
  })
  .prefault({});

export type EvidenceConfig = z.output<typeof evidenceConfigSchema>;

/** The blob folder: `evidence.dir`, or `evidence` beside the registry's files. */
export function evidenceDirOf(config: { registryDir: string; evidence: EvidenceConfig }): string {
  return config.evidence.dir ?? join(config.registryDir, 'evidence');
}
