import { z } from 'zod';

/** Sparkplug ids: no `+ / #` (they are topic levels) [Sparkplug 3.0, tck-id-topic-structure-namespace-valid-group-id]. */
const spId = z
  .string()
  .regex(/^[^+/#\s]{1,64}$/, { message: 'a Sparkplug id: 1–64 characters, none of + / # or spaces' });

/** Sparkplug B northbound: the agent's devices, their telemetry and anomaly state, for a SCADA host. */
export const sparkplugSchema = z.strictObject({
  /** broker the SCADA host listens on, e.g. mqtt://scada:1883 */
  url: z.string().regex(/^(mqtts?|wss?|tcp):\/\/\S+$/),
  username: z.string().optional(),
  password: z.string().optional(),
  /** Sparkplug group id (e.g. the site) */
  groupId: spId,
  /** edge node id (this box) */
  edgeNodeId: spId,
  /** publish births only while this primary host's STATE is online; default: do not wait */
  primaryHostId: spId.optional(),
  /** ms between reconnect attempts; default 2000 */
  reconnectMs: z.number().int().min(10).default(2_000),
});
export type SparkplugConfig = z.output<typeof sparkplugSchema>;
