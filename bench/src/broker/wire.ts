/**
 * A minimal MQTT 3.1.1 codec for the load generator: just the packets it sends and reads, with no
 * per-message allocation beyond the publish buffer, so the generator costs the CPU as little as
 * possible and both brokers under test see the same byte stream.
 */

const str = (s: string | Buffer): Buffer => {
  const b = Buffer.from(s);
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
};

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

const packet = (first: number, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([first]), remainingLength(body.length), body]);

export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = (username ? 0x80 : 0) | (password ? 0x40 : 0) | 0x02;
  const parts = [str('MQTT'), Buffer.from([4, flags, 0, 0]), str(clientId)];
  if (username) parts.push(str(username));
  if (password) parts.push(str(password));
  return packet(0x10, Buffer.concat(parts));
}

export function subscribePacket(messageId: number, filter: string, qos: 0 | 1): Buffer {
  const id = Buffer.allocUnsafe(2);
  id.writeUInt16BE(messageId, 0);
  return packet(0x82, Buffer.concat([id, str(filter), Buffer.from([qos])]));
}

export function publishPacket(topic: Buffer, payload: Buffer, qos: 0 | 1, messageId: number): Buffer {
  const len = 2 + topic.length + (qos ? 2 : 0) + payload.length;
  const rl = remainingLength(len);
  const out = Buffer.allocUnsafe(1 + rl.length + len);
  out[0] = 0x30 | (qos << 1);
  rl.copy(out, 1);
  let o = 1 + rl.length;
  out.writeUInt16BE(topic.length, o);
  topic.copy(out, o + 2);
  o += 2 + topic.length;
  if (qos) {
    out.writeUInt16BE(messageId, o);
    o += 2;
  }
  payload.copy(out, o);
  return out;
}

export function pubackPacket(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

export const DISCONNECT = Buffer.from([0xe0, 0x00]);

/** One packet as read off the wire: type (high nibble), flags and body. */
export interface WirePacket {
  type: number;
  flags: number;
  body: Buffer;
}

/** Splits a byte stream into packets (handles packets cut across reads). */
export class PacketReader {
  #pending: Buffer = Buffer.alloc(0);

  *push(chunk: Buffer): Generator<WirePacket> {
    let buf = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    let o = 0;
    for (;;) {
      if (buf.length - o < 2) break;
      let len = 0;
      let mult = 1;
      let i = o + 1;
      let complete = false;
      for (; i < buf.length && i < o + 5; i++) {
        const b = buf[i] as number;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete || buf.length - i < len) break;
      const first = buf[o] as number;
      yield { type: first >> 4, flags: first & 0x0f, body: buf.subarray(i, i + len) };
      o = i + len;
    }
    buf = buf.subarray(o);
    this.#pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }
}

/** Topic, message id (QoS > 0) and payload of a PUBLISH body. */
export function readPublish(p: WirePacket): { topic: string; qos: number; messageId: number; payload: Buffer } {
  const tlen = p.body.readUInt16BE(0);
  const topic = p.body.toString('utf8', 2, 2 + tlen);
  const qos = (p.flags >> 1) & 3;
  let o = 2 + tlen;
  let messageId = 0;
  if (qos) {
    messageId = p.body.readUInt16BE(o);
    o += 2;
  }
  return { topic, qos, messageId, payload: p.body.subarray(o) };
}

export const PacketType = { CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBACK: 9 } as const;
