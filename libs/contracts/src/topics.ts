import { ContractError } from './errors.js';
import { assertId, isValidId } from './ids.js';

export const TOPIC_ROOT = 'takt';
export const TOPIC_VERSION = 'v1';

/** Every channel a device topic may end in. `model/desired` is written only by the cloud. */
export const CHANNELS = [
  'raw',
  'camera',
  'telemetry',
  'features',
  'anomaly',
  'inspection',
  'evidence',
  'state',
  'heartbeat',
  'truth',
  'label',
  'model/desired',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels that carry commands to a device; a device may never publish on them. */
export const COMMAND_CHANNELS: readonly Channel[] = ['model/desired'];
/** Channels whose last message is kept by the broker for late subscribers. */
export const RETAINED_CHANNELS: readonly Channel[] = ['state', 'model/desired'];

export interface DeviceAddress {
  site: string;
  line: string;
  device: string;
}
export interface TopicParts extends DeviceAddress {
  channel: Channel;
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** `takt/v1/{site}/{line}/{device}/{channel}`; throws `ContractError` on a bad id or channel. */
export function buildTopic(parts: TopicParts): string {
  assertId(parts.site, 'site');
  assertId(parts.line, 'line');
  assertId(parts.device, 'device');
  if (!isChannel(parts.channel)) {
    throw new ContractError('UNKNOWN_CHANNEL', `unknown channel ${JSON.stringify(parts.channel)}`, ['channel']);
  }
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${parts.site}/${parts.line}/${parts.device}/${parts.channel}`;
}

/** Parses a concrete (wildcard-free) topic; throws `ContractError('INVALID_TOPIC' | ...)`. */
export function parseTopic(topic: string): TopicParts {
  const levels = topic.split('/');
  if (levels.length < 6 || levels[0] !== TOPIC_ROOT || levels[1] !== TOPIC_VERSION) {
    throw new ContractError(
      'INVALID_TOPIC',
      `topic ${JSON.stringify(topic)} is not takt/v1/{site}/{line}/{device}/{channel}`,
    );
  }
  const [site, line, device] = levels.slice(2, 5) as [string, string, string];
  for (const [what, id] of [
    ['site', site],
    ['line', line],
    ['device', device],
  ] as const) {
    if (!isValidId(id))
      throw new ContractError('INVALID_ID', `${what} ${JSON.stringify(id)} in topic is not a valid id`, [what]);
  }
  const channel = levels.slice(5).join('/');
  if (!isChannel(channel)) {
    throw new ContractError('UNKNOWN_CHANNEL', `unknown channel ${JSON.stringify(channel)} in topic`, ['channel']);
  }
  return { site, line, device, channel };
}

/** Like `parseTopic` but returns `undefined` instead of throwing. */
export function tryParseTopic(topic: string): TopicParts | undefined {
  try {
    return parseTopic(topic);
  } catch {
    return undefined;
  }
}

/**
 * A subscription filter; omitted levels become `+`. `channel: '#'` matches every channel.
 * Given ids are validated, so a filter can never smuggle in wildcards through an id.
 */
export function topicFilter(parts: Partial<DeviceAddress> & { channel?: Channel | '#' } = {}): string {
  const level = (what: keyof DeviceAddress): string => {
    const v = parts[what];
    if (v === undefined) return '+';
    assertId(v, what);
    return v;
  };
  const channel = parts.channel ?? '#';
  if (channel !== '#' && !isChannel(channel)) {
    throw new ContractError('UNKNOWN_CHANNEL', `unknown channel ${JSON.stringify(channel)}`, ['channel']);
  }
  return `${TOPIC_ROOT}/${TOPIC_VERSION}/${level('site')}/${level('line')}/${level('device')}/${channel}`;
}

/** MQTT topic-filter matching ([MQTT-4.7]): `+` one level, `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
