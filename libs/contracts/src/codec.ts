import type { z } from 'zod';
import { ContractError } from './errors.js';
import { FAST_CHECKS } from './fast-check.js';
import { channelSchemas, MAX_PAYLOAD_BYTES, type MessageInput, type MessageOf } from './channels.js';
import { parseTopic, type Channel, type TopicParts } from './topics.js';
import { SCHEMA_VERSION } from './messages/common.js';
import { modelManifestSchema, type ModelManifest } from './messages/cloud.js';

export type Payload = Buffer | Uint8Array | string;

function byteLength(payload: Payload): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Turns the first zod issue into a `ContractError` with a stable code and the failing path. */
export function toContractError(error: z.ZodError, data: unknown, what: string): ContractError {
  const issue = error.issues[0];
  if (!issue) return new ContractError('INVALID_FIELD', `${what} is invalid`);
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    return new ContractError('UNKNOWN_FIELD', `${what} has unknown field ${JSON.stringify(key)}`, [...path, key]);
  }
  if (path.length === 1 && path[0] === 'schemaVersion') {
    return new ContractError(
      'SCHEMA_VERSION',
      `${what} has schemaVersion ${JSON.stringify(valueAt(data, path))}, this build speaks ${SCHEMA_VERSION}`,
      path,
    );
  }
  const value = valueAt(data, issue.path);
  if (
    value === undefined &&
    (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')
  ) {
    return new ContractError('MISSING_FIELD', `${what} is missing a required field`, path);
  }
  if (issue.code === 'invalid_type' && !(typeof value === 'number' && issue.expected === 'int')) {
    return new ContractError('WRONG_TYPE', `${what}: ${issue.message}`, path);
  }
  if (issue.code === 'invalid_value' && issue.values.every((v) => typeof v !== typeof value)) {
    return new ContractError('WRONG_TYPE', `${what}: ${issue.message}`, path);
  }
  const last = path[path.length - 1];
  if (
    typeof last === 'string' &&
    ['deviceId', 'site', 'line', 'device', 'eventId', 'faultId', 'labelId', 'rolloutId', 'name'].includes(last) &&
    issue.code === 'invalid_format'
  ) {
    return new ContractError('INVALID_ID', `${what}: ${issue.message}`, path);
  }
  return new ContractError('INVALID_FIELD', `${what}: ${issue.message}`, path);
}

function parseJson(payload: Payload, what: string): unknown {
  const text =
    typeof payload === 'string'
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ContractError('INVALID_JSON', `${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Decodes a payload of `channel`: size limit, JSON, schema. Throws `ContractError`. */
export function decode<C extends Channel>(channel: C, payload: Payload): MessageOf<C> {
  const limit = MAX_PAYLOAD_BYTES[channel];
  if (limit === undefined) throw new ContractError('UNKNOWN_CHANNEL', `unknown channel ${JSON.stringify(channel)}`);
  const size = byteLength(payload);
  if (size > limit)
    throw new ContractError('TOO_LARGE', `${channel} payload of ${size} bytes exceeds the ${limit}-byte limit`);
  return validate(channel, parseJson(payload, `${channel} payload`));
}

/** Validates an already-parsed value as a message of `channel`. Throws `ContractError`. */
export function validate<C extends Channel>(channel: C, value: unknown): MessageOf<C> {
  // the high-rate channels skip zod's walk when a hand-written check accepts the value as is
  if (FAST_CHECKS[channel]?.(value)) return value as MessageOf<C>;
  const schema = channelSchemas[channel] as z.ZodType;
  const result = schema.safeParse(value);
  if (!result.success) throw toContractError(result.error, value, `${channel} message`);
  return result.data as MessageOf<C>;
}

/** Validates and serialises a message; refuses one over its channel's size limit. */
export function encode<C extends Channel>(channel: C, message: MessageInput<C>): Buffer {
  const checked = validate(channel, message);
  const bytes = Buffer.from(JSON.stringify(checked));
  const limit = MAX_PAYLOAD_BYTES[channel];
  if (bytes.byteLength > limit) {
    throw new ContractError(
      'TOO_LARGE',
      `${channel} message of ${bytes.byteLength} bytes exceeds the ${limit}-byte limit`,
    );
  }
  return bytes;
}

/**
 * A decoded publish, discriminated by channel: `DecodedPublish` is the union over every channel of
 * `{ topic: TopicParts & { channel: C }; message: MessageOf<C> }`. TypeScript does not narrow `p` by the
 * nested `p.topic.channel`, so narrow with `isPublishOn(p, 'state')` (then `p.message` is a `DeviceState`).
 */
export type DecodedPublish<C extends Channel = Channel> = {
  [K in C]: { topic: TopicParts & { channel: K }; message: MessageOf<K> };
}[C];

/** Whether a decoded publish is on `channel`; narrows `p` to `DecodedPublish<C>` (topic and message alike). */
export function isPublishOn<C extends Channel>(
  p: DecodedPublish,
  channel: C,
): p is Extract<DecodedPublish, { topic: { channel: C } }> {
  return p.topic.channel === channel;
}

/**
 * Decodes a publish: topic, payload, and that the message's `deviceId` is the topic's device.
 * This is what the broker and every consumer run on `takt/v1/...` traffic.
 */
export function decodePublish(topic: string, payload: Payload): DecodedPublish {
  const parts = parseTopic(topic);
  const message = decode(parts.channel, payload);
  if (message.deviceId !== parts.device) {
    throw new ContractError(
      'DEVICE_MISMATCH',
      `message deviceId ${JSON.stringify(message.deviceId)} does not match topic device ${JSON.stringify(parts.device)}`,
      ['deviceId'],
    );
  }
  return { topic: parts, message } as DecodedPublish;
}

export const MAX_MANIFEST_BYTES = 64 * 1024;

/** Decodes a model manifest (JSON text or bytes, or a parsed value). Throws `ContractError`. */
export function decodeManifest(input: Payload | object): ModelManifest {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const size = byteLength(input);
    if (size > MAX_MANIFEST_BYTES)
      throw new ContractError('TOO_LARGE', `manifest of ${size} bytes exceeds the ${MAX_MANIFEST_BYTES}-byte limit`);
    value = parseJson(input, 'manifest');
  }
  const result = modelManifestSchema.safeParse(value);
  if (!result.success) throw toContractError(result.error, value, 'manifest');
  return result.data;
}

export const decodeRawSampleBatch = (p: Payload) => decode('raw', p);
export const decodeCameraFrame = (p: Payload) => decode('camera', p);
export const decodeTelemetry = (p: Payload) => decode('telemetry', p);
export const decodeFeatures = (p: Payload) => decode('features', p);
export const decodeAnomalyEvent = (p: Payload) => decode('anomaly', p);
export const decodeInspectionResult = (p: Payload) => decode('inspection', p);
export const decodeDeviceState = (p: Payload) => decode('state', p);
export const decodeHeartbeat = (p: Payload) => decode('heartbeat', p);
export const decodeFaultTruth = (p: Payload) => decode('truth', p);
export const decodeLabel = (p: Payload) => decode('label', p);
export const decodeDesiredModel = (p: Payload) => decode('model/desired', p);
