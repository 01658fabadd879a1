import { describe, expect, it } from 'vitest';
import { sharedData } from '@takt/testing';
import { SimError } from '../errors.js';
import { parseCsv, parseTime, readCsv } from './csv.js';
import { replayBatches } from './replay.js';

// the real recordings live in shared/data beside the checkout (TAKT_DATA_DIR elsewhere)
const nab = sharedData('nab', 'data', 'realKnownCause', 'machine_temperature_system_failure.csv');
const NAB = nab.path;

function refusal(text: string, opts = { timeColumn: 'timestamp' }): SimError {
  try {
    parseCsv(text, opts, 'data.csv');
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    return err as SimError;
  }
  throw new Error('accepted');
}

describe('CSV replay input', () => {
  it('parses times: NAB style, ISO, epoch seconds and ms', () => {
    expect(parseTime('2013-12-02 21:15:00')).toBe(Date.UTC(2013, 11, 2, 21, 15));
    expect(parseTime('2013-12-02T21:15:00+01:00')).toBe(Date.UTC(2013, 11, 2, 20, 15));
    expect(parseTime('1386018900')).toBe(1386018900000);
    expect(parseTime('1386018900123')).toBe(1386018900123);
    expect(parseTime('yesterday')).toBeUndefined();
  });

  it('reads a semicolon CSV with several columns, in order', () => {
    const s = parseCsv('t;a;b\n1700000000;1.5;2\n1700000001;-3;4e2\n', { timeColumn: 't', delimiter: ';' });
    expect(s.columns).toEqual(['a', 'b']);
    expect(s.rows.map((r) => [r.line, r.time, r.values])).toEqual([
      [2, 1700000000000, [1.5, 2]],
      [3, 1700000001000, [-3, 400]],
    ]);
  });

  it('a quoted field may hold the delimiter, a doubled quote and a line break: the rows keep their columns and lines', () => {
    const text =
      'timestamp,value,note\n"2013-12-02 21:15:00",1.5,"pump 1, line 2"\n2013-12-02 21:20:00,"2","said ""stop"",\nthen went on"\n2013-12-02 21:25:00,3,x\n';
    const s = parseCsv(text, { timeColumn: 'timestamp', columns: ['value'] });
    expect(s.rows.map((r) => [r.line, r.time, r.values])).toEqual([
      [2, Date.UTC(2013, 11, 2, 21, 15), [1.5]],
      [3, Date.UTC(2013, 11, 2, 21, 20), [2]],
      [5, Date.UTC(2013, 11, 2, 21, 25), [3]],
    ]);
    expect(refusal('timestamp,value\n1,2\n2,"3\n').message).toMatch(/^data\.csv line 3: Quote Not Closed/);
  });

  it('BAD INPUT - a missing value, a bad time, time going backwards and a short row name their line', () => {
    expect(refusal('timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,\n')).toMatchObject({
      code: 'CSV_INVALID',
      field: 'line 3',
    });
    expect(refusal('timestamp,value\n2013-12-02 21:15:00,1\n2013-12-02 21:20:00,2\nsoon,3\n').message).toBe(
      'data.csv line 4: bad time "soon" in column timestamp',
    );
    expect(refusal('timestamp,value\n2013-12-02 21:15:00\n').message).toContain('line 2: expected 2 fields, got 1');
    expect(refusal('timestamp,value\n2013-12-02 21:15:00,abc\n').message).toContain(
      'line 2: column value: "abc" is not a number',
    );
    expect(refusal('time,value\n1,2\n').message).toContain('line 1: no time column "timestamp"');
  });

  it.skipIf(nab.absent)(
    `turns the NAB machine-temperature recording into batches with every value, in order, timing scaled${nab.skipNote}`,
    () => {
      const series = readCsv(NAB, { timeColumn: 'timestamp' });
      expect(series.rows).toHaveLength(22695);
      expect(series.warnings).toEqual([
        expect.stringContaining('line 10151: time 2014-01-07 02:00:00 goes back 3300 s from line 10150'),
      ]);
      const batches = replayBatches(series, {
        address: { site: 's', line: 'l', device: 'm' },
        speed: 600,
        nowMs: 1_767_225_600_000,
      });
      expect(batches.map((b) => b.sensors['value']?.values[0])).toEqual(series.rows.map((r) => r.values[0]));
      expect(batches[1]!.ts - batches[0]!.ts).toBe(500); // 5 min / 600
      expect(batches[0]!.sensors['value']!.rate).toBeCloseTo(2, 6); // 1/300 Hz × 600
      expect(batches[10149]!.ts).toBe(batches[10148]!.ts); // the clock jumped back: replayed right after, never before
    },
  );
});
