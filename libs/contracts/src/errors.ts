/** Stable codes for every way a message, topic or id can be refused. */
export type ContractErrorCode =
  | 'INVALID_JSON'
  | 'TOO_LARGE'
  | 'SCHEMA_VERSION'
  | 'MISSING_FIELD'
  | 'WRONG_TYPE'
  | 'INVALID_FIELD'
  | 'UNKNOWN_FIELD'
  | 'INVALID_ID'
  | 'INVALID_TOPIC'
  | 'UNKNOWN_CHANNEL'
  | 'DEVICE_MISMATCH';

/** A message, topic or id that breaks the contract. `path` names the failing field. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  readonly code: ContractErrorCode;
  readonly path: readonly (string | number)[];

  constructor(code: ContractErrorCode, message: string, path: readonly (string | number)[] = []) {
    super(path.length > 0 ? `${message} (at ${path.join('.')})` : message);
    this.code = code;
    this.path = path;
  }
}
