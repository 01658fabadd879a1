import type { ActiveModel, DeviceState, Heartbeat } from '@takt/contracts';

export type DeviceStatus = 'online' | 'degraded' | 'offline';

/** What the overview shows for one device. */
export interface DeviceView {
  deviceId: string;
  site: string;
  line: string;
  status: DeviceStatus;
  /** ms epoch of the last state or heartbeat */
  lastSeen: number;
  openAnomalies: number;
  models: ActiveModel[];
  provider?: string;
  outboxDepth: number;
  shed: number;
  uptimeS?: number;
  cpuPercent?: number;
  lastError?: DeviceState['lastError'];
  rollout?: DeviceState['rollout'];
  agentVersion?: string;
  /** evidence the agent kept for training since it started, by reason (queued, over budget, shed) */
  evidence?: DeviceState['evidence'];
}

interface Entry {
  site: string;
  line: string;
  state?: DeviceState;
  heartbeat?: Heartbeat;
  lastSeen: number;
}

/**
 * Device status in memory, from retained `state` and periodic `heartbeat` messages. A device that
 * has been silent for `offlineAfterMs` shows as offline whatever its last state said.
 */
export class DeviceRegistry {
  readonly #devices = new Map<string, Entry>();

  constructor(
    private readonly offlineAfterMs: number,
    private readonly openAnomalies: (deviceId: string) => number,
  ) {}

  applyState(site: string, line: string, state: DeviceState): void {
    const e = this.#entry(state.deviceId, site, line);
    if (e.state && e.state.ts > state.ts) return; // an older retained copy after a newer live one
    e.state = state;
    e.lastSeen = Math.max(e.lastSeen, state.ts);
  }

  applyHeartbeat(site: string, line: string, hb: Heartbeat): void {
    const e = this.#entry(hb.deviceId, site, line);
    if (e.heartbeat && e.heartbeat.ts > hb.ts) return;
    e.heartbeat = hb;
    e.lastSeen = Math.max(e.lastSeen, hb.ts);
  }

  /** Any other message proves the device is alive (and tells where it sits). */
  touch(site: string, line: string, deviceId: string, ts: number): void {
    const e = this.#entry(deviceId, site, line);
    e.lastSeen = Math.max(e.lastSeen, ts);
  }

  has(deviceId: string): boolean {
    return this.#devices.has(deviceId);
  }

  view(deviceId: string, now = Date.now()): DeviceView | undefined {
    const e = this.#devices.get(deviceId);
    return e ? this.#view(deviceId, e, now) : undefined;
  }

  /** Every device, ordered by site, line, device. */
  list(now = Date.now()): DeviceView[] {
    return [...this.#devices.entries()]
      .map(([id, e]) => this.#view(id, e, now))
      .sort(
        (a, b) => a.site.localeCompare(b.site) || a.line.localeCompare(b.line) || a.deviceId.localeCompare(b.deviceId),
      );
  }

  get size(): number {
    return this.#devices.size;
  }

  #entry(deviceId: string, site: string, line: string): Entry {
    let e = this.#devices.get(deviceId);
    if (!e) {
      e = { site, line, lastSeen: 0 };
      this.#devices.set(deviceId, e);
    }
    e.site = site;
    e.line = line;
    return e;
  }

  #view(deviceId: string, e: Entry, now: number): DeviceView {
    const s = e.state;
    const stale = now - e.lastSeen > this.offlineAfterMs;
    const status: DeviceStatus = stale || s?.status === 'offline' ? 'offline' : (s?.status ?? 'online');
    const view: DeviceView = {
      deviceId,
      site: e.site,
      line: e.line,
      status,
      lastSeen: e.lastSeen,
      openAnomalies: this.openAnomalies(deviceId),
      models: s?.models ?? [],
      outboxDepth: e.heartbeat && (!s || e.heartbeat.ts >= s.ts) ? e.heartbeat.outboxDepth : (s?.outboxDepth ?? 0),
      shed: s?.shed ?? 0,
    };
    if (s?.provider) view.provider = s.provider;
    if (e.heartbeat) view.uptimeS = e.heartbeat.uptimeS;
    if (e.heartbeat?.cpuPercent !== undefined) view.cpuPercent = e.heartbeat.cpuPercent;
    if (s?.lastError) view.lastError = s.lastError;
    if (s?.rollout) view.rollout = s.rollout;
    if (s?.agentVersion) view.agentVersion = s.agentVersion;
    if (s?.evidence) view.evidence = s.evidence;
    return view;
  }
}
