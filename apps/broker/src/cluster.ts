import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';

/** Redis connection settings from a `redis://[user:pass@]host:port[/db]` URL. */
export function redisOptions(url: string): {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
} {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new RangeError(`redis URL ${url}: database must be a non-negative integer`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
  };
}

/** What aedes needs for cluster mode: shared persistence and a shared message bus, and how to close both. */
export interface ClusterBackend {
  persistence: ReturnType<typeof aedesPersistenceRedis>;
  mq: ReturnType<typeof mqemitterRedis>;
  /** closes the persistence's Redis connection (aedes closes `mq` itself) */
  close(): Promise<void>;
}

/**
 * Cluster mode: aedes-persistence-redis keeps sessions, subscriptions, offline QoS 1/2 queues,
 * retained messages and wills in Redis; mqemitter-redis routes every publish through Redis pub/sub,
 * so several broker processes behind a TCP load balancer act as one broker.
 */
export function redisBackend(url: string, options: { concurrency: number }): ClusterBackend {
  const conn = redisOptions(url);
  const persistence = aedesPersistenceRedis({ ...conn, maxSessionDelivery: 1000 });
  const mq = mqemitterRedis({ ...conn, concurrency: options.concurrency, matchEmptyLevels: true });
  return {
    persistence,
    mq,
    close: async () => {
      await persistence.destroy();
    },
  };
}
