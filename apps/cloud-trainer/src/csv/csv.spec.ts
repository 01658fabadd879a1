import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTime, readCsv } from './parse.js';
import { buildRowFeatures, rowFeatureNames } from './row-features.js';
import { csvSeries } from './series.js';

const dir = mkdtempSync(join(tmpdir(), 'trainer-csv-'));
function csv(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('CSV reading', () => {
  it('reads quoted fields, doubled quotes, CRLF and a custom delimiter; BAD INPUT - a quote never closed names the line', () => {
    const t = readCsv(csv('quoted.csv', 'a;b\r\n"x;1";"say ""hi"""\r\n'), ';');
    expect(t.header).toEqual(['a', 'b']);
    expect(t.rows).toEqual([['x;1', 'say "hi"']]);
    expect(() => readCsv(csv('open.csv', 'a;b\n1;2\n3;"open\n'), ';')).toThrow(/open\.csv line 3: Quote Not Closed/);
  });

  it('reads times as UTC whatever the host zone, numbers as s or ms', () => {
    expect(parseTime('2013-12-02 21:15:00')).toBe(Date.UTC(2013, 11, 2, 21, 15));
    expect(parseTime('2013-12-10 06:25:00.000000')).toBe(Date.UTC(2013, 11, 10, 6, 25));
    expect(parseTime('1386018900')).toBe(1386018900_000);
    expect(parseTime('1386018900123')).toBe(1386018900123);
    expect(parseTime('yesterday')).toBeUndefined();
  });

  it('builds per-row features: value, trailing mean and std, the same on every call', () => {
    const f = csv('ok.csv', 'timestamp;temp;speed;note\n1000;1;10;a\n2000;3;10;b\n3000;5;12;c\n');
    const s = csvSeries(readCsv(f, ';'), { timeColumn: 'timestamp', excludeColumns: ['note'] });
    expect(s.columns).toEqual(['temp', 'speed']);
    expect(Array.from(s.ts)).toEqual([1_000_000, 2_000_000, 3_000_000]);
    expect(rowFeatureNames(s.columns, 2)).toEqual(['temp', 'temp.mean_2', 'speed', 'speed.mean_2']); // the default: values and trailing means
    const names = rowFeatureNames(s.columns, 2, ['mean', 'std']);
    expect(names).toEqual(['temp', 'temp.mean_2', 'temp.std_2', 'speed', 'speed.mean_2', 'speed.std_2']);
    const m = buildRowFeatures(s, names);
    expect(Array.from(m.data.subarray(6, 12))).toEqual([3, 2, 1, 10, 10, 0]);
    expect(Array.from(m.data.subarray(12, 15))).toEqual([5, 4, 1]);
  });

  it('BAD INPUT - empty CSV, and a header without rows', () => {
    expect(() => readCsv(csv('empty.csv', ''))).toThrow(
      expect.objectContaining({ code: 'EMPTY_INPUT', message: expect.stringContaining('is empty') }),
    );
    expect(() => readCsv(csv('head.csv', 'timestamp,value\n'))).toThrow(
      expect.objectContaining({ code: 'EMPTY_INPUT', message: expect.stringContaining('no data rows') }),
    );
  });

  it('BAD INPUT - a non-numeric cell names the column and the line', () => {
    const f = csv('text.csv', 'timestamp,value,state\n2020-01-01 00:00:00,1.5,ok\n');
    expect(() => csvSeries(readCsv(f), { timeColumn: 'timestamp' })).toThrow(
      expect.objectContaining({
        code: 'NON_NUMERIC',
        message: expect.stringMatching(/line 2: column "state" holds "ok", not a number/),
      }),
    );
  });

  it('a clock that jumps back (as in NAB machine_temperature) keeps file order, holds the time and warns with the line', () => {
    const s = csvSeries(
      readCsv(csv('back.csv', 'ts,value\n2020-01-01 00:00:05,1\n2020-01-01 00:00:01,2\n2020-01-01 00:00:06,3\n')),
      { timeColumn: 'ts' },
    );
    expect(Array.from(s.ts).map((t) => t - Date.UTC(2020, 0, 1))).toEqual([5000, 5000, 6000]);
    expect(s.warnings).toEqual([expect.stringContaining('line 3: time goes back by 4 s')]);
  });

  it('BAD INPUT - missing time column, unparsable time, ragged rows', () => {
    const f = csv('t.csv', 'ts,value\n2020-01-01 00:00:01,1\n2020-01-01 00:00:00,2\n');
    expect(() => csvSeries(readCsv(f), { timeColumn: 'time' })).toThrow(
      expect.objectContaining({ code: 'MISSING_COLUMN', message: expect.stringContaining('"time"') }),
    );
    expect(() => csvSeries(readCsv(csv('t2.csv', 'ts,value\nnoon,1\n')), { timeColumn: 'ts' })).toThrow(
      expect.objectContaining({ code: 'BAD_TIME' }),
    );
    expect(() => readCsv(csv('r.csv', 'ts,value\n1,2,3\n'))).toThrow(
      expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringContaining('line 2 has 3 fields') }),
    );
  });
});
