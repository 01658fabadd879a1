import { buildTopic, MAX_PAYLOAD_BYTES, ContractError, validate, SCHEMA_VERSION, type DeviceAddress, type MessageInput } from '@takt/contracts';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';

/** Upstream channels the agent writes. */
export type UpstreamChannel = 'telemetry' | 'features' | 'anomaly' | 'inspection' | 'state' | 'heartbeat';

/** A message body without the envelope the emitter fills in (`ts` may be given). */
export type MessageBody<C extends UpstreamChannel> = Omit<MessageInput<C>, 'schemaVersion' | 'deviceId' | 'seq' | 'ts'> & { ts?: number };

/**
 * Builds upstream messages (envelope, seq from the outbox), validates them against the contract
 * before a seq is spent, and appends them to the outbox. `state` is retained.
 */
export class UpstreamEmitter {
  readonly #outbox: Outbox;

  constructor(outbox: Outbox) {
    this.#outbox = outbox;
  }

  /** @throws ContractError when the message breaks the contract (nothing is queued, no seq spent). */
  async emit<C extends UpstreamChannel>(address: DeviceAddress, channel: C, body: MessageBody<C>): Promise<OutboxEntry> {
    const message = { ...body, schemaVersion: SCHEMA_VERSION, deviceId: address.device, ts: body.ts ?? Date.now(), seq: 0 };
    const checked = validate(channel, message) as Record<string, unknown>;
    const size = Buffer.byteLength(JSON.stringify(checked)) + 16;
    if (size > MAX_PAYLOAD_BYTES[channel]) throw new ContractError('TOO_LARGE', `${channel} message of ${size} bytes exceeds the ${MAX_PAYLOAD_BYTES[channel]}-byte limit`);
    return this.#outbox.append({
      topic: buildTopic({ ...address, channel }),
      deviceId: address.device,
      channel,
      retain: channel === 'state',
      payload: (seq) => Buffer.from(JSON.stringify({ ...checked, seq })),
    });
  }
}
