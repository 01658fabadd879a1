import type { Client } from 'aedes';

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
