import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { RETAINED_CHANNELS, tryParseTopic } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import type { AccessPolicy } from './acl.js';
import type { ClientAccess } from './client-access.js';
import type { LoginThrottle } from './login-throttle.js';
import type { BrokerMetrics } from './metrics.js';
import { checkPayload, InvalidPayloadGuard } from './payload-check.js';
import { ANONYMOUS_ROLE, type Identity, type UserDirectory } from './users.js';

/** What the broker knows about one connection, from CONNECT to close. */
export interface Session {
  address: string;
  identity?: Identity;
  access?: ClientAccess;
  /** [MQTT-3.1.3-8]: zero-length client id with CleanSession=0 */
  refuseClientId?: boolean;
  /** the client sent a zero-length id and the broker assigned a fresh one [MQTT-3.1.3-6]: it cannot name another's session */
  assignedClientId?: boolean;
  invalid: InvalidPayloadGuard;
  /** how often this client was refused, for log thinning */
  denials: number;
  /** topics this connection has set a retained message on (its quota) */
  retained?: Set<string>;
  /** filters this connection holds (its quota) */
  subscriptions?: Set<string>;
}

export interface PolicyDeps {
  users: UserDirectory | undefined;
  policy: AccessPolicy;
  throttle: LoginThrottle;
  metrics: BrokerMetrics;
  logger: Logger;
  allowAnonymous: boolean;
  validate: boolean;
  invalidLimit: { maxInvalid: number; windowMs: number };
  clientIds: 'user-prefix' | 'any';
  quotas: { retainedTopics: number; subscriptions: number };
  /** the session of a connection (created when the socket is accepted) */
  session(client: Client): Session | undefined;
}

/** Marks a publish the broker acknowledges but does not route (denied or invalid). */
export const DROPPED = Symbol('takt.dropped');

const connackError = (returnCode: 2 | 4 | 5, message: string): AuthenticateError =>
  Object.assign(new Error(message), { returnCode });

/** Logs the 1st, 2nd, 4th, 8th… occurrence per client, so a misbehaving client cannot flood the log. */
const worthLogging = (n: number) => (n & (n - 1)) === 0;

/** A client id bound to `username`: the name itself, or the name followed by one of `-_.:@` and more. */
export const boundClientId = (clientId: string, username: string) =>
  clientId === username || (clientId.startsWith(username) && '-_.:@'.includes(clientId[username.length] as string));

/** Retained messages are kept only where Takt retains by design (`state`, `model/desired`); other takt/v1 topics refuse them. */
function retainAllowed(topic: string): boolean {
  const parts = tryParseTopic(topic);
  return parts === undefined ? !topic.startsWith('takt/') : RETAINED_CHANNELS.includes(parts.channel);
}

