import { z } from 'zod';
import { nameSchema } from '@takt/contracts';
import { fieldbusDeviceShape } from '../fieldbus-device.js';

/** Security modes and policies (OPC UA Part 4 §7.20, Part 7 security policies) a client can ask for. */
export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export const OPCUA_SECURITY_POLICIES = [
  'None',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
  'Basic256',
  'Basic128Rsa15',
] as const;

/** `ns=2;s=pump.temp`, `ns=2;i=1001`, `ns=3;g=…`, `ns=1;b=…`, `i=2258`, or `nsu=<namespace uri>;s=…` (the index is looked up on the server). */
export const NODE_ID_PATTERN =
  /^(?:(?:ns=\d{1,5}|nsu=[^;]+);)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F-]{36}|b=[A-Za-z0-9+/=]+)$/;

/** One node mapped to one sensor of a device. */
export const opcuaNodeSchema = z.strictObject({
  /** sensor name the value is published under */
  sensor: nameSchema,
  nodeId: z
    .string()
    .regex(NODE_ID_PATTERN, { message: 'not a node id: expected ns=<index>;s=<name> (or i=, g=, b=), or nsu=<uri>;…' }),
  /** ms between samples the server takes of this node; default: the device's samplingIntervalMs */
  samplingIntervalMs: z.number().min(0).max(3_600_000).optional(),
  /** report a change only past this deadband; default none (every change) */
  deadband: z.strictObject({ type: z.enum(['absolute', 'percent']), value: z.number().min(0) }).optional(),
  /** published value = value × scale + offset; default 1 */
  scale: z.number().finite().default(1),
  /** default 0 */
  offset: z.number().finite().default(0),
  unit: z.string().min(1).max(16).optional(),
});
export type OpcuaNode = z.output<typeof opcuaNodeSchema>;

export const opcuaDeviceSchema = z
  .strictObject({
    ...fieldbusDeviceShape,
    /** ms between samples of the device's series (its rate is 1000 / samplingIntervalMs); default 100 */
    samplingIntervalMs: z.number().int().min(10).max(3_600_000).default(100),
    nodes: z.array(opcuaNodeSchema).min(1).max(64),
  })
  .superRefine((d, ctx) => {
    const seen = new Map<string, number>();
    d.nodes.forEach((n, i) => {
      const dup = seen.get(n.sensor);
      if (dup !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i, 'sensor'],
          message: `nodes[${i}]: sensor "${n.sensor}" is already read from nodes[${dup}]`,
        });
      seen.set(n.sensor, i);
    });
  });
export type OpcuaDevice = z.output<typeof opcuaDeviceSchema>;

const authSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('anonymous') }),
  z.strictObject({ kind: z.literal('user'), username: z.string().min(1), password: z.string() }),
  /** X.509 user certificate and its private key (PEM files) */
  z.strictObject({
    kind: z.literal('certificate'),
    certificateFile: z.string().min(1),
    privateKeyFile: z.string().min(1),
  }),
]);

/** One OPC UA server (endpoint) and the devices read from it. */
export const opcuaSourceSchema = z
  .strictObject({
    endpoint: z.string().regex(/^opc\.tcp:\/\/[^\s/]+(\/\S*)?$/, { message: 'expected opc.tcp://host:port/path' }),
    /** default None; Sign or SignAndEncrypt need a securityPolicy other than None */
    securityMode: z.enum(OPCUA_SECURITY_MODES).default('None'),
    /** default None */
    securityPolicy: z.enum(OPCUA_SECURITY_POLICIES).default('None'),
    /** default anonymous */
    auth: authSchema.default({ kind: 'anonymous' }),
    /** folder of the client's own certificate and trusted/rejected server certificates; default <dataDir>/opcua-pki */
    pkiDir: z.string().optional(),
    /** trust a server certificate seen for the first time (otherwise move it from rejected/ to trusted/); default false */
    trustUnknownServers: z.boolean().default(false),
    /** ms between the server's publish responses; default 250 */
    publishingIntervalMs: z.number().int().min(10).max(60_000).default(250),
    /** ms of samples per raw batch; default 1000 */
    batchMs: z.number().int().min(10).max(60_000).default(1_000),
    /** ms before the first reconnect; doubles per failed try; default 500 */
    reconnectMinMs: z.number().int().min(10).default(500),
    /** ms between reconnect tries at most; default 10000 */
    reconnectMaxMs: z.number().int().min(10).default(10_000),
    devices: z.array(opcuaDeviceSchema).min(1).max(1_000),
  })
  .refine((s) => (s.securityMode === 'None') === (s.securityPolicy === 'None'), {
    message: 'securityMode and securityPolicy must both be None or both be set',
    path: ['securityPolicy'],
  });
export type OpcuaSourceConfig = z.output<typeof opcuaSourceSchema>;
