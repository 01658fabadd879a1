// aedes-persistence-redis ships no type declarations; this is the part we use.
declare module 'aedes-persistence-redis' {
  interface RedisPersistenceOptions {
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    db?: number;
    /** most offline messages delivered on CONNECT; default 1000 */
    maxSessionDelivery?: number;
  }
  interface RedisPersistence {
    setup(broker: unknown): Promise<void>;
    destroy(cb?: () => void): Promise<void> | void;
  }
  function aedesPersistenceRedis(opts?: RedisPersistenceOptions): RedisPersistence;
  export = aedesPersistenceRedis;
}
