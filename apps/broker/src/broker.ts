import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import type { Logger } from '@takt/runtime';
import type { AccessPolicy } from './acl.js';
import { internals, persistenceOf } from './aedes-internals.js';
import { indexOutgoingQueues, type OutgoingPersistence } from './outgoing-queues.js';
import { redisBackend, type ClusterBackend } from './cluster.js';
import type { BrokerConfig } from './config.js';
import { OverlapDelivery } from './delivery.js';
import { LoginThrottle } from './login-throttle.js';
import { BrokerMetrics, type RejectionReason } from './metrics.js';
import { limitPacketSize } from './packet-limit.js';
import { InvalidPayloadGuard } from './payload-check.js';
import { DROPPED, policyHooks, type Session } from './policy-hooks.js';
import { guardSubscriptionStore } from './subscription-store.js';
import type { UserDirectory } from './users.js';

export interface TaktBrokerOptions {
  config: BrokerConfig;
  /** the users file; required unless `config.allowAnonymous` */
  users?: UserDirectory;
  policy: AccessPolicy;
  logger: Logger;
}

/** The broker core, without listeners: hand it any duplex stream that speaks MQTT. */
export interface TaktBroker {
  readonly aedes: Aedes;
  readonly metrics: BrokerMetrics;
  /** serves one connection; `address` is the remote address used for login throttling and logs */
  handle(stream: Duplex, address: string): void;
  /** false in cluster mode while Redis is unreachable */
  healthy(): boolean;
  /** disconnects every client signed in as one of `usernames` (removed from the users file or changed); returns how many */
  disconnectUsers(usernames: readonly string[]): number;
  /**
   * Puts a reloaded ACL in force: new logins get it, every connected client is re-bound to it, and a
   * client holding a subscription the new rules refuse is disconnected (it may reconnect and is answered
   * by the new rules). Returns how many were disconnected.
   */
  applyPolicy(policy: AccessPolicy): number;
  close(): Promise<void>;
}

type PublishFn = (packet: object, client: Client | null, done?: (err?: Error) => void) => void;
type AuthorizePublishFn = (client: Client | null, packet: { qos: number }, done: (err?: Error | null) => void) => void;
/** marks a QoS 1 publish already stored and routed before its PUBACK */
const ROUTED = Symbol('takt.routed');

/** Maps the errors aedes reports for a connection to a rejection reason (undefined: ordinary close). */
function reasonOf(err: Error): RejectionReason | undefined {
  if ((err as { errorCode?: number }).errorCode) return undefined; // a refused CONNECT, already counted
  const m = err.message;
  if (m.includes('connect did not arrive')) return 'connect_timeout';
  if (m.includes('too many levels')) return 'topic_too_deep';
  if (m.includes('packet too large')) return 'packet_too_large';
  if (m.includes('invalid payloads') || /ECONNRESET|EPIPE|connection closed|drain timeout/.test(m)) return undefined;
  return 'protocol_error';
}

function watchErrors(aedes: Aedes, metrics: BrokerMetrics, logger: Logger): void {
  const onError = (client: Client, err: Error) => {
    const reason = reasonOf(err);
    if (reason) metrics.rejected(reason);
    logger.debug({ clientId: client.id, err: err.message, reason }, 'connection closed on error');
  };
  aedes.on('clientError', onError);
  aedes.on('connectionError', onError);
}

