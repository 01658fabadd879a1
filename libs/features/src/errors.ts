import { CodedError } from '@takt/contracts';

/** Stable codes for every way a window or an option is refused. */
export type FeatureErrorCode = 'INVALID_OPTION' | 'EMPTY_SENSOR' | 'INVALID_RATE' | 'NON_FINITE';

/** A window or option the feature code cannot work with. `code` is stable; the message names the culprit. */
export class FeatureError extends CodedError<FeatureErrorCode> {
  override readonly name = 'FeatureError';

  constructor(code: FeatureErrorCode, message: string) {
    super(code, message);
  }
}
