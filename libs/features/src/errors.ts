/** Stable codes for every way a window or an option is refused. */
export type FeatureErrorCode = 'INVALID_OPTION' | 'EMPTY_SENSOR' | 'INVALID_RATE' | 'NON_FINITE';

/** A window or option the feature code cannot work with. `code` is stable; the message names the culprit. */
export class FeatureError extends Error {
  override readonly name = 'FeatureError';
  readonly code: FeatureErrorCode;

  constructor(code: FeatureErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
