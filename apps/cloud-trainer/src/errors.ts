import { CodedError } from '@takt/contracts';

/** Stable codes for every way a training run or a trainer request can be refused. */
export type TrainerErrorCode =
  | 'EMPTY_INPUT'
  | 'NON_NUMERIC'
  | 'CONSTANT_COLUMN'
  | 'TOO_FEW_ROWS'
  | 'MISSING_COLUMN'
  | 'BAD_TIME'
  | 'BAD_ARGUMENT'
  | 'UNREADABLE_IMAGE'
  | 'MISSING_IMAGE'
  | 'TOO_FEW_IMAGES'
  | 'BAD_LABELS'
  | 'BAD_MODEL'
  | 'FEATURE_MISMATCH'
  | 'NO_DATA'
  | 'NOT_FOUND'
  | 'CONFLICT';

/** A training input or request the trainer cannot use; `code` is stable, the message names the cause. */
export class TrainerError extends CodedError<TrainerErrorCode> {
  override readonly name = 'TrainerError';

  constructor(code: TrainerErrorCode, message: string) {
    super(code, message);
  }
}
