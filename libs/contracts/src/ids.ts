import { z } from 'zod';
import { ContractError } from './errors.js';

/** Site, line and device ids: lower-case ASCII, digits and dashes, 1–63 chars, no leading dash. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const idSchema = z.string().regex(ID_PATTERN, { message: 'id must match [a-z0-9][a-z0-9-]{0,62}' });

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** Throws `ContractError('INVALID_ID')` naming `what` unless `id` is a valid id. */
export function assertId(id: unknown, what = 'id'): asserts id is string {
  if (!isValidId(id)) {
    throw new ContractError('INVALID_ID', `${what} ${JSON.stringify(id)} must match [a-z0-9][a-z0-9-]{0,62}`, [what]);
  }
}
