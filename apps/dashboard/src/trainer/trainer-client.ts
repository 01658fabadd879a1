import { DashboardError } from '../http/errors.js';

export interface TrainerClientOptions {
  /** base URL of `takt-trainer serve`, e.g. http://trainer:8090 */
  url: string;
  /** bearer token with role `reader` */
  readerToken: string;
  /** bearer token with role `operator` */
  operatorToken: string;
  /** ms to wait for an answer; default 10_000 */
  timeoutMs?: number;
}

/** What the trainer answered, passed on to the page with its status when it is a client error. */
export interface TrainerAnswer {
  status: number;
  body: unknown;
}

/**
 * Calls the trainer service with the dashboard's own tokens (reads with `reader`, changes with
 * `operator`); the user's role was checked before. Trainer 4xx answers are passed through;
 * anything else becomes a 502/503 `DashboardError`.
 */
export class TrainerClient {
  constructor(private readonly options: TrainerClientOptions) {}

  get(path: string): Promise<TrainerAnswer> {
    return this.#call('GET', path, this.options.readerToken);
  }

  post(path: string, body: unknown): Promise<TrainerAnswer> {
    return this.#call('POST', path, this.options.operatorToken, body);
  }

  async #call(method: string, path: string, token: string, body?: unknown): Promise<TrainerAnswer> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.url), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new DashboardError('UNAVAILABLE', `trainer service unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new DashboardError('UPSTREAM', `trainer answered ${res.status} with non-JSON`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new DashboardError('UPSTREAM', `trainer refused the dashboard's ${token === this.options.operatorToken ? 'operator' : 'reader'} token (${res.status})`);
    }
    if (res.status >= 500) throw new DashboardError('UPSTREAM', `trainer failed: ${errorMessage(parsed) ?? res.status}`);
    return { status: res.status, body: parsed };
  }
}

function errorMessage(body: unknown): string | undefined {
  const e = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === 'string' ? e.message : undefined;
}
