import type { DecodedPublish } from '@takt/contracts';
import { StoreError } from './errors.js';
import { InfluxHttp } from './influx-http.js';
import {
  isStoredChannel,
  MEASUREMENT_OF,
  MODEL_EVENTS_MEASUREMENT,
  modelEventLine,
  toPoints,
  type ModelEvent,
} from './line-protocol.js';
import {
  deviceClause,
  rawFrom,
  SERIES_BOOKKEEPING,
  seriesQuery,
  tagClause,
  timeRange,
  type SeriesQuery,
} from './queries.js';
import {
  anomalyRow,
  featureRow,
  inspectionRow,
  labelRow,
  modelEventRow,
  rowsOf,
  stateRow,
  type AnomalyEventRow,
  type DeviceStateRow,
  type FeatureRow,
  type InspectionRow,
  type LabelRow,
  type ModelEventRow,
  type SeriesPoint,
} from './rows.js';
import {
  DEFAULT_RETENTION,
  durationMs,
  ensureSchema,
  EVIDENCE_RP,
  RAW_RP,
  rollupSelect,
  ROLLUPS,
  type RetentionOptions,
  type RolledUpMeasurement,
} from './schema.js';
import { EVIDENCE_MEASUREMENT, evidenceLine, type EvidenceInput } from './evidence-lines.js';
import {
  evidenceFrom,
  findEvidence,
  queryEvidence,
  queryTruth,
  queryUploadLabels,
  type EvidenceQuery,
  type TruthQuery,
} from './evidence-query.js';
import type { EvidenceRecord, FaultTruthInterval } from './evidence-rows.js';
import { splitTrainingWindows, type TrainingWindows, type TrainingWindowsQuery } from './training.js';

const EVIDENCE_POINT = `${EVIDENCE_MEASUREMENT},`;

export interface TelemetryStoreOptions {
  /** influxd base URL, e.g. `http://127.0.0.1:8086` */
  url: string;
  /** database; default `takt` */
  database?: string;
  username?: string;
  password?: string;
  retention?: RetentionOptions;
  /** ms one request may take before it fails as UNAVAILABLE; default 10_000 */
  timeoutMs?: number;
  /** most points in one `/write` request made by `write()`; default 5_000 */
  batchSize?: number;
  /** `querySeries` with `every` ≥ 1m reads the rollup when the range is at least this long, in ms; default 86_400_000 (24 h) */
  rollupAfterMs?: number;
  /** create the database, retention policies and continuous queries on connect; default true */
  ensureSchema?: boolean;
}

export interface FeatureQuery {
  device?: string;
  devices?: string[];
  /** ms since epoch, inclusive */
  from: number;
  /** ms since epoch, exclusive */
  to: number;
  /** only windows scored by this model name */
  model?: string;
}

export interface RangeQuery {
  from: number;
  to: number;
  device?: string;
}

/**
 * Takt's InfluxDB 1.x store: schema, batched idempotent line-protocol writes (a point's time is
 * the message `ts`), and the queries the trainer and dashboard need.
 */
export class TelemetryStore {
  readonly database: string;
  readonly #http: InfluxHttp;
  readonly #batchSize: number;
  readonly #rollupAfterMs: number;
  readonly #rawRetentionMs: number;
  readonly #retention: RetentionOptions | undefined;

  private constructor(http: InfluxHttp, opts: TelemetryStoreOptions) {
    this.#http = http;
    this.database = opts.database ?? 'takt';
    this.#batchSize = opts.batchSize ?? 5_000;
    this.#rollupAfterMs = opts.rollupAfterMs ?? 86_400_000;
    this.#rawRetentionMs = durationMs(opts.retention?.raw ?? DEFAULT_RETENTION.raw, 'retention.raw');
    this.#retention = opts.retention;
  }

