import { readFileSync } from 'node:fs';
import { nameSchema } from '@takt/contracts';
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

/**
 * A time cell as ms epoch: ISO dates, `YYYY-MM-DD HH:MM:SS[.fff]` (read as UTC), or epoch numbers
 * (seconds below 1e11, else ms). `undefined` when it is none of these.
 */
export function parseTime(cell: string): number | undefined {
  const text = cell.trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

const unquote = (cell: string) => {
  const t = cell.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t;
};

function header(first: string, o: CsvOptions, source: string): { names: string[]; timeIndex: number; keep: number[] } {
  const names = first.split(o.delimiter ?? ',').map(unquote);
  const timeIndex = names.indexOf(o.timeColumn);
  const fail = (msg: string): never => {
    throw new SimError('CSV_INVALID', `${source} line 1: ${msg}`, 'line 1');
  };
  if (timeIndex < 0) fail(`no time column ${JSON.stringify(o.timeColumn)} in header (${names.join(', ')})`);
  const wanted = o.columns ?? names.filter((_, i) => i !== timeIndex);
  const keep = wanted.map((c) => {
    const i = names.indexOf(c);
    if (i < 0 || i === timeIndex) fail(`no value column ${JSON.stringify(c)} in header`);
    if (!nameSchema.safeParse(c).success) fail(`column ${JSON.stringify(c)} is not a valid sensor name ([A-Za-z0-9_.:-]{1,64})`);
    return i;
  });
  if (keep.length === 0) fail('no value columns');
  return { names, timeIndex, keep };
}

/** Parses a CSV text; missing values, bad times and short rows throw `SimError('CSV_INVALID')` naming the line. */
export function parseCsv(text: string, o: CsvOptions, source = 'csv'): CsvSeries {
  const lines = text.split(/\r?\n/);
  const { names, timeIndex, keep } = header(lines[0] ?? '', o, source);
  const rows: CsvRow[] = [];
  const warnings: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === '') continue;
    const line = i + 1;
    const fail = (msg: string): never => {
      throw new SimError('CSV_INVALID', `${source} line ${line}: ${msg}`, `line ${line}`);
    };
    const cells = raw.split(o.delimiter ?? ',').map(unquote);
    if (cells.length !== names.length) fail(`expected ${names.length} fields, got ${cells.length}`);
    const time = parseTime(cells[timeIndex] as string);
    if (time === undefined) fail(`bad time ${JSON.stringify(cells[timeIndex])} in column ${o.timeColumn}`);
    const prev = rows[rows.length - 1];
    if (prev && (time as number) < prev.time) {
      warnings.push(`${source} line ${line}: time ${cells[timeIndex]} goes back ${Math.round((prev.time - (time as number)) / 1000)} s from line ${prev.line}; replayed right after it, in file order`);
    }
    const values = keep.map((k) => {
      const cell = cells[k] as string;
      if (cell === '' || /^(nan|null|na)$/i.test(cell)) fail(`missing value in column ${names[k]}`);
      const v = Number(cell);
      if (!Number.isFinite(v)) fail(`column ${names[k]}: ${JSON.stringify(cell)} is not a number`);
      return v;
    });
    rows.push({ line, time: time as number, values });
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
