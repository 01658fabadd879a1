import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './config.js';

const schema = z.strictObject({
  port: z.number().int().min(1).max(65535).default(1883),
  allowAnonymous: z.boolean().default(false),
  maxPacketSize: z.number().int().positive().default(1024),
  persistence: z.strictObject({ redisUrl: z.string().url().optional() }).default({}),
});

function file(content: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.json');
  writeFileSync(f, content);
  return f;
}

describe('loadConfig', () => {
  it('applies defaults, then the file, then TAKT_* variables', () => {
    const cfg = loadConfig(schema, {
      file: file('{"port": 1884, "allowAnonymous": true}'),
      envPrefix: 'TAKT_BROKER_',
      env: {
        TAKT_BROKER_MAX_PACKET_SIZE: '2048',
        TAKT_BROKER_PERSISTENCE__REDIS_URL: 'redis://127.0.0.1:6379',
        OTHER: 'x',
      },
    });
    expect(cfg).toEqual({
      port: 1884,
      allowAnonymous: true,
      maxPacketSize: 2048,
      persistence: { redisUrl: 'redis://127.0.0.1:6379' },
    });
  });
  it('BAD CONFIG - an invalid env value names the key and the variable', () => {
    expect(() => loadConfig(schema, { envPrefix: 'TAKT_BROKER_', env: { TAKT_BROKER_PORT: 'abc' } })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        key: 'port',
        message: expect.stringContaining('TAKT_BROKER_PORT'),
      }),
    );
  });
  it('BAD CONFIG - an unknown key in the file is named', () => {
    expect(() => loadConfig(schema, { file: file('{"prot": 1}'), envPrefix: 'X_', env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', key: 'prot' }),
    );
  });
  it('BAD CONFIG - a value out of range in the file is named', () => {
    expect(() => loadConfig(schema, { file: file('{"port": 70000}'), envPrefix: 'X_', env: {} })).toThrow(
      /config key "port" \(from file .*\) is invalid/,
    );
  });
  it('BAD CONFIG - missing file and invalid JSON', () => {
    expect(() => loadConfig(schema, { file: '/nonexistent/c.json', envPrefix: 'X_', env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_NOT_FOUND' }),
    );
    expect(() => loadConfig(schema, { file: file('{port:'), envPrefix: 'X_', env: {} })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { file: file('[1]'), envPrefix: 'X_', env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_PARSE' }),
    );
  });
});
