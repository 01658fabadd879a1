import {
  buildTopic,
  MAX_PAYLOAD_BYTES,
  ContractError,
  SequenceCounter,
  validate,
  SCHEMA_VERSION,
  type DeviceAddress,
  type MessageInput,
} from '@takt/contracts';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';

/** Upstream channels the agent writes. */
export type UpstreamChannel = 'telemetry' | 'features' | 'anomaly' | 'inspection' | 'evidence' | 'state' | 'heartbeat';

/** A message body without the envelope the emitter fills in (`ts` may be given). */
export type MessageBody<C extends UpstreamChannel> = Omit<
  MessageInput<C>,
  'schemaVersion' | 'deviceId' | 'seq' | 'ts'
> & { ts?: number };

/** Best-effort upstream channels: liveness, published now or never. */
export type BeaconChannel = 'heartbeat';

/** Where beacons go: a QoS 0 publish while the link is up; false when it is down. */
export interface BeaconLink {
  publishNow(topic: string, payload: Uint8Array): boolean;
}

/**
 * Builds upstream messages (envelope, seq from the outbox), validates them against the contract
 * before a seq is spent, and appends them to the outbox. `state` is retained.
 */
export class UpstreamEmitter {
  readonly #outbox: Outbox;
  readonly #beacons: BeaconLink | undefined;
  /** beacon seqs: beacons sent by this process, not a delivery sequence */
  readonly #beaconSeqs = new SequenceCounter();
  /** beacons not sent because the link was down, since start */
  beaconsSkipped = 0;
  /** the last clock `ts` given per device and channel (messages that bring no `ts` of their own) */
  readonly #lastTs = new Map<string, number>();

  constructor(outbox: Outbox, beacons?: BeaconLink) {
    this.#outbox = outbox;
    this.#beacons = beacons;
  }

  /** @throws ContractError when the message breaks the contract (nothing is queued, no seq spent). */
  async emit<C extends UpstreamChannel>(
    address: DeviceAddress,
    channel: C,
    body: MessageBody<C>,
  ): Promise<OutboxEntry> {
    const checked = checkedMessage(
      address,
      channel,
      body.ts === undefined ? { ...body, ts: this.#clockTs(address.device, channel) } : body,
    );
    return this.#outbox.append({
      topic: buildTopic({ ...address, channel }),
      deviceId: address.device,
      channel,
      retain: channel === 'state',
      payload: (seq) => Buffer.from(JSON.stringify({ ...checked, seq })),
    });
  }

  /**
   * Now (ms), but at least 1 ms after the last clock `ts` of the same device and channel: InfluxDB
   * keeps one point per series and time, so two messages stamped in the same millisecond (a state
   * on a rollout step right after the periodic one) would leave one seq looking lost. Data-time
   * messages (telemetry, features, events) bring their own `ts` and are left as they are.
   */
  #clockTs(device: string, channel: string): number {
    const key = `${device}/${channel}`;
    const ts = Math.max(Date.now(), (this.#lastTs.get(key) ?? 0) + 1);
    this.#lastTs.set(key, ts);
    return ts;
  }

  /**
   * Publishes a best-effort message (a heartbeat) now at QoS 0, outside the outbox: not queued
   * while the link is down, not replayed after it. Its `seq` counts the beacons this process sent
   * (from 0 after a restart) and is no delivery sequence: a gap in it is expected and means nothing.
   * Returns false when the link is down (nothing sent, no seq spent).
   * @throws ContractError when the message breaks the contract.
   */
  beacon(address: DeviceAddress, channel: BeaconChannel, body: MessageBody<BeaconChannel>): boolean {
    const checked = checkedMessage(address, channel, body);
    if (!this.#beacons) throw new TypeError('this emitter has no beacon link');
    const topic = buildTopic({ ...address, channel });
    const seq = this.#beaconSeqs.next(address.device, channel);
    if (this.#beacons.publishNow(topic, Buffer.from(JSON.stringify({ ...checked, seq })))) return true;
    this.#beaconSeqs.release(address.device, channel, seq);
    this.beaconsSkipped++;
    return false;
  }
}

/** The message with its envelope, validated and within its channel's size limit (seq still 0). */
function checkedMessage<C extends UpstreamChannel>(
  address: DeviceAddress,
  channel: C,
  body: MessageBody<C>,
): Record<string, unknown> {
  const message = {
    ...body,
    schemaVersion: SCHEMA_VERSION,
    deviceId: address.device,
    ts: body.ts ?? Date.now(),
    seq: 0,
  };
  const checked = validate(channel, message) as Record<string, unknown>;
  const size = Buffer.byteLength(JSON.stringify(checked)) + 16;
  if (size > MAX_PAYLOAD_BYTES[channel])
    throw new ContractError(
      'TOO_LARGE',
      `${channel} message of ${size} bytes exceeds the ${MAX_PAYLOAD_BYTES[channel]}-byte limit`,
    );
  return checked;
}
