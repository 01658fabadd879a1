import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Live readings the metrics endpoint asks for at scrape time. */
export interface IngestorGauges {
  memoryPoints(): number;
  spoolPoints(): number;
  spoolSegments(): number;
  pendingAcks(): number;
  mqttConnected(): boolean;
  influxHealthy(): boolean;
}

/** The ingestor's counters and latency histogram, rendered as Prometheus text. */
export class IngestorMetrics {
  messagesReceived = 0;
  pointsWritten = 0;
  batchesWritten = 0;
  pointsSpooled = 0;
  /** connections dropped because no SUBACK came in time */
  subscribeTimeouts = 0;
  /** evidence blobs written to the blob store */
  evidenceBlobsStored = 0;
  /** failed attempts to write an evidence blob (each retry counts) */
  evidenceBlobFailures = 0;
  /** evidence messages dropped because their device was over its evidence budget */
  evidenceDropped = 0;
  readonly writeFailures = new Map<string, number>();
  readonly deadLetters = new Map<string, number>();
  readonly #latency = new Array<number>(LATENCY_BUCKETS_S.length).fill(0);
  #latencyCount = 0;
  #latencySum = 0;

  writeFailed(code: string): void {
    this.writeFailures.set(code, (this.writeFailures.get(code) ?? 0) + 1);
  }

  deadLettered(reason: string): void {
    this.deadLetters.set(reason, (this.deadLetters.get(reason) ?? 0) + 1);
  }

  /** Records one successful batch write of `points` that took `ms`. */
  batchWritten(points: number, ms: number): void {
    this.pointsWritten += points;
    this.batchesWritten++;
    const s = ms / 1000;
    this.#latencyCount++;
    this.#latencySum += s;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++)
      if (s <= (LATENCY_BUCKETS_S[i] as number)) this.#latency[i] = (this.#latency[i] ?? 0) + 1;
  }

  get deadLetterTotal(): number {
    let n = 0;
    for (const v of this.deadLetters.values()) n += v;
    return n;
  }

  render(g: IngestorGauges): string {
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, lines: string[]) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    const labelled = (name: string, label: string, m: Map<string, number>) =>
      [...m].map(([k, v]) => `${name}{${label}="${k}"} ${v}`);
    metric('takt_ingest_messages_received_total', 'counter', 'MQTT publishes received.', [
      `takt_ingest_messages_received_total ${this.messagesReceived}`,
    ]);
    metric('takt_ingest_points_written_total', 'counter', 'Points written to InfluxDB.', [
      `takt_ingest_points_written_total ${this.pointsWritten}`,
    ]);
    metric('takt_ingest_batches_written_total', 'counter', 'Batches written to InfluxDB.', [
      `takt_ingest_batches_written_total ${this.batchesWritten}`,
    ]);
    metric('takt_ingest_points_spooled_total', 'counter', 'Points spilled to the disk spool.', [
      `takt_ingest_points_spooled_total ${this.pointsSpooled}`,
    ]);
    metric(
      'takt_ingest_subscribe_timeouts_total',
      'counter',
      'Broker connections dropped because no SUBACK came in time.',
      [`takt_ingest_subscribe_timeouts_total ${this.subscribeTimeouts}`],
    );
    metric('takt_ingest_evidence_blobs_stored_total', 'counter', 'Evidence blobs written to the blob store.', [
      `takt_ingest_evidence_blobs_stored_total ${this.evidenceBlobsStored}`,
    ]);
    metric(
      'takt_ingest_evidence_dropped_total',
      'counter',
      'Evidence messages dropped: their device was over its evidence budget.',
      [`takt_ingest_evidence_dropped_total ${this.evidenceDropped}`],
    );
    metric('takt_ingest_evidence_blob_failures_total', 'counter', 'Failed attempts to write an evidence blob.', [
      `takt_ingest_evidence_blob_failures_total ${this.evidenceBlobFailures}`,
    ]);
    metric(
      'takt_ingest_write_failures_total',
      'counter',
      'Failed InfluxDB writes by StoreError code.',
      labelled('takt_ingest_write_failures_total', 'code', this.writeFailures),
    );
    metric(
      'takt_ingest_dead_letters_total',
      'counter',
      'Messages sent to the dead-letter file, by reason.',
      labelled('takt_ingest_dead_letters_total', 'reason', this.deadLetters),
    );
    // batchWritten counts a write in every bucket it fits, so the buckets are already cumulative
    const buckets = LATENCY_BUCKETS_S.map(
      (le, i) => `takt_ingest_batch_latency_seconds_bucket{le="${le}"} ${this.#latency[i] as number}`,
    );
    metric('takt_ingest_batch_latency_seconds', 'histogram', 'Latency of successful batch writes.', [
      ...buckets,
      `takt_ingest_batch_latency_seconds_bucket{le="+Inf"} ${this.#latencyCount}`,
      `takt_ingest_batch_latency_seconds_sum ${this.#latencySum}`,
      `takt_ingest_batch_latency_seconds_count ${this.#latencyCount}`,
    ]);
    metric('takt_ingest_buffer_points', 'gauge', 'Points waiting in memory for InfluxDB.', [
      `takt_ingest_buffer_points ${g.memoryPoints()}`,
    ]);
    metric('takt_ingest_spool_points', 'gauge', 'Points waiting in the disk spool.', [
      `takt_ingest_spool_points ${g.spoolPoints()}`,
    ]);
    metric('takt_ingest_spool_segments', 'gauge', 'Segment files in the disk spool.', [
      `takt_ingest_spool_segments ${g.spoolSegments()}`,
    ]);
    metric('takt_ingest_pending_acks', 'gauge', 'Messages received and not yet acknowledged.', [
      `takt_ingest_pending_acks ${g.pendingAcks()}`,
    ]);
    metric('takt_ingest_mqtt_connected', 'gauge', '1 while connected to the broker.', [
      `takt_ingest_mqtt_connected ${g.mqttConnected() ? 1 : 0}`,
    ]);
    metric('takt_ingest_influx_healthy', 'gauge', '1 while the last InfluxDB write succeeded.', [
      `takt_ingest_influx_healthy ${g.influxHealthy() ? 1 : 0}`,
    ]);
    return `${out.join('\n')}\n`;
  }
}

/** Serves `/metrics` and `/healthz` (200 when connected and subscribed to the broker, 503 otherwise, JSON body). */
export async function serveMetrics(
  host: string,
  port: number,
  metrics: IngestorMetrics,
  gauges: IngestorGauges,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics.render(gauges));
    } else if (req.url === '/healthz') {
      const body = {
        mqtt: gauges.mqttConnected(),
        influx: gauges.influxHealthy(),
        bufferPoints: gauges.memoryPoints(),
        spoolPoints: gauges.spoolPoints(),
      };
      res.writeHead(body.mqtt ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${host}:${address.port}` };
}
