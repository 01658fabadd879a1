import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsvRecords, parseCsvTime } from './csv.js';

describe('parseCsvRecords', () => {
  it('quoted fields with the delimiter, doubled quotes and line breaks; CRLF, LF and CR; BOM; blank lines skipped; start lines', () => {
    const text = '\uFEFFa;b\r\n"x;1";"say ""hi"""\n\n2;"two\nlines"\r3;4\n';
    expect(parseCsvRecords(text, ';')).toEqual([
      { cells: ['a', 'b'], line: 1 },
      { cells: ['x;1', 'say "hi"'], line: 2 },
      { cells: ['2', 'two\nlines'], line: 4 },
      { cells: ['3', '4'], line: 6 },
    ]);
  });

  it('keeps rows of another length for the caller to name, and a quote inside an unquoted field as text', () => {
    expect(parseCsvRecords('a,b\n1\n5",6').map((r) => r.cells)).toEqual([['a', 'b'], ['1'], ['5"', '6']]);
  });

  it('BAD INPUT - a quote never closed is a CsvSyntaxError naming the line it opened on', () => {
    const err = (() => {
      try {
        parseCsvRecords('a,b\n1,2\n3,"open\n');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(CsvSyntaxError);
    expect(err).toMatchObject({ code: 'CSV_QUOTE_NOT_CLOSED', line: 3 });
  });
});

describe('parseCsvTime', () => {
  it('reads zone-less times as UTC whatever the host zone, numbers as s or ms', () => {
    expect(parseCsvTime('2013-12-02 21:15:00')).toBe(Date.UTC(2013, 11, 2, 21, 15));
    expect(parseCsvTime('2013-12-10 06:25:00.000000')).toBe(Date.UTC(2013, 11, 10, 6, 25));
    expect(parseCsvTime('2013-12-10')).toBe(Date.UTC(2013, 11, 10));
    expect(parseCsvTime('2013-12-10T06:25:00+01:00')).toBe(Date.UTC(2013, 11, 10, 5, 25));
    expect(parseCsvTime('1386018900')).toBe(1386018900_000);
    expect(parseCsvTime('1386018900123')).toBe(1386018900123);
    expect(parseCsvTime('yesterday')).toBeUndefined();
    expect(parseCsvTime(' ')).toBeUndefined();
  });
});
