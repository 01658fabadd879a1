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

/**
 * The base of every Takt error with a stable, machine-readable `code` (each subclass keeps its own
 * `name` and code union). Branch on `err instanceof CodedError ? err.code : …`, or `errorCode(err, fallback)`.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** The code of an error: a `CodedError`'s, else a string `code` it carries (a Node system error's `ENOENT`…), else `fallback`. */
export function errorCode(err: unknown, fallback: string): string {
  if (err instanceof CodedError) return err.code;
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : fallback;
}

/** A message, topic or id that breaks the contract. `path` names the failing field. */
export class ContractError extends CodedError<ContractErrorCode> {
  override readonly name = 'ContractError';
  readonly path: readonly (string | number)[];

  constructor(code: ContractErrorCode, message: string, path: readonly (string | number)[] = []) {
    super(code, path.length > 0 ? `${message} (at ${path.join('.')})` : message);
    this.path = path;
  }
}
