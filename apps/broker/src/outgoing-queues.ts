import { Readable } from 'node:stream';
import aedesPacket from 'aedes-packet';

/** A QoS 1/2 message (or PUBREL) waiting for a CleanSession=0 client's acknowledgement. */
export interface OutgoingPacket {
  cmd?: string;
  topic?: string;
  qos?: number;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
}

/** The outgoing-queue calls aedes 1.2 makes on `aedes.persistence`, in their promise form. */
export interface OutgoingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: OutgoingPacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: OutgoingPacket): Promise<void>;
  outgoingUpdate(client: { id: string }, packet: OutgoingPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: OutgoingPacket): Promise<OutgoingPacket | undefined>;
  outgoingStream(client: { id: string }): Readable;
}

// aedes-packet's declaration names a plain function; it is a constructor (aedes calls it with `new`)
const Packet = aedesPacket as unknown as new (p: OutgoingPacket) => OutgoingPacket;

/** Identifies one routed message; undefined for a PUBREL (aedes' PubRel carries only the packet identifier). */
const brokerKey = (p: OutgoingPacket) =>
  p.brokerId === undefined ? undefined : `${p.brokerId}\u0000${p.brokerCounter ?? ''}`;

/** Appends `value` to the list at `key`. */
function addTo<K>(index: Map<K, number[]>, key: K, value: number): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}

function removeFrom<K>(index: Map<K, number[]>, key: K, value: number): void {
  const list = index.get(key);
  if (!list) return;
  const i = list.indexOf(value);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(key);
}

/** One client's queue in order, with the two lookups aedes needs indexed. */
class ClientQueue {
  /** position → packet; a Map iterates in insertion order, so this is queue order */
  readonly entries = new Map<number, OutgoingPacket>();
  readonly #byBroker = new Map<string, number[]>();
  readonly #byMessageId = new Map<number, number[]>();
  #next = 0;

  get size(): number {
    return this.entries.size;
  }

  push(packet: OutgoingPacket): void {
    const at = this.#next++;
    this.entries.set(at, packet);
    this.#index(packet, at);
  }

  #index(packet: OutgoingPacket, at: number): void {
    const key = brokerKey(packet);
    if (key !== undefined) addTo(this.#byBroker, key, at);
    if (packet.messageId !== undefined) addTo(this.#byMessageId, packet.messageId, at);
  }

  /** The first position (queue order) holding `messageId`, skipping packets of broker `skipBroker`. */
  #firstWithMessageId(messageId: number | undefined, skipBroker?: string): number | undefined {
    if (messageId === undefined) return undefined;
    let best: number | undefined;
    for (const at of this.#byMessageId.get(messageId) ?? []) {
      if (best !== undefined && at > best) continue;
      if (skipBroker !== undefined && this.entries.get(at)?.brokerId === skipBroker) continue;
      best = at;
    }
    return best;
  }

  /**
   * Records the packet identifier aedes assigned when it sent a message (matched by broker id and
   * counter), or puts a PUBREL in place of its PUBLISH (matched by packet identifier; so is a
   * message of another broker id, as aedes-persistence does). Throws when nothing matches, as
   * aedes-persistence does. (aedes-persistence matches a PUBREL by its missing broker id first,
   * which can pick another message's PUBREL; here a PUBREL always goes by its identifier.)
   */
  update(packet: OutgoingPacket): void {
    const key = brokerKey(packet);
    const at = key === undefined ? undefined : this.#byBroker.get(key)?.[0];
    if (at !== undefined) {
      const entry = this.entries.get(at) as OutgoingPacket;
      if (entry.messageId !== undefined) removeFrom(this.#byMessageId, entry.messageId, at);
      entry.messageId = packet.messageId;
      if (packet.messageId !== undefined) addTo(this.#byMessageId, packet.messageId, at);
      return;
    }
    const replaced = this.#firstWithMessageId(packet.messageId, packet.brokerId);
    if (replaced === undefined) throw new Error('no such packet');
    this.#unindex(replaced);
    this.entries.set(replaced, packet);
    this.#index(packet, replaced);
  }

  /** Removes and returns the first queued packet with the packet identifier, if any. */
  clear(messageId: number | undefined): OutgoingPacket | undefined {
    const at = this.#firstWithMessageId(messageId);
    if (at === undefined) return undefined;
    const packet = this.entries.get(at);
    this.#unindex(at);
    this.entries.delete(at);
    return packet;
  }

  #unindex(at: number): void {
    const packet = this.entries.get(at) as OutgoingPacket;
    const key = brokerKey(packet);
    if (key !== undefined) removeFrom(this.#byBroker, key, at);
    if (packet.messageId !== undefined) removeFrom(this.#byMessageId, packet.messageId, at);
  }
}

/**
 * Replaces the outgoing queues of aedes' in-memory persistence (aedes-persistence 11) with indexed
 * ones. aedes-persistence keeps each client's queue as an array and finds the packet of every
 * send (`outgoingUpdate`) and every PUBACK (`outgoingClearMessageId`) by scanning it from the
 * start, so a CleanSession=0 subscriber with n messages in flight costs O(n) per message: an
 * ingestor that acknowledges after its InfluxDB write keeps thousands in flight, and the scans
 * took a third of the broker's CPU. Here both are map lookups, with the same matching rules and
 * queue order. Only for the in-memory persistence; Redis persistence keeps its own.
 */
export function indexOutgoingQueues(persistence: OutgoingPersistence): void {
  const queues = new Map<string, ClientQueue>();
  const queueOf = (id: string) => {
    let q = queues.get(id);
    if (!q) queues.set(id, (q = new ClientQueue()));
    return q;
  };
  const settle = (id: string) => {
    if (queues.get(id)?.size === 0) queues.delete(id);
  };
  persistence.outgoingEnqueue = async (sub, packet) => queueOf(sub.clientId).push(new Packet(packet));
  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    for (const sub of subs) queueOf(sub.clientId).push(new Packet(packet));
  };
  persistence.outgoingUpdate = async (client, packet) => {
    const q = queues.get(client.id);
    if (!q) throw new Error('no such packet');
    q.update(packet);
  };
  persistence.outgoingClearMessageId = async (client, packet) => {
    const cleared = queues.get(client.id)?.clear(packet.messageId);
    settle(client.id);
    return cleared;
  };
  // a snapshot, as aedes-persistence gives: the caller clears entries while it reads
  persistence.outgoingStream = (client) => Readable.from([...(queues.get(client.id)?.entries.values() ?? [])]);
}