/** The aedes policy hooks: authentication, ACLs and payload validation. */
export function policyHooks(
  deps: PolicyDeps,
): Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  const { metrics, logger } = deps;

  async function login(
    session: Session,
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<Identity | AuthenticateError> {
    if (session.refuseClientId) {
      metrics.rejected('client_id');
      return connackError(2, 'zero-length client id requires CleanSession=1'); // [MQTT-3.1.3-8]
    }
    const delay = deps.throttle.delayFor(session.address);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (username === undefined) {
      if (deps.allowAnonymous) return { username: undefined, role: ANONYMOUS_ROLE };
      metrics.rejected('anonymous');
      deps.throttle.failed(session.address);
      logger.warn({ address: session.address, clientId }, 'anonymous login refused');
      return connackError(5, 'not authorized');
    }
    const identity = deps.users ? await deps.users.verify(username, password) : undefined;
    if (
      identity &&
      deps.clientIds === 'user-prefix' &&
      !session.assignedClientId &&
      !boundClientId(clientId, username)
    ) {
      metrics.rejected('client_id_not_bound');
      logger.warn(
        { address: session.address, clientId, username },
        `login refused: client id is not bound to its user (must be "${username}" or start with "${username}-")`,
      );
      return connackError(2, 'client id not bound to user');
    }
    if (identity) {
      deps.throttle.succeeded(session.address);
      return identity;
    }
    metrics.rejected('bad_credentials');
    const failures = deps.throttle.failed(session.address);
    logger.warn({ address: session.address, clientId, username, failures }, 'login failed: bad user name or password');
    return connackError(4, 'bad user name or password');
  }

  /** Why a retained publish is refused: off the retained channels, or over the connection's quota. */
  function retainRefusal(session: Session, topic: string): 'retain_denied' | 'retained_quota' | undefined {
    if (!retainAllowed(topic)) return 'retain_denied';
    const set = (session.retained ??= new Set());
    if (!set.has(topic) && set.size >= deps.quotas.retainedTopics) return 'retained_quota';
    set.add(topic);
    return undefined;
  }

  return {
    preConnect(client, packet, done) {
      const session = deps.session(client);
      if (session && packet.clientId === '' && packet.clean === false) session.refuseClientId = true;
      if (session && packet.clientId === '') session.assignedClientId = true;
      done(null, true);
    },

    authenticate(client, username, password, done) {
      const session = deps.session(client);
      if (!session) return done(connackError(5, 'no session'), false);
      login(session, client.id, username, password).then(
        (result) => {
          if (result instanceof Error) return done(result, false);
          session.identity = result;
          session.access = deps.policy.bind(result, client.id);
          done(null, true);
        },
        (err: Error) => done(Object.assign(err, { returnCode: 3 as const }), false),
      );
    },

    authorizePublish(client, packet, done) {
      const session = client ? deps.session(client) : undefined;
      if (!client) return done(null); // a will left by a broker that died: authorized when it was stored
      if (!session) return done(new Error('no session'));
      const refusal =
        !session.access || !session.access.canPublish(packet.topic)
          ? 'publish_denied'
          : packet.retain
            ? retainRefusal(session, packet.topic)
            : undefined;
      if (refusal) {
        metrics.rejected(refusal);
        if (worthLogging(++session.denials))
          logger.warn(
            {
              clientId: client.id,
              user: session.identity?.username,
              topic: packet.topic,
              reason: refusal,
              times: session.denials,
            },
            'publish denied',
          );
        (packet as { [DROPPED]?: boolean })[DROPPED] = true;
        return done(null);
      }
      if (deps.validate && !(packet.retain && packet.payload.length === 0)) {
        const error = checkPayload(packet.topic, packet.payload as Buffer);
        if (error) {
          metrics.invalidPayload(error.code);
          logger.warn(
            {
              clientId: client.id,
              user: session.identity?.username,
              topic: packet.topic,
              code: error.code,
              reason: error.message,
            },
            'invalid payload dropped',
          );
          if (session.invalid.record()) {
            metrics.rejected('invalid_payload_flood');
            logger.warn(
              { clientId: client.id, address: session.address },
              'disconnecting client that keeps sending invalid payloads',
            );
            return done(new Error('too many invalid payloads'));
          }
          (packet as { [DROPPED]?: boolean })[DROPPED] = true;
          return done(null);
        }
      }
      metrics.messageIn(packet.qos, packet.payload.length);
      done(null);
    },

    authorizeSubscribe(client, sub, done) {
      const session = deps.session(client);
      const held = (session ? (session.subscriptions ??= new Set()) : undefined) ?? new Set<string>();
      const refusal = !session?.access?.canSubscribe(sub.topic)
        ? 'subscribe_denied'
        : !held.has(sub.topic) && held.size >= deps.quotas.subscriptions
          ? 'subscription_quota'
          : undefined;
      if (refusal) {
        metrics.rejected(refusal);
        if (session && worthLogging(++session.denials))
          logger.warn(
            {
              clientId: client.id,
              user: session.identity?.username,
              filter: sub.topic,
              reason: refusal,
              times: session.denials,
            },
            'subscribe denied',
          );
        return done(null, null); // SUBACK 0x80
      }
      held.add(sub.topic);
      done(null, sub);
    },

    authorizeForward(client, packet) {
      const session = deps.session(client);
      if (!session?.access || session.access.canRead(packet.topic)) return packet;
      metrics.rejected('forward_denied');
      if (worthLogging(++session.denials))
        logger.warn(
          { clientId: client.id, user: session.identity?.username, topic: packet.topic, times: session.denials },
          'delivery denied: the topic matched a granted wildcard subscription but is not readable',
        );
      return null;
    },
  };
}
