import { z } from 'zod';
import { idSchema } from '@takt/contracts';

/** Query and path parameters shared by the routes, validated with zod (a bad one is a 400). */
export const deviceParam = z.strictObject({ device: idSchema });
export const alertParams = z.strictObject({ device: idSchema, eventId: idSchema });
export const frameParams = z.strictObject({
  device: idSchema,
  frameId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'frameId must match [A-Za-z0-9_.:-]{1,64}' }),
});
export const evidenceParams = z.strictObject({
  evidenceId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'evidenceId must match [A-Za-z0-9_.:-]{1,64}' }),
});
export const rolloutParams = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'rollout id must match [A-Za-z0-9_.:-]{1,64}' }),
});

const ms = z.coerce.number().int().min(0).max(9_999_999_999_999);
export const limitParam = (max: number, dflt: number) => z.coerce.number().int().min(1).max(max).default(dflt);

const RANGES = {
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '24h': 86_400_000,
  '7d': 604_800_000,
  '30d': 2_592_000_000,
} as const;
export type RangeName = keyof typeof RANGES;

/** `?range=15m` (ending now) or `?from=&to=` in ms epoch; at most 30 days. */
export const historyQuery = z
  .strictObject({
    range: z.enum(Object.keys(RANGES) as [RangeName, ...RangeName[]]).optional(),
    from: ms.optional(),
    to: ms.optional(),
  })
  .refine((q) => q.range !== undefined || q.from !== undefined, { message: 'give range (5m…30d) or from/to in ms' })
  .refine((q) => q.range === undefined || (q.from === undefined && q.to === undefined), {
    message: 'give either range or from/to, not both',
  })
  .transform((q, ctx) => {
    const to = q.range ? Date.now() : (q.to ?? Date.now());
    const from = q.range ? to - RANGES[q.range] : (q.from as number);
    if (from >= to) ctx.addIssue({ code: 'custom', message: 'from must be before to', path: ['from'] });
    if (to - from > RANGES['30d'])
      ctx.addIssue({ code: 'custom', message: 'range must be at most 30 days', path: ['from'] });
    return { from, to };
  });

export const eventsQuery = z.strictObject({ device: idSchema.optional(), inspections: z.enum(['0', '1']).optional() });

export const alertsQuery = z.strictObject({
  state: z.enum(['open', 'closed']).optional(),
  device: idSchema.optional(),
  limit: limitParam(1_000, 200),
});

export const inspectionsQuery = z.strictObject({
  device: idSchema.optional(),
  label: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .optional(),
  limit: limitParam(500, 60),
});

/** `GET /api/evidence`: the trainer's filters, plus `event` (window evidence around one anomaly event). */
export const evidenceQuery = z
  .strictObject({
    kind: z.enum(['frame', 'window']).optional(),
    device: idSchema.optional(),
    from: ms.optional(),
    to: ms.optional(),
    labelled: z.enum(['true', 'false']).optional(),
    event: idSchema.optional(),
    limit: limitParam(1_000, 200),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });
