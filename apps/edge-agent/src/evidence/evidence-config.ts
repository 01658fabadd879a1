import { z } from 'zod';

/**
 * The one place the evidence defaults live (`evidence` in the agent config; README "Evidence").
 *
 * The budget: 2 KiB/s per device on average (≈ 7 MiB an hour), bursts of 256 KiB. A demo vibration
 * machine sends ≈ 8–9 KiB/s of telemetry and features upstream and a 10 s raw window of its 5 kHz
 * vibration is ≈ 350 KiB, so at the defaults evidence is at most a quarter of what the device sends
 * anyway, and in practice (one healthy window every ~10 min plus one per anomaly) ≈ 0.6 KiB/s. A
 * piece larger than the burst passes when the bucket is full and leaves it in debt, so the long-run
 * rate holds (one such window, then ~3 min of nothing). See `tools/…/evidence-bandwidth` in the
 * report of issue 14 for the measured figures.
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
    healthyEveryMs: 600_000,
    /** each healthy interval is healthyEveryMs × (1 ± jitter), so boxes started together do not send in step */
    healthyJitter: 0.2,
  },
  budget: {
    /** average bytes per second of evidence per device (token bucket refill) */
    bytesPerSecond: 2_048,
    /** bytes the bucket holds: the burst a device may send at once */
    burstBytes: 262_144,
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
