import { TelemetryStore } from '@takt/telemetry-store';
import type { Logger } from '@takt/runtime';
import type { Plant } from './plant.js';

/** Connects to InfluxDB for history (reads only: the ingestor owns the schema). */
export async function connectHistory(opts: { url: string; database: string }): Promise<TelemetryStore> {
  return TelemetryStore.connect({ url: opts.url, database: opts.database, ensureSchema: false });
}

/**
 * Loads the last `sinceMs` of anomaly events from the store into the alert book, so a restarted
 * dashboard still lists open alerts. A store fault is logged, never fatal.
 */
export async function seedAlerts(
  plant: Plant,
  store: TelemetryStore,
  logger: Logger,
  sinceMs = 86_400_000,
  now = Date.now(),
): Promise<number> {
  try {
    const rows = await store.queryAnomalyEvents({ from: now - sinceMs, to: now + 1 });
    rows.sort((a, b) => a.ts - b.ts);
    for (const r of rows) {
      const ev = {
        schemaVersion: 1 as const,
        deviceId: r.deviceId,
        ts: r.ts,
        seq: r.seq,
        eventId: r.eventId,
        state: r.state,
        model: r.model,
        score: r.score,
        threshold: r.threshold,
        openedAt: r.openedAt,
      };
      plant.alerts.apply(r.site, r.line, {
        ...ev,
        ...(r.closedAt ? { closedAt: r.closedAt } : {}),
        ...(r.peakScore !== undefined ? { peakScore: r.peakScore } : {}),
        ...(r.faultClass ? { faultClass: r.faultClass } : {}),
      });
      plant.thresholds.set(r.deviceId, r.threshold);
    }
    return rows.length;
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'cannot load alert history from InfluxDB');
    return 0;
  }
}
