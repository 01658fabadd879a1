import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The one logger: pino, structured, JSON lines to stderr (stdout stays free for CLI output).
 * Level from `TAKT_LOG_LEVEL` (default `info`); `silent` in tests unless asked otherwise.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = process.env['TAKT_LOG_LEVEL'] ?? (process.env['VITEST'] ? 'silent' : 'info');
  return pino({ name, level, base: { svc: name, pid: process.pid }, ...options }, pino.destination(2));
}
