import type { Response } from 'express';
import type { Plant } from '../plant/plant.js';
import type { DeviceView } from '../plant/device-registry.js';

export interface SseSubscription {
  /** send this device's telemetry and score points */
  device?: string;
  /** send inspection results (with thumbnails) */
  inspections: boolean;
}

interface Client extends SseSubscription {
  res: Response;
}

export interface SseHubOptions {
  /** ms device-status changes are gathered before one `devices` event goes out; default 1_000 */
  deviceBatchMs?: number;
  /** ms between keep-alive comments; default 15_000 */
  keepAliveMs?: number;
  /** clients at most; default 500 */
  maxClients?: number;
}

/**
 * Server-Sent Events for the pages. Device status changes are coalesced (one `devices` event per
 * batch interval, however many heartbeats arrived), alerts go to everyone, telemetry and scores
 * only to the pages watching that device.
 */
export class SseHub {
  readonly #clients = new Set<Client>();
  readonly #pendingDevices = new Map<string, DeviceView>();
  readonly #timers: NodeJS.Timeout[];
  readonly #maxClients: number;
  readonly #unsubscribe: () => void;

  constructor(plant: Plant, options: SseHubOptions = {}) {
    this.#maxClients = options.maxClients ?? 500;
    const onDevice = (d: DeviceView) => this.#pendingDevices.set(d.deviceId, d);
    const onAlert = (a: unknown) => this.#broadcast('alert', a, () => true);
    const onTelemetry = (deviceId: string, p: unknown) => this.#broadcast('telemetry', { deviceId, ...(p as object) }, (c) => c.device === deviceId);
    const onScore = (deviceId: string, p: unknown) => this.#broadcast('score', { deviceId, ...(p as object) }, (c) => c.device === deviceId);
    const onInspection = (i: unknown) => this.#broadcast('inspection', i, (c) => c.inspections);
    plant.on('device', onDevice).on('alert', onAlert).on('telemetry', onTelemetry).on('score', onScore).on('inspection', onInspection);
    this.#unsubscribe = () => {
      plant.off('device', onDevice).off('alert', onAlert).off('telemetry', onTelemetry).off('score', onScore).off('inspection', onInspection);
    };
    this.#timers = [
      setInterval(() => this.#flushDevices(), options.deviceBatchMs ?? 1_000),
      setInterval(() => this.#write(() => true, ': keep-alive\n\n'), options.keepAliveMs ?? 15_000),
    ];
    for (const t of this.#timers) t.unref();
  }

  get clients(): number {
    return this.#clients.size;
  }

  get full(): boolean {
    return this.#clients.size >= this.#maxClients;
  }

  /** Turns `res` into an event stream until the client goes away. */
  attach(res: Response, sub: SseSubscription): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const client: Client = { res, ...sub };
    this.#clients.add(client);
    res.on('close', () => this.#clients.delete(client));
  }

  close(): void {
    this.#unsubscribe();
    for (const t of this.#timers) clearInterval(t);
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  #flushDevices(): void {
    if (this.#pendingDevices.size === 0) return;
    const devices = [...this.#pendingDevices.values()];
    this.#pendingDevices.clear();
    this.#broadcast('devices', devices, () => true);
  }

  #broadcast(event: string, data: unknown, wants: (c: Client) => boolean): void {
    let frame: string | undefined;
    this.#write(wants, () => (frame ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  }

  #write(wants: (c: Client) => boolean, frame: string | (() => string)): void {
    for (const c of this.#clients) {
      if (!wants(c)) continue;
      c.res.write(typeof frame === 'string' ? frame : frame());
    }
  }
}
