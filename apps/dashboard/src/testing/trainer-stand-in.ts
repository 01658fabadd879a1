import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EvidenceRecord, LabelVocabulary } from '../trainer/evidence.js';

/** One request the stand-in answered: what the dashboard sent upstream. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  token: string;
  body?: unknown;
}

export interface TrainerStandIn {
  url: string;
  readerToken: string;
  operatorToken: string;
  /** what the dashboard asked, oldest first */
  seen: SeenRequest[];
  /** evidence the stand-in lists (any order; it answers newest first) with each one's blob */
  evidence: { record: EvidenceRecord; blob: Buffer; type?: string }[];
  vocabulary: LabelVocabulary;
  jobs: Record<string, unknown>[];
  models: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * The trainer service's HTTP API as the dashboard uses it (docs: "Trainer service HTTP API"), over
 * data the test sets: bearer tokens (`reader` for GET, `operator` for POST), `GET /api/labels`,
 * `GET /api/evidence` with its filters (newest first), `GET /api/evidence/:id/blob`, models and jobs.
 * Used where a test needs exact evidence and blobs; the real service is exercised by the e2e suite.
 */
export async function startTrainerStandIn(): Promise<TrainerStandIn> {
  const t: Omit<TrainerStandIn, 'url' | 'close'> = {
    readerToken: 'reader-token-for-tests',
    operatorToken: 'operator-token-for-tests',
    seen: [],
    evidence: [],
    vocabulary: {
      vision: ['ok', 'scratch', 'pit', 'crack', 'stain'],
      fault: [
        'bearing-wear',
        'imbalance',
        'overheating',
        'cavitation',
        'sensor-stuck',
        'sensor-drift',
        'dropout',
        'normal',
      ],
    },
    jobs: [],
    models: [],
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    t.seen.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      token,
      ...(text ? { body: JSON.parse(text) as unknown } : {}),
    });
    const needed = req.method === 'GET' ? [t.readerToken, t.operatorToken] : [t.operatorToken];
    if (!needed.includes(token))
      return json(res, token ? 403 : 401, { error: { code: 'FORBIDDEN', message: 'bad token' } });
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/labels') return json(res, 200, t.vocabulary);
    if (req.method === 'GET' && p === '/api/models') return json(res, 200, { models: t.models });
    if (req.method === 'GET' && p === '/api/jobs') return json(res, 200, { jobs: t.jobs });
    if (req.method === 'GET' && p === '/api/rollouts') return json(res, 200, { rollouts: [] });
    if (req.method === 'GET' && p === '/api/approvals') return json(res, 200, { approvals: [] });
    if (req.method === 'POST' && p === '/api/jobs') {
      const id = `job-${t.jobs.length + 1}`;
      const b = JSON.parse(text) as { kind?: string; model?: string };
      const job = {
        id,
        kind: b.kind ?? 'kmeans',
        model: b.model ?? `configured-${b.kind ?? 'kmeans'}`,
        status: 'queued',
        progress: 0,
        message: 'queued',
        startedAt: Date.now(),
      };
      t.jobs.unshift(job);
      return json(res, 202, { id, kind: job.kind, model: job.model });
    }
    if (req.method === 'GET' && p === '/api/evidence') {
      const q = url.searchParams;
      const to = Number(q.get('to') ?? Date.now());
      const from = Number(q.get('from') ?? to - 86_400_000);
      const items = t.evidence
        .map((e) => e.record)
        .filter(
          (r) =>
            (!q.get('kind') || r.kind === q.get('kind')) &&
            (!q.get('device') || r.deviceId === q.get('device')) &&
            r.ts >= from &&
            r.ts <= to,
        )
        .filter((r) => !q.get('labelled') || (q.get('labelled') === 'true') === (r.label !== undefined))
        .sort((a, b) => b.ts - a.ts)
        .slice(0, Number(q.get('limit') ?? 200));
      return json(res, 200, { items });
    }
    const blob = /^\/api\/evidence\/([^/]+)\/blob$/.exec(p);
    if (req.method === 'GET' && blob) {
      const e = t.evidence.find((x) => x.record.evidenceId === decodeURIComponent(blob[1] ?? ''));
      if (!e) return json(res, 404, { error: { code: 'NOT_FOUND', message: `no evidence ${blob[1]}` } });
      return res
        .writeHead(200, {
          'content-type': e.type ?? (e.record.kind === 'frame' ? 'image/png' : 'application/json'),
          'content-length': e.blob.length,
        })
        .end(e.blob);
    }
    return json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${p}` } });
  };
  const server: Server = createServer(
    (req, res) =>
      void handle(req, res).catch((err: unknown) =>
        json(res, 500, { error: { code: 'INTERNAL', message: String(err) } }),
      ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // the same object the handler reads: a test may replace `vocabulary` or push evidence later
  return Object.assign(t, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
