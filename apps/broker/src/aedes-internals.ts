import type { Aedes, Client } from 'aedes';

/**
 * The parts of an aedes 1.2 client we hook into that its type declarations do not show.
 * Kept in this one place so an aedes upgrade has one file to check.
 */
export interface DeliverablePacket {
  topic: string;
  qos: 0 | 1 | 2;
  payload: Buffer;
  retain?: boolean;
  /** the broker that first routed this message and its per-broker sequence; absent for retained replays */
  brokerId?: string | null;
  brokerCounter?: number;
}

export type DeliverFn = (packet: DeliverablePacket, cb: () => void) => void;

export interface SubscriptionEntry {
  qos: number;
}

export interface PacketParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

export interface ClientInternals {
  id: string;
  /** granted subscriptions by filter */
  subscriptions: Record<string, SubscriptionEntry>;
  deliver0: DeliverFn;
  deliverQoS: DeliverFn;
  _parser: PacketParser;
}

export const internals = (client: Client): ClientInternals => client as unknown as ClientInternals;

/** One filter of a SUBSCRIBE as aedes hands it to the persistence. */
export interface StoredSubscription {
  topic: string;
  qos: number;
}

/**
 * The promise form of the two persistence calls aedes 1.2 makes for a CleanSession=0 client's
 * SUBSCRIBE and UNSUBSCRIBE (lib/handlers/subscribe.js, unsubscribe.js), on `aedes.persistence`.
 */
export interface SubscriptionPersistence {
  addSubscriptions(client: Client, subs: StoredSubscription[]): Promise<unknown>;
  removeSubscriptions(client: Client, filters: string[]): Promise<unknown>;
}

/** `aedes.persistence`, set by `aedes.listen()`. */
export const persistenceOf = (aedes: Aedes): SubscriptionPersistence =>
  (aedes as unknown as { persistence: SubscriptionPersistence }).persistence;
