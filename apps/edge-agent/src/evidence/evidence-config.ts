import { z } from 'zod';

/**
 * The one place the evidence defaults live (`evidence` in the agent config; README "Evidence").
 *
 * Sized on the demo plant (measured with src/testing/evidence-bandwidth.ts over a `takt-sim record`
 * of simulators/plant/plants/demo.json): a 5 kHz vibration machine sends ≈ 3.8 KB/s of telemetry and
 * features upstream, and one 10 s raw window of it is ≈ 420 KB. One healthy window every 15 min is
 * ≈ 0.47 KB/s (≈ 12 % of that); each anomaly event adds one window. The budget, 1 KiB/s per device
 * on average, caps evidence at ≈ 27 % of the machine's upstream even in a storm of events, and at
 * ≈ 7 % of a camera station's frame stream (2 fps × ≈ 7 KB PNG frames) however unsure its model.
 * The bucket holds 1.5 MiB, the largest evidence message, so any one piece can pass from a full
 * bucket; samples (`sample`, `healthy`) never take its last half, which stays for unsure frames
 * and anomaly windows.
 */
export const EVIDENCE_DEFAULTS = {
  enabled: true,
  frames: {
    /** a frame whose top class has a confidence below this is kept as `uncertain` */
    uncertainBelow: 0.7,
    /** share of the other frames kept as `sample` (and of every frame while no vision model runs) */
    sampleRate: 0.02,
  },
  windows: {
    /** ms of raw samples kept before an anomaly's onset */
    beforeMs: 5_000,
    /** ms collected after it */
    afterMs: 5_000,
    /** ms between healthy windows (raw, beforeMs + afterMs long) while no event is open; 0 turns them off */
    healthyEveryMs: 900_000,
    /** each healthy interval is healthyEveryMs × (1 ± jitter), so boxes started together do not send in step */
    healthyJitter: 0.2,
  },
  budget: {
    /** average bytes per second of evidence per device (token bucket refill) */
    bytesPerSecond: 1_024,
    /** bytes the bucket holds: the burst a device may send at once (default: one largest evidence message) */
    burstBytes: 1_572_864,
  },
  /** bytes of evidence the outbox may hold in all (its own cap, at most half of outbox.maxBytes); the oldest is shed past it */
  outboxMaxBytes: 8 * 1024 * 1024,
} as const;

const d = EVIDENCE_DEFAULTS;

/** `evidence` in the agent config: what each device keeps for training CNNs, and within which bounds. */
export const evidenceConfigSchema = z
  .strictObject({
    /** keep evidence at all; default true */
    enabled: z.boolean().default(d.enabled),
    frames: z
      .strictObject({
        uncertainBelow: z.number().min(0).max(1).default(d.frames.uncertainBelow),
        sampleRate: z.number().min(0).max(1).default(d.frames.sampleRate),
      })
      .prefault({}),
    windows: z
      .strictObject({
        beforeMs: z.number().int().min(0).max(60_000).default(d.windows.beforeMs),
        afterMs: z.number().int().min(0).max(60_000).default(d.windows.afterMs),
        healthyEveryMs: z.number().int().min(0).default(d.windows.healthyEveryMs),
        healthyJitter: z.number().min(0).max(0.9).default(d.windows.healthyJitter),
      })
      .prefault({})
      .refine((w) => w.beforeMs + w.afterMs > 0, { message: 'beforeMs + afterMs must be above 0' }),
    budget: z
      .strictObject({
        bytesPerSecond: z.number().min(0).default(d.budget.bytesPerSecond),
        burstBytes: z.number().int().min(1_024).default(d.budget.burstBytes),
      })
      .prefault({}),
    outboxMaxBytes: z.number().int().min(1_024).default(d.outboxMaxBytes),
  })
  .prefault({});
export type EvidenceConfig = z.output<typeof evidenceConfigSchema>;
