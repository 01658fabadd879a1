import { TrainerError } from '../errors.js';
import type { Matrix } from '../anomaly/matrix.js';
import { parseTime, type CsvTable } from './parse.js';

export interface CsvColumnsOptions {
  /** the column holding each row's time */
  timeColumn: string;
  /** columns that are neither time nor features */
  excludeColumns?: string[];
}

/** One CSV file as a numeric time series: every non-time, non-excluded column is a sensor. */
export interface CsvSeries {
  file: string;
  /** time cells as written, echoed into score output */
  timeCells: string[];
  /** ms since the epoch, non-decreasing (a clock that jumps back is held at its last value) */
  ts: Float64Array;
  /** things the reader tolerated, e.g. a clock that jumped back, naming the line */
  warnings: string[];
  /** sensor names: the column headers */
  columns: string[];
  /** rows × columns */
  values: Matrix;
}

function resolveColumns(table: CsvTable, opts: CsvColumnsOptions): { timeIndex: number; columns: number[] } {
  const timeIndex = table.header.indexOf(opts.timeColumn);
  if (timeIndex < 0)
    throw new TrainerError(
      'MISSING_COLUMN',
      `CSV ${table.file} has no time column "${opts.timeColumn}" (columns: ${table.header.join(', ')})`,
    );
  const exclude = new Set(opts.excludeColumns ?? []);
  for (const name of exclude) {
    if (!table.header.includes(name))
      throw new TrainerError(
        'MISSING_COLUMN',
        `CSV ${table.file} has no column "${name}" to exclude (columns: ${table.header.join(', ')})`,
      );
  }
  const columns = table.header
    .map((_, i) => i)
    .filter((i) => i !== timeIndex && !exclude.has(table.header[i] as string));
  if (columns.length === 0)
    throw new TrainerError(
      'EMPTY_INPUT',
      `CSV ${table.file} has no feature columns besides the time column and the excluded ones`,
    );
  return { timeIndex, columns };
}

function parseTimes(table: CsvTable, timeIndex: number, column: string, warnings: string[]): Float64Array {
  const ts = new Float64Array(table.rows.length);
  for (let r = 0; r < table.rows.length; r++) {
    const t = parseTime(table.rows[r]?.[timeIndex] ?? '');
    if (t === undefined)
      throw new TrainerError(
        'BAD_TIME',
        `CSV ${table.file} line ${table.lines[r]}: time column "${column}" holds ${JSON.stringify(table.rows[r]?.[timeIndex])}, not a time`,
      );
    const prev = r > 0 ? (ts[r - 1] as number) : -Infinity;
    if (t < prev)
      warnings.push(
        `CSV ${table.file} line ${table.lines[r]}: time goes back by ${(prev - t) / 1000} s; rows are taken in file order and this row's time is held at the previous one for smoothing`,
      );
    ts[r] = Math.max(t, prev);
  }
  return ts;
}

/** Validates and converts a table: every time parsed, every feature cell a finite number. */
export function csvSeries(table: CsvTable, opts: CsvColumnsOptions): CsvSeries {
  const { timeIndex, columns } = resolveColumns(table, opts);
  const values = new Float64Array(table.rows.length * columns.length);
  for (let r = 0; r < table.rows.length; r++) {
    for (let j = 0; j < columns.length; j++) {
      const cell = (table.rows[r]?.[columns[j] as number] ?? '').trim();
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        const name = table.header[columns[j] as number];
        throw new TrainerError(
          'NON_NUMERIC',
          `CSV ${table.file} line ${table.lines[r]}: column "${name}" holds ${JSON.stringify(cell)}, not a number (exclude it with --exclude-columns ${name})`,
        );
      }
      values[r * columns.length + j] = v;
    }
  }
  const warnings: string[] = [];
  return {
    file: table.file,
    timeCells: table.rows.map((row) => row[timeIndex] as string),
    ts: parseTimes(table, timeIndex, opts.timeColumn, warnings),
    warnings,
    columns: columns.map((i) => table.header[i] as string),
    values: { rows: table.rows.length, cols: columns.length, data: values },
  };
}
