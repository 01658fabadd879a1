import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from '@takt/runtime';
import type { AccessPolicy, ClientAccess } from './acl.js';
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
  invalid: InvalidPayloadGuard;
  /** how often this client was refused, for log thinning */
  denials: number;
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
  /** the session of a connection (created when the socket is accepted) */
  session(client: Client): Session | undefined;
}

/** Marks a publish the broker acknowledges but does not route (denied or invalid). */
export const DROPPED = Symbol('takt.dropped');

const connackError = (returnCode: 2 | 4 | 5, message: string): AuthenticateError => Object.assign(new Error(message), { returnCode });

/** Logs the 1st, 2nd, 4th, 8th… occurrence per client, so a misbehaving client cannot flood the log. */
const worthLogging = (n: number) => (n & (n - 1)) === 0;

/** The aedes policy hooks: authentication, ACLs and payload validation. */
export function policyHooks(deps: PolicyDeps): Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe'> {
  const { metrics, logger } = deps;

  async function login(session: Session, clientId: string, username: string | undefined, password: Buffer | undefined): Promise<Identity | AuthenticateError> {
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
    if (identity) {
      deps.throttle.succeeded(session.address);
      return identity;
    }
    metrics.rejected('bad_credentials');
    const failures = deps.throttle.failed(session.address);
    logger.warn({ address: session.address, clientId, username, failures }, 'login failed: bad user name or password');
    return connackError(4, 'bad user name or password');
  }

  return {
    preConnect(client, packet, done) {
      const session = deps.session(client);
      if (session && packet.clientId === '' && packet.clean === false) session.refuseClientId = true;
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
      if (!session?.access || !session.access.canPublish(packet.topic)) {
        metrics.rejected('publish_denied');
        if (session && worthLogging(++session.denials)) logger.warn({ clientId: client.id, user: session.identity?.username, topic: packet.topic, times: session.denials }, 'publish denied');
        (packet as { [DROPPED]?: boolean })[DROPPED] = true;
        return done(null);
      }
      if (deps.validate && !(packet.retain && packet.payload.length === 0)) {
        const error = checkPayload(packet.topic, packet.payload as Buffer);
        if (error) {
          metrics.invalidPayload(error.code);
          logger.warn({ clientId: client.id, user: session.identity?.username, topic: packet.topic, code: error.code, reason: error.message }, 'invalid payload dropped');
          if (session.invalid.record()) {
            metrics.rejected('invalid_payload_flood');
            logger.warn({ clientId: client.id, address: session.address }, 'disconnecting client that keeps sending invalid payloads');
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
      if (!session?.access?.canSubscribe(sub.topic)) {
        metrics.rejected('subscribe_denied');
        if (session && worthLogging(++session.denials)) logger.warn({ clientId: client.id, user: session.identity?.username, filter: sub.topic, times: session.denials }, 'subscribe denied');
        return done(null, null); // SUBACK 0x80
      }
      done(null, sub);
    },
  };
}
