import type { Logger } from '@takt/runtime';
import type { ModbusSourceConfig } from './modbus/modbus-config.js';
import { ModbusSource } from './modbus/modbus-source.js';
import type { OpcuaSourceConfig } from './opcua/opcua-config.js';
import { OpcuaSource } from './opcua/opcua-source.js';
import type { Source, SourceHandlers } from './source.js';

/** The part of the agent's config that names fieldbus intakes. */
export interface FieldbusConfig {
  dataDir: string;
  modbus?: ModbusSourceConfig[] | undefined;
  opcua?: OpcuaSourceConfig[] | undefined;
}

/** One source per configured Modbus connection and OPC UA endpoint. */
export function fieldbusSources(config: FieldbusConfig, logger: Logger): Source[] {
  return [
    ...(config.modbus ?? []).map((m) => new ModbusSource({ config: m, logger })),
    ...(config.opcua ?? []).map(
      (o, k) => new OpcuaSource({ config: o, where: `opcua[${k}]`, dataDir: config.dataDir, logger }),
    ),
  ];
}

/** Several sources as one: all start with the same handlers; one that fails to start does not stop the others. */
export class IntakeSources implements Source {
  readonly #sources: Source[];
  readonly #logger: Logger;

  constructor(sources: Source[], logger: Logger) {
    this.#sources = sources;
    this.#logger = logger;
  }

  get rejected(): number {
    return this.#sources.reduce((n, s) => n + s.rejected, 0);
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const results = await Promise.allSettled(this.#sources.map((s) => s.start(handlers)));
    results.forEach(
      (r, i) =>
        r.status === 'rejected' &&
        this.#logger.error({ source: i, err: (r.reason as Error).message }, 'intake did not start'),
    );
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#sources.map((s) => s.stop()));
  }
}
