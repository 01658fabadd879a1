import { readFileSync } from 'node:fs';
import { nameSchema } from '@takt/contracts';
import { CsvSyntaxError, parseCsvRecords, parseCsvTime, type CsvRecord } from '@takt/runtime';
import { SimError } from '../errors.js';

export interface CsvOptions {
  /** header name of the time column */
  timeColumn: string;
  /** field separator; default ',' */
  delimiter?: string;
  /** value columns to keep; default every column but the time column */
  columns?: string[];
}

export interface CsvRow {
  /** 1-based line in the file */
  line: number;
  /** ms epoch */
  time: number;
  values: number[];
}

export interface CsvSeries {
  columns: string[];
  rows: CsvRow[];
  /** lines the replay handles but a person should know about, e.g. the clock jumping back */
  warnings: string[];
}

/** A time cell as ms epoch (zone-less times as UTC): the reading `takt-trainer anomaly` uses too. */
export { parseCsvTime as parseTime } from '@takt/runtime';

function header(
  first: string[],
  o: CsvOptions,
  source: string,
): { names: string[]; timeIndex: number; keep: number[] } {
  const names = first.map((c) => c.trim());
  const timeIndex = names.indexOf(o.timeColumn);
  const fail = (msg: string): never => {
    throw new SimError('CSV_INVALID', `${source} line 1: ${msg}`, 'line 1');
  };
  if (timeIndex < 0) fail(`no time column ${JSON.stringify(o.timeColumn)} in header (${names.join(', ')})`);
  const wanted = o.columns ?? names.filter((_, i) => i !== timeIndex);
  const keep = wanted.map((c) => {
    const i = names.indexOf(c);
    if (i < 0 || i === timeIndex) fail(`no value column ${JSON.stringify(c)} in header`);
    if (!nameSchema.safeParse(c).success)
      fail(`column ${JSON.stringify(c)} is not a valid sensor name ([A-Za-z0-9_.:-]{1,64})`);
    return i;
  });
  if (keep.length === 0) fail('no value columns');
  return { names, timeIndex, keep };
}

/** The records of a CSV text (the shared reader); malformed quoting is `SimError('CSV_INVALID')` naming the line. */
function records(text: string, delimiter: string, source: string): CsvRecord[] {
  try {
    return parseCsvRecords(text, delimiter);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new SimError('CSV_INVALID', `${source} line ${err.line ?? '?'}: ${err.message}`, `line ${err.line ?? '?'}`);
  }
}

/** One data record as a row: its time and the kept values; missing values, bad times, short rows throw naming the line. */
function row(r: CsvRecord, names: string[], timeIndex: number, keep: number[], o: CsvOptions, source: string): CsvRow {
  const fail = (msg: string): never => {
    throw new SimError('CSV_INVALID', `${source} line ${r.line}: ${msg}`, `line ${r.line}`);
  };
  const cells = r.cells.map((c) => c.trim());
  if (cells.length !== names.length) fail(`expected ${names.length} fields, got ${cells.length}`);
  const cell = cells[timeIndex] ?? '';
  const time = parseCsvTime(cell) ?? fail(`bad time ${JSON.stringify(cell)} in column ${o.timeColumn}`);
  const values = keep.map((k) => {
    const cell = cells[k] ?? '';
    if (cell === '' || /^(nan|null|na)$/i.test(cell)) fail(`missing value in column ${names[k]}`);
    const v = Number(cell);
    if (!Number.isFinite(v)) fail(`column ${names[k]}: ${JSON.stringify(cell)} is not a number`);
    return v;
  });
  return { line: r.line, time, values };
}

/** Parses a CSV text; missing values, bad times and short rows throw `SimError('CSV_INVALID')` naming the line. */
export function parseCsv(text: string, o: CsvOptions, source = 'csv'): CsvSeries {
  const [head, ...data] = records(text, o.delimiter ?? ',', source);
  const { names, timeIndex, keep } = header(head?.cells ?? [''], o, source);
  const rows: CsvRow[] = [];
  const warnings: string[] = [];
  for (const r of data) {
    const next = row(r, names, timeIndex, keep, o, source);
    const prev = rows[rows.length - 1];
    if (prev && next.time < prev.time) {
      const back = Math.round((prev.time - next.time) / 1000);
      const time = r.cells[timeIndex]?.trim();
      warnings.push(
        `${source} line ${next.line}: time ${time} goes back ${back} s from line ${prev.line}; replayed right after it, in file order`,
      );
    }
    rows.push(next);
  }
  if (rows.length === 0) throw new SimError('CSV_INVALID', `${source}: no data rows`, 'line 2');
  return { columns: keep.map((k) => names[k] as string), rows, warnings };
}

export function readCsv(file: string, o: CsvOptions): CsvSeries {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimError('CSV_NOT_FOUND', `cannot read CSV file ${file}: ${(err as Error).message}`);
  }
  return parseCsv(text, o, file);
}
