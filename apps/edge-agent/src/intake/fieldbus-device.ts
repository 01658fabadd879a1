import { z } from 'zod';
import { idSchema } from '@takt/contracts';

/** What every fieldbus device entry starts with: the address its samples are published under. */
export const fieldbusDeviceShape = {
  site: idSchema,
  line: idSchema,
  device: idSchema,
  /** carried in raw batches (pump, motor, …) */
  machineType: z.string().min(1).max(32).optional(),
};
