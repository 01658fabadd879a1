import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import type { Session, SessionEnd, SessionStore } from '../auth/session-store.js';
import { DashboardError } from '../http/errors.js';
import type { Plant } from '../plant/plant.js';
import type { DeviceView } from '../plant/device-registry.js';

export interface SseSubscription {
  /** send this device's telemetry, score and fault points */
  device?: string;
  /** send inspection results (with thumbnails) */
  inspections: boolean;
}

interface Stream extends SseSubscription {
  res: Response;
  session: Session;
  /** drops the stream when its socket stays congested for `stallMs` */
  stall?: NodeJS.Timeout;
  /** closes the stream when its session expires */
  expiry?: NodeJS.Timeout;
}

/** Why a stream closed: its session ended, its client could not keep up or went away, or the hub stopped. */
export type StreamEnd = SessionEnd | 'slow' | 'client' | 'shutdown';

export interface SseHubEvents {
  closed: [stream: { sessionId: string; username: string }, why: StreamEnd];
}

export interface SseHubOptions {
  /** live event streams open at once in all; required */
  maxStreams: number;
  /** live event streams one session may hold open; required */
  maxStreamsPerSession: number;
  /** bytes a stream may have waiting for its client before it is dropped; required */
  maxBufferedBytes: number;
  /** ms a stream may stay congested (socket buffer full, no drain) before it is dropped; required */
  stallMs: number;
  /** ms between keep-alive comments; required */
  keepAliveMs: number;
  /** ms device-status changes are gathered before one `devices` event goes out; default 1_000 */
  deviceBatchMs?: number;
}

/**
 * Server-Sent Events for the pages. Device status changes are coalesced (one `devices` event per
 * batch interval, however many heartbeats arrived), alerts go to everyone, telemetry and scores
 * only to the pages watching that device.
 *
 * Bounded: at most `maxStreams` streams, `maxStreamsPerSession` per session; a client that does not
 * read is dropped once `maxBufferedBytes` wait for it or its socket stays full for `stallMs`, never
 * buffered without bound. A stream ends with its session: on logout, expiry, or when its user is removed.
 */
export class SseHub extends EventEmitter<SseHubEvents> {
  readonly #streams = new Set<Stream>();
  readonly #bySession = new Map<string, Set<Stream>>();
  readonly #pendingDevices = new Map<string, DeviceView>();
  readonly #timers: NodeJS.Timeout[];
  readonly #unsubscribe: () => void;

