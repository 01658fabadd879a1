import Modbus from 'modbus-serial';
import { CodedError } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import { TypedEventEmitter } from '../../typed-emitter.js';
import type { ModbusTable } from './modbus-config.js';

export interface ModbusLinkOptions {
  /** `modbus://host:port` (TCP, port default 502) or `rtu:///dev/ttyUSB0?baudRate=19200` (serial) */
  url: string;
  /** ms to wait for a response (and for a TCP connect) */
  timeoutMs: number;
  /** ms before the first reconnect; doubles per failed try up to reconnectMaxMs */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** requests outstanding at once (Modbus TCP transaction ids tell the answers apart) */
  maxInFlight: number;
  logger: Logger;
}

export interface ModbusLinkEvents {
  up: () => void;
  down: (err: Error) => void;
}

/** A read that the server answered with a Modbus exception (the link is fine). */
export class ModbusExceptionError extends CodedError<'MODBUS_EXCEPTION'> {
  override readonly name = 'ModbusExceptionError';
  /** exception code, e.g. 2 = illegal data address */
  readonly exception: number;
  constructor(exception: number, message: string) {
    super('MODBUS_EXCEPTION', message);
    this.exception = exception;
  }
}

/** modbus-serial is CommonJS: its default export (the client class) is `module.exports.default`, which is the module itself. */
const ModbusRTU = Modbus.default;
type ModbusRTU = InstanceType<typeof Modbus.default>;

/** Consecutive timeouts after which the link is dropped and dialled again (a half-open TCP connection). */
const TIMEOUTS_BEFORE_REDIAL = 3;

const READS = {
  holding: (c: ModbusRTU, a: number, n: number) => c.readHoldingRegisters(a, n),
  input: (c: ModbusRTU, a: number, n: number) => c.readInputRegisters(a, n),
  coil: (c: ModbusRTU, a: number, n: number) => c.readCoils(a, n),
  discrete: (c: ModbusRTU, a: number, n: number) => c.readDiscreteInputs(a, n),
} satisfies Record<ModbusTable, (c: ModbusRTU, a: number, n: number) => Promise<{ data: (number | boolean)[] }>>;

/**
 * One Modbus connection: dials, redials with exponential backoff when it drops, and runs reads one at a
 * time (one outstanding request, as most PLCs and every serial line require) or up to `maxInFlight`.
 */
export class ModbusLink extends TypedEventEmitter<ModbusLinkEvents> {
  readonly #o: ModbusLinkOptions;
  readonly #queue: RequestSlots;
  #client: ModbusRTU | undefined;
  #connected = false;
  #stopped = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #timeouts = 0;

  constructor(options: ModbusLinkOptions) {
    super();
    this.#o = options;
    this.#queue = new RequestSlots(options.maxInFlight);
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Dials; failures are retried in the background (listen to `up`/`down`). */
  start(): void {
    void this.#dial();
  }

  async #dial(): Promise<void> {
    if (this.#stopped) return;
    const client = new ModbusRTU();
    try {
      await withTimeout(this.#open(client), this.#o.timeoutMs * 2, `connect to ${this.#o.url} timed out`);
    } catch (err) {
      drop(client);
      this.#retry(err as Error);
      return;
    }
    if (this.#stopped) return drop(client);
    client.setTimeout(this.#o.timeoutMs);
    // modbus-serial's TCP port reports a reset as 'error' and then stays silent on 'close': check the port on both
    client.on(
      'error',
      (err: unknown) =>
        !client.isOpen &&
        this.#lost(client, new Error(`connection to ${this.#o.url} failed: ${String((err as Error).message ?? err)}`)),
    );
    client.on('close', () => this.#lost(client, new Error(`connection to ${this.#o.url} closed`)));
    this.#client = client;
    this.#connected = true;
    this.#attempt = 0;
    this.#timeouts = 0;
    this.#o.logger.info({ url: this.#o.url }, 'modbus connected');
    this.emit('up');
  }

  #open(client: ModbusRTU): Promise<void> {
    const u = new URL(this.#o.url);
    if (u.protocol === 'rtu:')
      return client.connectRTUBuffered(decodeURIComponent(u.pathname), {
        baudRate: Number(u.searchParams.get('baudRate') ?? 9_600),
      });
    return client.connectTCP(u.hostname, { port: u.port ? Number(u.port) : 502 });
  }

  #retry(err: Error): void {
    if (this.#stopped) return;
    const delay = Math.min(this.#o.reconnectMaxMs, this.#o.reconnectMinMs * 2 ** Math.min(this.#attempt, 20));
    this.#attempt++;
    this.#o.logger.warn(
      { url: this.#o.url, err: err.message, retryInMs: delay, attempt: this.#attempt },
      'modbus connect failed',
    );
    this.#timer = setTimeout(() => void this.#dial(), delay);
  }

  #lost(client: ModbusRTU, err: Error): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#connected = false;
    drop(client);
    this.emit('down', err);
    this.#retry(err);
  }

  /** Reads `length` registers (or bits) of `table` at `address` from `unitId`. */
  read(unitId: number, table: ModbusTable, address: number, length: number): Promise<(number | boolean)[]> {
    return this.#queue.run(async () => {
      const client = this.#client;
      if (client && !client.isOpen) this.#lost(client, new Error(`connection to ${this.#o.url} closed`));
      if (!client || !this.#connected)
        throw Object.assign(new Error(`not connected to ${this.#o.url}`), { code: 'MODBUS_DISCONNECTED' });
      client.setID(unitId);
      try {
        const { data } = await READS[table](client, address, length);
        this.#timeouts = 0;
        return data;
      } catch (err) {
        throw this.#classify(client, err as Error & { modbusCode?: number; errno?: string });
      }
    });
  }

  #classify(client: ModbusRTU, err: Error & { modbusCode?: number; errno?: string }): Error {
    if (typeof err.modbusCode === 'number') return new ModbusExceptionError(err.modbusCode, err.message);
    if (err.errno === 'ETIMEDOUT' || err.name === 'TransactionTimedOutError') {
      if (++this.#timeouts >= TIMEOUTS_BEFORE_REDIAL)
        this.#lost(client, new Error(`${this.#timeouts} timeouts in a row from ${this.#o.url}`));
      return Object.assign(new Error(`no response from ${this.#o.url} within ${this.#o.timeoutMs} ms`), {
        code: 'MODBUS_TIMEOUT',
      });
    }
    if (!client.isOpen) this.#lost(client, new Error(`connection to ${this.#o.url} closed: ${err.message}`));
    return Object.assign(new Error(err.message), { code: 'MODBUS_IO' });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const c = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (c) drop(c);
  }
}

/** At most `size` tasks at once, the rest in order (size 1: a serial queue). */
class RequestSlots {
  readonly #size: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy--;
    }
  }
}

/** Closes a client's socket now: modbus-serial calls a close callback only for a port it still thinks open, so none is awaited. */
function drop(client: ModbusRTU): void {
  client.destroy(() => undefined);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(message)), ms))),
  ]).finally(() => clearTimeout(t));
}
