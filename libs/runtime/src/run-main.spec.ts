import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { EXIT, exitCodeFor, failureLine, subcommandUsage, UsageError } from './run-main.js';

const USAGE = `usage:
  takt-x --config FILE         run it
  takt-x passwd FILE USER      add a user
                               (password from stdin)
  takt-x anomaly fit --csv F
  takt-x anomaly score --model D`;

describe('runMain pieces', () => {
  it('subcommandUsage: the asked subcommand with its continuation lines, else the whole text', () => {
    expect(subcommandUsage(USAGE, 'takt-x', ['passwd', 'f'])).toBe(
      'usage:\n  takt-x passwd FILE USER      add a user\n                               (password from stdin)',
    );
    expect(subcommandUsage(USAGE, 'takt-x', ['anomaly', 'fit', '--csv', 'a'])).toBe(
      'usage:\n  takt-x anomaly fit --csv F',
    );
    expect(subcommandUsage(USAGE, 'takt-x', ['anomaly'])).toContain('anomaly score');
    expect(subcommandUsage(USAGE, 'takt-x', ['nothing'])).toBe(USAGE);
    expect(subcommandUsage(USAGE, 'takt-x', [])).toBe(USAGE);
  });

  it('exit 2 for usage and configuration errors (and refused command lines), 1 for the rest, the program may decide', () => {
    const parseError = (() => {
      try {
        parseArgs({ args: ['--nope'], options: {} });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(exitCodeFor(new ConfigError('CONFIG_INVALID', 'bad'))).toBe(EXIT.usage);
    expect(exitCodeFor(new UsageError('bad'))).toBe(EXIT.usage);
    expect(exitCodeFor(parseError)).toBe(EXIT.usage);
    expect(exitCodeFor(new Error('boom'))).toBe(EXIT.failure);
    expect(exitCodeFor('a string')).toBe(EXIT.failure);
    expect(exitCodeFor(new Error('broker'), () => 3)).toBe(3);
    expect(exitCodeFor(new UsageError('bad'), () => undefined)).toBe(EXIT.usage);
  });

  it('one failure line: name, code when there is one, message', () => {
    expect(failureLine('takt-x', new ConfigError('CONFIG_INVALID', 'config key "a" is not a known setting'))).toBe(
      'takt-x: error [CONFIG_INVALID]: config key "a" is not a known setting',
    );
    expect(failureLine('takt-x', new Error('boom'))).toBe('takt-x: error: boom');
  });
});