  constructor(
    plant: Plant,
    private readonly sessions: SessionStore,
    private readonly options: SseHubOptions,
  ) {
    super();
    const onDevice = (d: DeviceView) => this.#pendingDevices.set(d.deviceId, d);
    const onAlert = (a: unknown) => this.#broadcast('alert', a, () => true);
    const onTelemetry = (deviceId: string, p: unknown) =>
      this.#broadcast('telemetry', { deviceId, ...(p as object) }, (c) => c.device === deviceId);
    const onScore = (deviceId: string, p: unknown) =>
      this.#broadcast('score', { deviceId, ...(p as object) }, (c) => c.device === deviceId);
    const onFault = (deviceId: string, p: unknown) =>
      this.#broadcast('fault', { deviceId, ...(p as object) }, (c) => c.device === deviceId);
    const onInspection = (i: unknown) => this.#broadcast('inspection', i, (c) => c.inspections);
    const onEnded = (s: Session, why: SessionEnd) => this.#closeSession(s.id, why);
    plant
      .on('device', onDevice)
      .on('alert', onAlert)
      .on('telemetry', onTelemetry)
      .on('score', onScore)
      .on('fault', onFault)
      .on('inspection', onInspection);
    sessions.on('ended', onEnded);
    this.#unsubscribe = () => {
      plant
        .off('device', onDevice)
        .off('alert', onAlert)
        .off('telemetry', onTelemetry)
        .off('score', onScore)
        .off('fault', onFault)
        .off('inspection', onInspection);
      sessions.off('ended', onEnded);
    };
    this.#timers = [
      setInterval(() => this.#flushDevices(), options.deviceBatchMs ?? 1_000),
      setInterval(() => this.#write(() => true, ': keep-alive\n\n'), options.keepAliveMs),
    ];
    for (const t of this.#timers) t.unref();
  }

  get clients(): number {
    return this.#streams.size;
  }

  /** Turns `res` into an event stream for `session` until the client goes away or the session ends; throws 503/429 over the caps. */
  attach(res: Response, sub: SseSubscription, session: Session): void {
    const mine = this.#bySession.get(session.id) ?? new Set<Stream>();
    if (this.#streams.size >= this.options.maxStreams)
      throw new DashboardError('UNAVAILABLE', 'too many live connections', undefined, { 'retry-after': '5' });
    if (mine.size >= this.options.maxStreamsPerSession) {
      throw new DashboardError(
        'RATE_LIMITED',
        `this session already holds ${mine.size} live streams (live.maxStreamsPerSession); close a tab`,
      );
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const stream: Stream = { res, session, ...sub };
    this.#streams.add(stream);
    this.#bySession.set(session.id, mine.add(stream));
    res.on(
      'close',
      () =>
        this.#forget(stream) && this.emit('closed', { sessionId: session.id, username: session.username }, 'client'),
    );
    this.#send(stream, 'retry: 2000\n\n');
    this.#watchExpiry(stream);
  }

  close(): void {
    this.#unsubscribe();
    for (const t of this.#timers) clearInterval(t);
    for (const s of [...this.#streams]) this.#end(s, 'shutdown');
  }

  /** Re-arms a timer for the moment the session would expire; a session used meanwhile lives on. */
  #watchExpiry(stream: Stream): void {
    const delay = Math.max(0, this.sessions.expiresAt(stream.session) - Date.now()) + 1;
    stream.expiry = setTimeout(() => {
      if (this.sessions.peek(stream.session.id) && this.#streams.has(stream)) this.#watchExpiry(stream); // expired: peek ended it, and `ended` closed us
    }, delay);
    stream.expiry.unref();
  }

  #closeSession(sessionId: string, why: SessionEnd): void {
    for (const s of [...(this.#bySession.get(sessionId) ?? [])]) this.#end(s, why);
  }

  /** Ends a stream: gracefully when its session ended, at once (nothing more is flushed) when its client is too slow. */
  #end(stream: Stream, why: StreamEnd): void {
    if (!this.#forget(stream)) return;
    if (why === 'slow') stream.res.destroy();
    else stream.res.end();
    this.emit('closed', { sessionId: stream.session.id, username: stream.session.username }, why);
  }

  #forget(stream: Stream): boolean {
    if (!this.#streams.delete(stream)) return false;
    clearTimeout(stream.stall);
    clearTimeout(stream.expiry);
    const mine = this.#bySession.get(stream.session.id);
    mine?.delete(stream);
    if (mine?.size === 0) this.#bySession.delete(stream.session.id);
    return true;
  }

  #flushDevices(): void {
    if (this.#pendingDevices.size === 0) return;
    const devices = [...this.#pendingDevices.values()];
    this.#pendingDevices.clear();
    this.#broadcast('devices', devices, () => true);
  }

  #broadcast(event: string, data: unknown, wants: (c: Stream) => boolean): void {
    let frame: string | undefined;
    this.#write(wants, () => (frame ??= `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
  }

  #write(wants: (c: Stream) => boolean, frame: string | (() => string)): void {
    for (const s of [...this.#streams]) if (wants(s)) this.#send(s, typeof frame === 'string' ? frame : frame());
  }

  /** Writes one frame, or drops the stream when its client has left too much unread. */
  #send(stream: Stream, frame: string): void {
    if (stream.res.writableLength > this.options.maxBufferedBytes) return this.#end(stream, 'slow');
    if (stream.res.write(frame) || stream.stall) return;
    stream.stall = setTimeout(() => this.#end(stream, 'slow'), this.options.stallMs);
    stream.res.once('drain', () => {
      clearTimeout(stream.stall);
      stream.stall = undefined;
    });
  }
}
