import type { Logger } from '@takt/runtime';
import { AccessPolicy } from './acl.js';
import { createTaktBroker, type TaktBroker } from './broker.js';
import type { BrokerConfig } from './config.js';
import { startListeners, type ListenerPorts } from './listeners.js';
import { serveMetrics } from './metrics.js';
import { UserDirectory } from './users.js';

export interface BrokerServer {
  broker: TaktBroker;
  ports: ListenerPorts & { metrics: number };
  /**
   * SIGHUP: re-reads the users file and the ACL file. Clients of users removed or changed are
   * disconnected, and so are clients holding a subscription the new ACL refuses; every other client
   * is re-bound to the new rules. A file that fails to load keeps the previous copy (logged).
   */
  reload(): void;
  close(): Promise<void>;
}

/** Loads users and ACL, starts the broker, its listeners and the metrics endpoint (last, so `/healthz` means ready). */
export async function startBrokerServer(config: BrokerConfig, logger: Logger): Promise<BrokerServer> {
  const users = config.usersFile ? new UserDirectory(config.usersFile, logger) : undefined;
  const policy = AccessPolicy.fromFile(config.aclFile);
  const broker = await createTaktBroker({ config, users, policy, logger });
  users?.on('reloaded', (changed) => broker.disconnectUsers(changed));
  const reload = () => {
    users?.reload();
    if (!config.aclFile) return;
    try {
      const next = AccessPolicy.fromFile(config.aclFile);
      const dropped = broker.applyPolicy(next);
      logger.info({ file: config.aclFile, rules: next.rules.length, disconnected: dropped }, 'ACL file reloaded');
    } catch (err) {
      logger.error({ err }, 'ACL file reload failed, keeping the previous rules');
    }
  };
  const cleanups: (() => Promise<void> | void)[] = [() => broker.close()];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
    users?.close();
  };
  try {
    users?.watch();
    const listeners = await startListeners(broker, config);
    cleanups.push(() => listeners.close());
    const metrics = await serveMetrics({
      ...config.metrics,
      render: () => broker.metrics.render({ clients: broker.aedes.connectedClients }),
      healthy: () => ({
        ok: broker.healthy(),
        detail: { clients: broker.aedes.connectedClients, cluster: config.persistence !== undefined },
      }),
    });
    cleanups.push(() => metrics.close());
    const ports = { ...listeners.ports, metrics: metrics.port };
    logger.info(
      { ports, users: users?.size ?? 0, aclRules: policy.rules.length, cluster: config.persistence !== undefined },
      'broker listening',
    );
    return { broker, ports, reload, close };
  } catch (err) {
    await close();
    throw err;
  }
}
