import type { Writable } from 'node:stream';

/**
 * Coalesces a connection's writes into one syscall per event-loop turn. aedes writes every packet
 * with mqtt-packet's `writeToStream`, which corks the socket and uncorks it on the next tick; since
 * aedes delivers each message from its own `setImmediate`, that is one `writev` per packet. Here the
 * uncork is postponed to one `setImmediate` per turn, so every packet written meanwhile leaves in
 * a single `writev`. Backpressure is unchanged: `write()` still returns false past the high-water
 * mark and `drain` fires after the flush.
 */
export function coalesceWrites(stream: Writable): void {
  const uncork = stream.uncork.bind(stream);
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (stream.writableCorked > 0) uncork();
  };
  stream.uncork = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  // aedes destroys a connection right after writing its last packet (e.g. CONNACK 4): send that first
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (error?: Error) => {
    flush();
    return destroy(error);
  };
}
