import { CodedError } from '@takt/contracts';

/** Stable codes for every way the simulator refuses input or stops. */
export type SimErrorCode =
  | 'PLANT_NOT_FOUND'
  | 'PLANT_PARSE'
  | 'PLANT_INVALID'
  | 'BAD_ARGUMENT'
  | 'CSV_NOT_FOUND'
  | 'CSV_INVALID'
  | 'BROKER_AUTH'
  | 'BROKER_UNREACHABLE'
  | 'BROKER_ERROR';

/** Input the simulator cannot use, or a broker it cannot talk to. `field` names the bad field or line. */
export class SimError extends CodedError<SimErrorCode> {
  override readonly name = 'SimError';
  constructor(
    code: SimErrorCode,
    message: string,
    /** dotted path of the bad field (plant file), or `line N` (CSV) */
    readonly field?: string,
  ) {
    super(code, message);
  }
}

/** Exit status the CLI uses for each code: 2 bad input, 3 broker problems. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof SimError)) return 1;
  return err.code.startsWith('BROKER_') ? 3 : 2;
}
