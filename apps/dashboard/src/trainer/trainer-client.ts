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

/** A file the trainer served (an evidence blob): its bytes and media type. */
export interface TrainerBytes {
  status: 200;
  type: string;
  bytes: Buffer;
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

  /**
   * GETs a file with the reader token: a 200 answer's bytes and content type (only the `accept`ed
   * types, at most `maxBytes`); any other answer as `get` would give it (4xx passed through).
   */
  async getBytes(
    path: string,
    opts: { accept: readonly string[]; maxBytes: number },
  ): Promise<TrainerBytes | TrainerAnswer> {
    const res = await this.#fetch('GET', path, this.options.readerToken, undefined, opts.accept.join(', '));
    if (res.status !== 200) return this.#answer(res, this.options.readerToken);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!opts.accept.includes(type)) {
      await res.body?.cancel();
      throw new DashboardError(
        'UPSTREAM',
        `trainer answered ${path} with ${type || 'no content type'}, expected ${opts.accept.join(' or ')}`,
      );
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > opts.maxBytes) {
      await res.body?.cancel();
      throw new DashboardError(
        'UPSTREAM',
        `trainer answered ${path} with ${declared} bytes, more than ${opts.maxBytes}`,
      );
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > opts.maxBytes)
      throw new DashboardError(
        'UPSTREAM',
        `trainer answered ${path} with ${bytes.length} bytes, more than ${opts.maxBytes}`,
      );
    return { status: 200, type, bytes };
  }

  async #call(method: string, path: string, token: string, body?: unknown): Promise<TrainerAnswer> {
    return this.#answer(await this.#fetch(method, path, token, body), token);
  }

  async #fetch(
    method: string,
    path: string,
    token: string,
    body?: unknown,
    accept = 'application/json',
  ): Promise<Response> {
    try {
      return await fetch(new URL(path, this.options.url), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new DashboardError('UNAVAILABLE', `trainer service unreachable: ${(err as Error).message}`);
    }
  }

  async #answer(res: Response, token: string): Promise<TrainerAnswer> {
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new DashboardError('UPSTREAM', `trainer answered ${res.status} with non-JSON`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new DashboardError(
        'UPSTREAM',
        `trainer refused the dashboard's ${token === this.options.operatorToken ? 'operator' : 'reader'} token (${res.status})`,
      );
    }
    if (res.status >= 500)
      throw new DashboardError('UPSTREAM', `trainer failed: ${errorMessage(parsed) ?? res.status}`);
    return { status: res.status, body: parsed };
  }
}

function errorMessage(body: unknown): string | undefined {
  const e = (body as { error?: { message?: unknown } } | undefined)?.error;
  return typeof e?.message === 'string' ? e.message : undefined;
}