  /** Connects and (by default) creates the database, RPs and CQs. Throws `StoreError('UNAVAILABLE')` when influxd is down. */
  static async connect(opts: TelemetryStoreOptions): Promise<TelemetryStore> {
    if (opts.batchSize !== undefined && (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)) {
      throw new StoreError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    const http = new InfluxHttp({
      url: opts.url,
      username: opts.username,
      password: opts.password,
      timeoutMs: opts.timeoutMs,
    });
    const store = new TelemetryStore(http, opts);
    try {
      if (opts.ensureSchema !== false) await store.ensureSchema();
    } catch (err) {
      http.close();
      throw err;
    }
    return store;
  }

  /** Creates or updates the database, retention policies and continuous queries (what `connect` does by default). */
  async ensureSchema(): Promise<void> {
    await ensureSchema(this.#http, this.database, this.#retention);
  }

  /** Writes decoded publishes of stored channels, in `/write` requests of at most `batchSize` points. */
  async write(messages: readonly DecodedPublish[]): Promise<void> {
    const lines = messages.flatMap(toPoints);
    for (let i = 0; i < lines.length; i += this.#batchSize) await this.writeLines(lines.slice(i, i + this.#batchSize));
  }

  /**
   * Writes ready line-protocol points (precision ms) in one request: into the raw RP, and `evidence`
   * points into the `evidence` RP (a second request when a batch holds both).
   */
  async writeLines(lines: readonly string[] | string | Buffer): Promise<void> {
    const all = typeof lines === 'string' || Buffer.isBuffer(lines) ? lines.toString().split('\n') : lines;
    const evidence: string[] = [];
    const raw: string[] = [];
    for (const l of all) if (l.length > 0) (l.startsWith(EVIDENCE_POINT) ? evidence : raw).push(l);
    if (raw.length > 0) await this.#http.write(raw.join('\n'), { db: this.database, rp: RAW_RP });
    if (evidence.length > 0) await this.#http.write(evidence.join('\n'), { db: this.database, rp: EVIDENCE_RP });
  }

  /** Writes evidence points (their blobs already stored). */
  async writeEvidence(inputs: readonly EvidenceInput[]): Promise<void> {
    const lines = inputs.map(evidenceLine);
    for (let i = 0; i < lines.length; i += this.#batchSize) await this.writeLines(lines.slice(i, i + this.#batchSize));
  }

  /** Evidence newest first with resolved labels (see `queryEvidence` in evidence-query.ts). */
  async queryEvidence(q: EvidenceQuery): Promise<EvidenceRecord[]> {
    return queryEvidence(
      (text) => this.#one(text),
      this.database,
      () => this.#allLabels(),
      q,
    );
  }

  /** The newest record of one piece of evidence, or undefined (unknown, or past the `evidence` retention). */
  async findEvidence(evidenceId: string): Promise<EvidenceRecord | undefined> {
    return findEvidence(
      (text) => this.#one(text),
      this.database,
      () => this.#allLabels(),
      evidenceId,
    );
  }

  /** Labels uploaded images carry, distinct and sorted. */
  async queryUploadLabels(): Promise<string[]> {
    return queryUploadLabels((text) => this.#one(text), this.database);
  }

  /** The simulator's faults (channel `truth`) overlapping `[from, to)`, start and end paired. */
  async queryTruth(q: TruthQuery): Promise<FaultTruthInterval[]> {
    return queryTruth((text) => this.#one(text), this.database, q);
  }

  async writeModelEvent(e: ModelEvent): Promise<void> {
    await this.writeLines([modelEventLine(e)]);
  }

  async queryFeatures(q: FeatureQuery): Promise<FeatureRow[]> {
    const where = `${timeRange(q.from, q.to)}${deviceClause(q.device, q.devices)}${tagClause('model', q.model)}`;
    return rowsOf(await this.#one(`SELECT * FROM ${rawFrom(this.database, 'features')} WHERE ${where}`)).map(
      featureRow,
    );
  }

  /** Feature windows split into healthy and labelled ones (see `splitTrainingWindows`). */
  async queryTrainingWindows(q: TrainingWindowsQuery): Promise<TrainingWindows> {
    // labels are written after the windows they judge, and events may open before `from`: read both unbounded
    const all = { from: 0, to: Math.max(q.to, Date.now()) + 86_400_000 };
    const [windows, labels, events] = await Promise.all([
      this.queryFeatures(q),
      this.queryLabels(all),
      this.queryAnomalyEvents(all),
    ]);
    return splitTrainingWindows(windows, labels, events, q.healthyLabels);
  }

  /** A device's series, raw or in `every` buckets (means; empty buckets null), oldest first. */
  async querySeries(q: SeriesQuery): Promise<SeriesPoint[]> {
    if (q.source === 'rollup' && q.every === undefined)
      throw new StoreError('INVALID_ARGUMENT', 'source rollup needs every (e.g. 1m)');
    const plan = seriesQuery(this.database, q, this.#useRollup(q));
    const explicit = new Set(q.fields ?? []);
    return rowsOf(await this.#one(plan.q)).map((r) => {
      const values: Record<string, number | null> = {};
      for (const k in r) {
        if (k === 'time') continue;
        const name = k.startsWith(plan.prefix) ? k.slice(plan.prefix.length) : k;
        if (SERIES_BOOKKEEPING.has(name) && !explicit.has(name)) continue;
        const v = r[k];
        values[name] = typeof v === 'number' ? v : null;
      }
      return { ts: Number(r['time']), values };
    });
  }

  async queryAnomalyEvents(q: RangeQuery): Promise<AnomalyEventRow[]> {
    return rowsOf(
      await this.#one(
        `SELECT * FROM ${rawFrom(this.database, 'anomaly_events')} WHERE ${timeRange(q.from, q.to)}${deviceClause(q.device)}`,
      ),
    ).map(anomalyRow);
  }

  async queryLabels(q: RangeQuery): Promise<LabelRow[]> {
    return rowsOf(
      await this.#one(
        `SELECT * FROM ${rawFrom(this.database, 'labels')} WHERE ${timeRange(q.from, q.to)}${deviceClause(q.device)}`,
      ),
    ).map(labelRow);
  }

  /** Newest first; `limit` default 100. */
  async queryInspections(q: RangeQuery & { limit?: number }): Promise<InspectionRow[]> {
    const limit = q.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1)
      throw new StoreError('INVALID_ARGUMENT', `limit must be a positive integer, got ${limit}`);
    const where = `${timeRange(q.from, q.to)}${deviceClause(q.device)}`;
    return rowsOf(
      await this.#one(
        `SELECT * FROM ${rawFrom(this.database, 'inspections')} WHERE ${where} ORDER BY time DESC LIMIT ${limit}`,
      ),
    ).map(inspectionRow);
  }

  /** The newest `state` of every device still in raw retention. */
  async queryLatestStates(): Promise<DeviceStateRow[]> {
    return rowsOf(
      await this.#one(
        `SELECT * FROM ${rawFrom(this.database, 'device_state')} GROUP BY "device" ORDER BY time DESC LIMIT 1`,
      ),
    ).map(stateRow);
  }

  async queryModelEvents(q: { from: number; to: number; model?: string; kind?: string }): Promise<ModelEventRow[]> {
    const where = `${timeRange(q.from, q.to)}${tagClause('model', q.model)}${q.kind === undefined ? '' : ` AND "kind" = '${q.kind.replace(/['\\]/g, '\\$&')}'`}`;
    return rowsOf(
      await this.#one(`SELECT * FROM ${rawFrom(this.database, MODEL_EVENTS_MEASUREMENT)} WHERE ${where}`),
    ).map(modelEventRow);
  }

  /** The stored `seq` numbers of one device's channel in a range, ascending (for loss checks). */
  async querySeqs(q: { device: string; channel: string; from: number; to: number }): Promise<number[]> {
    if (!isStoredChannel(q.channel))
      throw new StoreError('INVALID_ARGUMENT', `channel ${JSON.stringify(q.channel)} is not stored`);
    const measurement = MEASUREMENT_OF[q.channel];
    const from =
      measurement === EVIDENCE_MEASUREMENT ? evidenceFrom(this.database) : rawFrom(this.database, measurement);
    const rows = rowsOf(
      await this.#one(`SELECT "seq" FROM ${from} WHERE ${timeRange(q.from, q.to)}${deviceClause(q.device)}`),
    );
    return rows.map((r) => Number(r['seq'])).sort((a, b) => a - b);
  }

  /**
   * Recomputes the 1-minute rollups of `[from, to)` (rounded out to whole minutes) now, for data the
   * continuous queries' `resampleFor` window no longer covers (backfills, long outages).
   */
  async rollup(q: { from: number; to: number; measurements?: RolledUpMeasurement[] }): Promise<void> {
    const from = Math.floor(q.from / 60_000) * 60_000;
    const to = Math.ceil(q.to / 60_000) * 60_000;
    const where = ` WHERE ${timeRange(from, to)}`;
    for (const m of q.measurements ?? (Object.keys(ROLLUPS) as RolledUpMeasurement[]))
      await this.#http.query(rollupSelect(this.database, m, where), { db: this.database });
  }

  /** True when influxd answers `/ping`. */
  ping(): Promise<boolean> {
    return this.#http.ping();
  }

  async close(): Promise<void> {
    this.#http.close();
  }

  /** Every label (labels are written after what they judge, so the whole raw retention is read). */
  #allLabels(): Promise<LabelRow[]> {
    return this.queryLabels({ from: 0, to: Date.now() + 86_400_000 });
  }

  #useRollup(q: SeriesQuery): boolean {
    if (q.every === undefined || q.source === 'raw') return false;
    if (q.source === 'rollup') return true;
    if (durationMs(q.every, 'every') < 60_000) return false;
    return q.to - q.from >= this.#rollupAfterMs || q.from < Date.now() - this.#rawRetentionMs;
  }

  async #one(q: string) {
    const [series] = await this.#http.query(q, { db: this.database });
    return series;
  }
}
