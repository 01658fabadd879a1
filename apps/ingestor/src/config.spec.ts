import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@takt/testing';
import { DEFAULT_FILTERS, loadIngestorConfig } from './config.js';

describe('ingestor config', () => {
  it('fills defaults and takes TAKT_INGEST_* overrides, nested with __', () => {
    const d = tempDir();
    try {
      const file = join(d.path, 'c.json');
      writeFileSync(file, JSON.stringify({ broker: { url: 'mqtt://b:1883' } }));
      const c = loadIngestorConfig(file, {
        TAKT_INGEST_BATCH__MAX_POINTS: '2000',
        TAKT_INGEST_BROKER__FILTERS: '["takt/v1/site-a/#"]',
      });
      expect(c.batch).toEqual({ maxPoints: 2000, maxAgeMs: 250, concurrency: 4 });
      expect(c.broker).toMatchObject({
        url: 'mqtt://b:1883',
        clientId: 'takt-ingestor-1',
        filters: ['takt/v1/site-a/#'],
      });
      expect(DEFAULT_FILTERS).toContain('takt/v1/+/+/+/telemetry');
      expect(c.influx.database).toBe('takt');
    } finally {
      d.remove();
    }
  });

  it('BAD INPUT - a bad value is a ConfigError naming the key and the variable', () => {
    expect(() =>
      loadIngestorConfig(undefined, { TAKT_INGEST_BROKER__URL: 'mqtt://b', TAKT_INGEST_BATCH__MAX_POINTS: '0' }),
    ).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'CONFIG_INVALID', key: 'batch.maxPoints' }));
    expect(() => loadIngestorConfig(undefined, { TAKT_INGEST_BROKER__URL: 'http://b' })).toThrow(/broker\.url/);
    expect(() => loadIngestorConfig(undefined, {})).toThrow(expect.objectContaining({ key: 'broker' }));
  });
});