/** `<id>-<base36 start time><random>`: unique per process life; no `:` (aedes-persistence-redis splits keys on it). */
export function lifeId(id: string): string {
  return `${id.replaceAll(':', '-')}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/**
 * Turns off aedes 1.2's per-client duplicate filter, which drops a QoS 1/2 message whose routing
 * number (brokerCounter) is not above the highest this client was sent from that broker. Numbers
 * are handed out when a publish arrives, but messages are routed after asynchronous persistence
 * steps (a retained message waits on its store, every QoS 1 message on the offline enqueue), so a
 * later message often overtakes an earlier one — and the earlier one was then dropped for every
 * subscriber after the publisher had its PUBACK: the soak lost `state` (retained) and `features`
 * seqs this way. The same message reaching a client twice through overlapping subscriptions is
 * filtered exactly (by broker id and number) in OverlapDelivery instead.
 */
function allowReordering(client: Client): void {
  (client as unknown as { duplicates: Record<string, number> }).duplicates = new Proxy(
    Object.create(null) as Record<string, number>,
    {
      get: () => undefined, // never "already seen": aedes then delivers and records the number, which is ignored
      set: () => true,
    },
  );
}

/** Creates the aedes broker with Takt's authentication, ACL, validation, limits and metrics. */
export async function createTaktBroker(options: TaktBrokerOptions): Promise<TaktBroker> {
  const { config, logger } = options;
  const metrics = new BrokerMetrics();
  const sessions = new WeakMap<Client, Session>();
  const deliveries = new WeakMap<Client, OverlapDelivery>();
  const backend: ClusterBackend | undefined = config.persistence
    ? redisBackend(config.persistence.redis, { concurrency: config.concurrency })
    : undefined;
  let redisUp = backend === undefined;
  // the policy in force; replaced by applyPolicy (SIGHUP), read by every login
  let policy = options.policy;
  const livePolicy: AccessPolicy = {
    get rules() {
      return policy.rules;
    },
    bind: (identity, clientId) => policy.bind(identity, clientId),
  };
  /** The connected, signed-in clients with their sessions. */
  const signedIn = () =>
    Object.values((aedes as unknown as { clients: Record<string, Client> }).clients).flatMap((client) => {
      const session = sessions.get(client);
      return session?.identity ? [{ client, session, identity: session.identity }] : [];
    });
  const drop = (client: Client, why: string, user: string | undefined) => {
    logger.warn({ clientId: client.id, user, why }, 'disconnecting client: its rights changed');
    metrics.rejected('rights_revoked');
    client.close();
  };
  const aedes = new Aedes({
    // one id per process life: aedes numbers the messages it routes from 1 again on every start, and
    // Redis persistence keys queued messages by broker id and that number, so a restarted broker under
    // a fixed id overwrote messages still queued from its last life (and took its dead life's wills for its own)
    ...(config.id ? { id: lifeId(config.id) } : {}),
    ...(backend ? { persistence: backend.persistence, mq: backend.mq } : {}),
    concurrency: config.concurrency,
    queueLimit: config.queueLimit,
    drainTimeout: config.drainTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    maxTopicLevels: config.maxTopicLevels,
    ...policyHooks({
      users: options.users,
      policy: livePolicy,
      throttle: new LoginThrottle(config.loginThrottle),
      metrics,
      logger,
      allowAnonymous: config.allowAnonymous,
      validate: config.validation.enabled,
      invalidLimit: config.validation,
      clientIds: config.clientIds,
      quotas: config.quotas,
      session: (client) => sessions.get(client),
    }),
  });
  // a publish the policy dropped is acknowledged to its sender but never stored or routed; one
  // routed before its PUBACK (below) is not routed again
  const publish = (aedes.publish as unknown as PublishFn).bind(aedes);
  (aedes as unknown as { publish: PublishFn }).publish = (packet, client, done) => {
    if ((packet as { [DROPPED]?: boolean })[DROPPED] || (packet as { [ROUTED]?: boolean })[ROUTED]) return done?.();
    publish(packet, client, done);
  };
  // aedes 1.2 sends a QoS 1 PUBACK first and stores and routes the message after it: a broker killed
  // in between had acknowledged a message it never kept, and the sender's outbox had let it go. So
  // the message is stored (retained, queued for CleanSession=0 sessions) and routed first, as the
  // last step of authorization, and the PUBACK follows; a failure there closes the connection
  // without a PUBACK, and the sender publishes again.
  const authorizePublish = (aedes.authorizePublish as unknown as AuthorizePublishFn).bind(aedes);
  (aedes as unknown as { authorizePublish: AuthorizePublishFn }).authorizePublish = (client, packet, done) =>
    authorizePublish(client, packet, (err) => {
      if (err || !client || packet.qos !== 1 || (packet as { [DROPPED]?: boolean })[DROPPED]) return done(err ?? null);
      publish(packet, client, (failed) => {
        (packet as { [ROUTED]?: boolean })[ROUTED] = true;
        done(failed ?? null);
      });
    });
  watchErrors(aedes, metrics, logger);
  aedes.on('subscribe', (subs, client) => deliveries.get(client)?.subscribed(subs.map((s) => s.topic)));
  aedes.on('clientReady', (client) =>
    logger.debug({ clientId: client.id, user: sessions.get(client)?.identity?.username }, 'client connected'),
  );
  if (backend) {
    const redis = backend.mq as unknown as { state: NodeJS.EventEmitter };
    redis.state.on('error', (err: Error) => {
      redisUp = false;
      logger.error({ err: err.message }, 'redis message bus error');
    });
    redis.state.on('pubConnect', () => (redisUp = true));
    redis.state.on('subConnect', () => (redisUp = true));
  }
  await aedes.listen(); // creates aedes.persistence (the in-memory one unless cluster mode)
  // indexed outgoing queues: aedes-persistence scans a client's whole queue per send and per PUBACK
  if (!backend) indexOutgoingQueues(persistenceOf(aedes) as unknown as OutgoingPersistence);
  // one store per SUBSCRIBE, refused filters left out (subscription-store.ts: aedes 1.2 defects)
  guardSubscriptionStore(
    persistenceOf(aedes),
    (client, filter) => sessions.get(client)?.access?.canSubscribe(filter) === true,
    {
      onSlow: (clientId, filters, ms) =>
        logger.warn(
          { clientId, filters, ms },
          "storing a persistent session's subscriptions has not finished; its SUBACK waits (in cluster mode: Redis or the subscription broadcast is stuck)",
        ),
    },
  );
  redisUp ||= backend !== undefined;

  return {
    aedes,
    metrics,
    handle(stream, address) {
      if (metrics.connections >= config.maxConnections) {
        metrics.rejected('connection_cap');
        logger.warn({ address, connections: metrics.connections }, 'connection refused: maxConnections reached');
        stream.on('error', () => undefined); // some stream types report their own destruction as an error
        stream.destroy();
        return;
      }
      metrics.connections++;
      metrics.connectionsTotal++;
      stream.once('close', () => metrics.connections--);
      const client = aedes.handle(stream);
      allowReordering(client);
      const session: Session = { address, invalid: new InvalidPayloadGuard(config.validation), denials: 0 };
      sessions.set(client, session);
      deliveries.set(client, new OverlapDelivery(internals(client), metrics));
      // until the CONNECT is authenticated only a small packet is read: nobody unknown makes the broker buffer megabytes
      limitPacketSize(internals(client)._parser, () =>
        session.identity ? config.maxPacketSize : Math.min(config.maxConnectPacketSize, config.maxPacketSize),
      );
    },
    healthy: () => !aedes.closed && redisUp,
    disconnectUsers(usernames) {
      const gone = new Set(usernames);
      const hit = signedIn().filter(({ identity }) => identity.username !== undefined && gone.has(identity.username));
      for (const { client, identity } of hit)
        drop(client, 'user removed or changed in the users file', identity.username);
      return hit.length;
    },
    applyPolicy(next) {
      policy = next;
      let dropped = 0;
      for (const { client, session, identity } of signedIn()) {
        session.access = next.bind(identity, client.id);
        const refused = [...(session.subscriptions ?? [])].filter((filter) => !session.access?.canSubscribe(filter));
        if (refused.length === 0) continue;
        for (const filter of refused) session.subscriptions?.delete(filter);
        dropped++;
        // a persistent session must not get the refused filters back when it reconnects
        void persistenceOf(aedes)
          .removeSubscriptions(client, refused)
          .catch((err: Error) =>
            logger.error({ clientId: client.id, err: err.message }, 'cannot remove refused subscriptions'),
          )
          .finally(() => drop(client, `the ACL now refuses its subscriptions ${refused.join(' ')}`, identity.username));
      }
      return dropped;
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await backend?.close();
    },
  };
}
