import { CodedError } from '@takt/contracts';

/** Stable codes for every way the evidence store refuses or fails. */
export type EvidenceStoreErrorCode =
  /** a blob address that is not 64 lower-case hex digits (addresses come from URLs: never trusted) */
  | 'BAD_HASH'
  /** a stored blob whose bytes no longer hash to its address */
  | 'CORRUPT_BLOB'
  /** bytes that should be a PNG image and are not, or whose size disagrees with the message */
  | 'BAD_IMAGE';

export class EvidenceStoreError extends CodedError<EvidenceStoreErrorCode> {
  override readonly name = 'EvidenceStoreError';

  constructor(code: EvidenceStoreErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export function isEvidenceStoreError(err: unknown, code?: EvidenceStoreErrorCode): err is EvidenceStoreError {
  return err instanceof EvidenceStoreError && (code === undefined || err.code === code);
}
