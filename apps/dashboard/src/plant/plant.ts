import { EventEmitter } from 'node:events';
import { isPublishOn, type DecodedPublish, type MessageOf } from '@takt/contracts';
import { AlertBook, type Alert, type AlertBookOptions } from './alert-book.js';
import { DeviceRegistry, type DeviceView } from './device-registry.js';
import { FaultLog, type FaultPoint } from './fault-log.js';
import { InspectionLog, type InspectionView } from './inspection-log.js';
import { LiveSeries, summariseRaw, type ScorePoint, type TelemetryPoint } from './live-series.js';

/** What changed in the plant, as the live feed tells it; the SSE hub forwards these to pages. */
export interface PlantEvents {
  device: [view: DeviceView];
  telemetry: [deviceId: string, point: TelemetryPoint];
  score: [deviceId: string, point: ScorePoint];
  alert: [alert: Alert];
  inspection: [view: InspectionView];
  /** the fault CNN's verdict on a device's newest window (`features.fault`) */
  fault: [deviceId: string, point: FaultPoint];
}

export interface PlantOptions {
  /** ms of silence after which a device is offline; required */
  offlineAfterMs: number;
  /** ms of live samples kept per device; required */
  liveWindowMs: number;
  /** bounds of the alert book (per device and in all); required */
  alerts: AlertBookOptions;
}

/** The dashboard's picture of the plant: devices, alerts, recent series and inspections. */
export class Plant extends EventEmitter<PlantEvents> {
  readonly alerts: AlertBook;
  readonly devices: DeviceRegistry;
  readonly series: LiveSeries;
  readonly inspections = new InspectionLog();
  /** the fault CNN's recent verdicts per device */
  readonly faults = new FaultLog();
  /** the anomaly threshold each device's events were last judged by */
  readonly thresholds = new Map<string, number>();

  constructor(options: PlantOptions) {
    super();
    this.alerts = new AlertBook(options.alerts);
    this.devices = new DeviceRegistry(options.offlineAfterMs, (id) => this.alerts.openCount(id));
    this.series = new LiveSeries({ windowMs: options.liveWindowMs });
  }

  /** Overview rows, open-anomaly counts computed in one pass. */
  overview(now = Date.now()): DeviceView[] {
    const counts = this.alerts.openCounts();
    return this.devices.list(now).map((d) => ({ ...d, openAnomalies: counts.get(d.deviceId) ?? 0 }));
  }

  /** Applies one decoded MQTT message. */
  apply(p: DecodedPublish): void {
    const { site, line, device } = p.topic;
    if (isPublishOn(p, 'state')) {
      this.devices.applyState(site, line, p.message);
      return this.#deviceChanged(device);
    }
    if (isPublishOn(p, 'heartbeat')) {
      this.devices.applyHeartbeat(site, line, p.message);
      return this.#deviceChanged(device);
    }
    if (isPublishOn(p, 'anomaly')) return this.#anomaly(site, line, p.message);
    if (isPublishOn(p, 'telemetry')) {
      const m = p.message;
      // a batched message: its earlier intervals first, oldest first
      for (const row of m.earlier ?? []) this.#telemetry(site, line, device, { ts: row.ts, values: row.values });
      return this.#telemetry(site, line, device, { ts: m.ts, values: m.values });
    }
    if (isPublishOn(p, 'raw'))
      return this.#telemetry(site, line, device, summariseRaw(p.message.t0, p.message.sensors));
    if (isPublishOn(p, 'features')) return this.#features(site, line, p.message);
    if (isPublishOn(p, 'inspection')) {
      this.devices.touch(site, line, device, p.message.ts);
      this.emit('inspection', this.inspections.add(site, line, p.message));
    }
  }

  #deviceChanged(deviceId: string): void {
    const view = this.devices.view(deviceId);
    if (view) this.emit('device', view);
  }

  #telemetry(site: string, line: string, device: string, point: TelemetryPoint): void {
    const known = this.devices.has(device);
    this.devices.touch(site, line, device, point.ts);
    this.series.addTelemetry(device, point);
    this.emit('telemetry', device, point);
    if (!known) this.#deviceChanged(device);
  }

  #features(site: string, line: string, m: MessageOf<'features'>): void {
    this.devices.touch(site, line, m.deviceId, m.ts);
    if (m.fault) {
      const fault: FaultPoint = {
        ts: m.windowEnd,
        label: m.fault.label,
        confidence: m.fault.confidence,
        model: m.fault.model,
      };
      this.faults.add(m.deviceId, fault);
      this.emit('fault', m.deviceId, fault);
    }
    if (m.score === undefined && m.smoothedScore === undefined) return;
    const point: ScorePoint = { ts: m.windowEnd };
    if (m.score !== undefined) point.score = m.score;
    if (m.smoothedScore !== undefined) point.smoothed = m.smoothedScore;
    this.series.addScore(m.deviceId, point);
    this.emit('score', m.deviceId, point);
  }

  #anomaly(site: string, line: string, m: MessageOf<'anomaly'>): void {
    this.devices.touch(site, line, m.deviceId, m.ts);
    this.thresholds.set(m.deviceId, m.threshold);
    this.emit('alert', this.alerts.apply(site, line, m));
    this.#deviceChanged(m.deviceId);
  }
}
