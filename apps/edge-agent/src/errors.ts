import { CodedError } from '@takt/contracts';

/** Stable codes for every way the edge agent refuses something. */
export type EdgeErrorCode =
  | 'OUTBOX_FULL'
  | 'OUTBOX_CLOSED'
  | 'OUTBOX_CORRUPT'
  | 'NO_PROVIDER'
  | 'MODEL_LOAD_FAILED'
  | 'SMOKE_TEST_FAILED'
  | 'BAD_OUTPUT'
  | 'UNSUPPORTED_MODEL'
  | 'ROLLOUT_REFUSED'
  | 'DOWNGRADE_REFUSED'
  | 'NO_REGISTRY'
  | 'MODEL_STORE_FAILED'
  | 'OUTBOX_WRITE_FAILED'
  | 'INTAKE_OVERLOADED'
  | 'BAD_FRAME'
  | 'ORT_IMPORT_FAILED';

/** An edge-agent failure with a stable `code`; `cause` keeps the underlying error. */
export class EdgeError extends CodedError<EdgeErrorCode> {
  override readonly name = 'EdgeError';

  constructor(code: EdgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
