import { CodedError } from '@takt/contracts';

/** Stable codes for every way the store can fail. */
export type StoreErrorCode =
  /** influxd is down, refused the connection, timed out, or answered 5xx; retry later */
  | 'UNAVAILABLE'
  /** influxd refused the request as malformed (line protocol, field type conflict, bad query) */
  | 'BAD_REQUEST'
  /** influxd wants credentials the store was not given, or refused them */
  | 'UNAUTHORIZED'
  /** the database does not exist */
  | 'DATABASE_NOT_FOUND'
  /** a query ran but influxd reported an error in its result */
  | 'QUERY_FAILED'
  /** a message that cannot become a point (a sensor or feature named like a reserved field) */
  | 'INVALID_POINT'
  /** the caller passed an argument the store cannot use (bad range, unknown channel, …) */
  | 'INVALID_ARGUMENT';

/** A telemetry-store failure; `code` is stable, `status` is the HTTP status when influxd answered. */
export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
  readonly status: number | undefined;

  constructor(code: StoreErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, options);
    this.status = options.status;
  }

  /** True for failures worth retrying later (influxd down, slow or overloaded). */
  get retryable(): boolean {
    return this.code === 'UNAVAILABLE';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
