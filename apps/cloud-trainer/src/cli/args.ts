import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TrainerError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parses `args` against `options`; unknown or malformed flags are a `BAD_ARGUMENT` naming the flag. */
export function parse(command: string, args: string[], options: Options): Values {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new TrainerError('BAD_ARGUMENT', `${command}: ${(err as Error).message}`);
  }
}

export function required(command: string, v: Values, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '')
    throw new TrainerError('BAD_ARGUMENT', `${command}: --${name} is required`);
  return value;
}

export function list(v: Values, name: string): string[] {
  const value = v[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [String(value)])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A numeric flag within [min, max], or `fallback` when absent. */
export function num(
  command: string,
  v: Values,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer = false,
): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new TrainerError(
      'BAD_ARGUMENT',
      `${command}: --${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

/** A flag whose value is one of `choices`, or `fallback` when absent. */
export function oneOf<T extends string>(
  command: string,
  v: Values,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = v[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new TrainerError(
      'BAD_ARGUMENT',
      `${command}: --${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
}

/** A comma-separated flag whose items are each one of `choices`, or `fallback` when absent. */
export function oneOfList<T extends string>(
  command: string,
  v: Values,
  name: string,
  choices: readonly T[],
  fallback: T[],
): T[] {
  if (v[name] === undefined) return fallback;
  const items = list(v, name);
  const bad = items.filter((i) => !(choices as readonly string[]).includes(i));
  if (bad.length > 0)
    throw new TrainerError(
      'BAD_ARGUMENT',
      `${command}: --${name} takes ${choices.join(', ')} (comma-separated), got ${JSON.stringify(bad.join(','))}`,
    );
  return items as T[];
}
