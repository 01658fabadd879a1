import { CodedError } from '@takt/contracts';

/** Stable codes for every way a model, manifest or artifact can be refused. */
export type RegistryErrorCode =
  | 'HASH_MISMATCH'
  | 'BAD_SIGNATURE'
  | 'UNSIGNED'
  | 'UNKNOWN_KEY'
  | 'TRUNCATED'
  | 'VERSION_NOT_INCREASING'
  | 'NOT_FOUND'
  | 'INVALID_MANIFEST'
  | 'INVALID_KEY'
  | 'DOWNLOAD_FAILED'
  | 'TOO_LARGE'
  | 'ABORTED';

/** A model, manifest, key or artifact the registry refuses. */
export class RegistryError extends CodedError<RegistryErrorCode> {
  override readonly name = 'RegistryError';

  constructor(code: RegistryErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
