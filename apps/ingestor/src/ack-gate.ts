import type { IPublishPacket, MqttClient } from 'mqtt';

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: (err?: Error) => void, ...rest: unknown[]) => void;

interface Pending {
  messageId: number | undefined;
  connection: number;
  done: boolean;
}

/** PUBACK packets for `ids`, back to back: 0x40, remaining length 2, packet identifier. */
function pubackBytes(ids: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(ids.length * 4);
  ids.forEach((id, i) => {
    out[i * 4] = 0x40;
    out[i * 4 + 1] = 0x02;
    out.writeUInt16BE(id, i * 4 + 2);
  });
  return out;
}

/**
 * Holds back the PUBACK of every QoS 1 message until the ingestor says the message is safe
 * (written to InfluxDB, spooled to disk, or dead-lettered), then sends PUBACKs in arrival order
 * ([MQTT-4.6.0-2]).
 *
 * mqtt.js acknowledges on its own once the `message` handler returns, and its
 * `customHandleAcks` option holds the whole packet pipeline until the callback runs — one message
 * per InfluxDB write. So the gate wraps the client's `_sendPacket` (mqtt.js 5.x internal): the
 * PUBACK mqtt.js emits is swallowed, the packet pipeline moves on, and the gate sends the PUBACK
 * itself later. An ack due for a connection that has since closed is dropped: the broker
 * redelivers that message on the new connection, where it is written again (idempotently).
 */
export class AckGate {
  readonly #queue: Pending[] = [];
  #head = 0;
  /** token of `#queue[0]` */
  #base = 0;
  #connection = 0;
  readonly #client: MqttClient;
  readonly #send: SendPacket;
  #acked = 0;

  constructor(client: MqttClient) {
    this.#client = client;
    // mqtt.js keeps _sendPacket private; it is the one place every PUBACK goes through
    const internals = client as unknown as { _sendPacket: SendPacket };
    const send = internals._sendPacket.bind(client);
    this.#send = send;
    internals._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback') {
        cb?.();
        return;
      }
      send(packet, cb, ...rest);
    };
    client.on('close', () => this.#connection++);
  }

  /** Registers a received publish; returns its token for `done()`. */
  track(packet: IPublishPacket): number {
    const token = this.#base + this.#queue.length;
    this.#queue.push({
      messageId: packet.qos > 0 ? packet.messageId : undefined,
      connection: this.#connection,
      done: false,
    });
    return token;
  }

  /** Marks messages safe; PUBACKs go out for the longest finished prefix. */
  done(tokens: Iterable<number> | number): void {
    for (const token of typeof tokens === 'number' ? [tokens] : tokens) {
      const entry = this.#queue[token - this.#base];
      if (entry) entry.done = true;
    }
    this.#release();
  }

  /** Messages received but not yet acknowledged. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** PUBACKs sent so far. */
  get acked(): number {
    return this.#acked;
  }

  #release(): void {
    const connected = this.#client.connected;
    // a finished batch releases thousands of PUBACKs at once: they leave as one buffer in one write,
    // the 4 bytes of each PUBACK (MQTT 3.1.1 §3.4) written here rather than one packet at a time through mqtt.js
    const stream = (this.#client as unknown as { stream?: { write?: (b: Buffer) => boolean; destroyed?: boolean } })
      .stream;
    let ids: number[] | undefined;
    while (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head] as Pending;
      if (!entry.done) break;
      if (entry.messageId !== undefined && entry.connection === this.#connection && connected)
        (ids ??= []).push(entry.messageId);
      this.#head++;
    }
    if (ids) {
      if (stream?.write && !stream.destroyed) stream.write(pubackBytes(ids));
      else for (const messageId of ids) this.#send({ cmd: 'puback', messageId });
      this.#acked += ids.length;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}
