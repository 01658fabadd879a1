import type { PacketParser } from './aedes-internals.js';

/** Bytes the fixed header of a packet with `remaining` bytes after it takes: 1 type byte + 1–4 length bytes. */
export const fixedHeaderBytes = (remaining: number): number =>
  1 + (remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4);

/**
 * Enforces the maximum packet size from the fixed header, as soon as the remaining length is
 * known — before the body is buffered, parsed, stored or acknowledged. An oversized packet is a
 * protocol error: MQTT 3.1.1 has no reason code for it, so the connection is closed.
 */
export function limitPacketSize(parser: PacketParser, maxPacketSize: number | (() => number)): void {
  const parseLength = parser._parseLength;
  const limit = typeof maxPacketSize === 'number' ? () => maxPacketSize : maxPacketSize;
  parser._parseLength = function limitedParseLength(this: PacketParser): boolean {
    const done = parseLength.call(this);
    const max = limit();
    if (done && this.packet.length + fixedHeaderBytes(this.packet.length) > max) {
      this._emitError(new Error(`packet too large: ${this.packet.length} bytes > ${max}`));
    }
    return done;
  };
}
