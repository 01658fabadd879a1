import { Agent, request, type IncomingMessage } from 'node:http';
import { StoreError } from './errors.js';

export interface InfluxHttpOptions {
  /** base URL of influxd, e.g. `http://127.0.0.1:8086` */
  url: string;
  username?: string;
  password?: string;
  /** ms a request may take before it fails as UNAVAILABLE; default 10_000 */
  timeoutMs?: number;
  /** most sockets kept open to influxd; default 8 */
  maxSockets?: number;
}

/** One influxd result: a list of series, or an error. */
export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}
interface InfluxResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

/**
 * A small InfluxDB 1.x HTTP client: keep-alive `/write` of line-protocol bodies and `/query` with
 * `epoch=ms`, every failure mapped to a `StoreError`.
 */
export class InfluxHttp {
  readonly url: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #auth: string | undefined;

  constructor(options: InfluxHttpOptions) {
    try {
      this.url = new URL(options.url);
    } catch {
      throw new StoreError('INVALID_ARGUMENT', `influx url ${JSON.stringify(options.url)} is not a URL`);
    }
    if (this.url.protocol !== 'http:')
      throw new StoreError('INVALID_ARGUMENT', `influx url must be http:, got ${this.url.protocol}`);
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#auth =
      options.username === undefined
        ? undefined
        : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }

  /** POSTs a line-protocol body (points separated by `\n`), precision ms. */
  async write(body: string | Buffer, params: { db: string; rp?: string }): Promise<void> {
    const qs = new URLSearchParams({ db: params.db, precision: 'ms' });
    if (params.rp) qs.set('rp', params.rp);
    const { status, text } = await this.#send('/write', qs, body);
    if (status === 204) return;
    throw this.#error(status, text, 'write');
  }

  /** Runs InfluxQL (one or more `;`-separated statements); returns each statement's series. */
  async query(q: string, params: { db?: string } = {}): Promise<InfluxSeries[][]> {
    const qs = new URLSearchParams({ q, epoch: 'ms' });
    if (params.db) qs.set('db', params.db);
    const { status, text } = await this.#send('/query', qs, undefined);
    if (status !== 200) throw this.#error(status, text, 'query');
    let parsed: { results?: InfluxResult[]; error?: string };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new StoreError('QUERY_FAILED', `influxd answered a query with non-JSON: ${text.slice(0, 200)}`);
    }
    if (parsed.error) throw new StoreError('QUERY_FAILED', parsed.error);
    return (parsed.results ?? []).map((r) => {
      if (r.error) {
        const code = /database not found/.test(r.error) ? 'DATABASE_NOT_FOUND' : 'QUERY_FAILED';
        throw new StoreError(code, `${r.error} (in ${q.slice(0, 200)})`);
      }
      return r.series ?? [];
    });
  }

  /** True when `/ping` answers 204 within the timeout. */
  async ping(): Promise<boolean> {
    try {
      return (await this.#send('/ping', new URLSearchParams(), undefined, 'GET')).status === 204;
    } catch {
      return false;
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #error(status: number, text: string, what: string): StoreError {
    const message = (() => {
      try {
        return (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        return text;
      }
    })();
    const detail = `influxd ${what} answered ${status}: ${message.slice(0, 500)}`;
    if (status === 401 || status === 403) return new StoreError('UNAUTHORIZED', detail, { status });
    if (status === 404 && /database not found/.test(message))
      return new StoreError('DATABASE_NOT_FOUND', detail, { status });
    if (status >= 500 || status === 408 || status === 429) return new StoreError('UNAVAILABLE', detail, { status });
    return new StoreError('BAD_REQUEST', detail, { status });
  }

  #send(
    path: string,
    qs: URLSearchParams,
    body: string | Buffer | undefined,
    method = 'POST',
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (this.#auth) headers['authorization'] = this.#auth;
      if (body !== undefined) headers['content-type'] = 'text/plain; charset=utf-8';
      const req = request(
        {
          protocol: 'http:',
          hostname: this.url.hostname,
          port: this.url.port,
          path: `${path}?${qs.toString()}`,
          method,
          headers,
          agent: this.#agent,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => reject(unavailable(this.url, err)));
        },
      );
      req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`no answer within ${this.#timeoutMs} ms`)));
      req.on('error', (err) => reject(unavailable(this.url, err)));
      req.end(body);
    });
  }
}

function unavailable(url: URL, err: Error): StoreError {
  return new StoreError('UNAVAILABLE', `influxd at ${url.origin} is unavailable: ${err.message}`, { cause: err });
}
