import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry, Summary } from 'prom-client';
import type { EvidenceReason, RawSampleBatch } from '@takt/contracts';
import type { EvidenceOutcome } from '../evidence/evidence-collector.js';
import type { IntakeStatus } from '../intake/source.js';
import type { Outbox } from '../outbox/outbox.js';

const OUTCOME_LABELS: Record<EvidenceOutcome, string> = { queued: 'queued', rateLimited: 'rate_limited', shed: 'shed' };

export interface EdgeMetricsOptions {
  version: string;
  outbox: Outbox;
}

/**
 * The agent's Prometheus metrics (prom-client): `process_*` and `nodejs_*`, `takt_edge_build_info`,
 * raw batches and samples taken in, the outbox, and per fieldbus device its link, refused values and gaps.
 */
export class EdgeMetrics {
  readonly registry = new Registry();
  readonly #batches = new Counter({
    name: 'takt_edge_raw_batches_total',
    help: 'Raw sample batches taken in (MQTT, OPC UA, Modbus).',
    registers: [this.registry],
  });
  readonly #samples = new Counter({
    name: 'takt_edge_samples_total',
    help: 'Raw samples taken in, over every sensor.',
    registers: [this.registry],
  });
  readonly #connected = new Gauge({
    name: 'takt_edge_intake_connected',
    help: '1 while the fieldbus link of a device is up.',
    labelNames: ['device', 'protocol'],
    registers: [this.registry],
  });
  readonly #bad = new Counter({
    name: 'takt_edge_intake_bad_values_total',
    help: 'Fieldbus values refused: bad or uncertain status, Modbus exception, not a finite number.',
    labelNames: ['device', 'protocol'],
    registers: [this.registry],
  });
  readonly #gaps = new Counter({
    name: 'takt_edge_intake_gaps_total',
    help: "Holes a lost link or failed reads left in a device's samples.",
    labelNames: ['device', 'protocol'],
    registers: [this.registry],
  });
  readonly #latency = new Summary({
    name: 'takt_edge_intake_latency_seconds',
    help: 'Fieldbus value change (OPC UA source timestamp; Modbus: the poll that saw it) to the handover of its batch to the windows.',
    labelNames: ['protocol'],
    percentiles: [0.5, 0.95, 0.99],
    maxAgeSeconds: 600,
    ageBuckets: 5,
    registers: [this.registry],
  });
  readonly #evidence = new Counter({
    name: 'takt_edge_evidence_total',
    help: 'Evidence pieces (frames, raw windows) per device and reason: queued in the outbox, over the device budget (rate_limited), dropped by the outbox (shed).',
    labelNames: ['device', 'reason', 'outcome'],
    registers: [this.registry],
  });
  readonly #seen = new Map<string, IntakeStatus>();
  #server: Server | undefined;

  constructor(o: EdgeMetricsOptions) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'takt_edge_build_info',
      help: 'Build of the running agent (always 1).',
      labelNames: ['version'],
      registers: [this.registry],
    }).set({ version: o.version }, 1);
    new Gauge({
      name: 'takt_edge_outbox_depth',
      help: 'Upstream messages waiting for their PUBACK.',
      registers: [this.registry],
      collect() {
        this.set(o.outbox.stats().depth);
      },
    });
    new Gauge({
      name: 'takt_edge_outbox_bytes',
      help: 'Bytes of the messages waiting for their PUBACK.',
      registers: [this.registry],
      collect() {
        this.set(o.outbox.stats().bytes);
      },
    });
    new Gauge({
      name: 'takt_edge_outbox_evidence_bytes',
      help: 'Bytes of the evidence waiting for its PUBACK (within its own cap).',
      registers: [this.registry],
      collect() {
        this.set(o.outbox.stats().evidenceBytes);
      },
    });
    new Gauge({
      name: 'takt_edge_outbox_shed',
      help: 'Entries the full-outbox policy dropped, ever.',
      registers: [this.registry],
      collect() {
        this.set(o.outbox.stats().shed);
      },
    });
  }

  raw(batch: RawSampleBatch): void {
    this.#batches.inc();
    let n = 0;
    for (const s of Object.values(batch.sensors)) n += s.values.length;
    this.#samples.inc(n);
  }

  evidence(device: string, reason: EvidenceReason, outcome: EvidenceOutcome): void {
    this.#evidence.inc({ device, reason, outcome: OUTCOME_LABELS[outcome] });
  }

  latency(protocol: IntakeStatus['protocol'], ms: number): void {
    this.#latency.observe({ protocol }, ms / 1000);
  }

  intake(device: string, status: IntakeStatus): void {
    const labels = { device, protocol: status.protocol };
    const before = this.#seen.get(device);
    this.#connected.set(labels, status.connected ? 1 : 0);
    this.#bad.inc(labels, status.badValues - (before?.badValues ?? 0));
    this.#gaps.inc(labels, status.gaps - (before?.gaps ?? 0));
    this.#seen.set(device, status);
  }

  /** Serves `GET /metrics` (text exposition format) on host:port; port 0 picks a free one. Resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return void res.writeHead(404).end();
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()));
    const a = server.address();
    return typeof a === 'object' && a ? a.port : port;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
