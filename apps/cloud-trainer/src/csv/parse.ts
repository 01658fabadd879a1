import { readFileSync } from 'node:fs';
import { CsvSyntaxError, parseCsvRecords, type CsvRecord } from '@takt/runtime';
import { TrainerError } from '../errors.js';

export interface CsvTable {
  file: string;
  header: string[];
  /** data rows (header excluded); `lines[i]` is the 1-based file line of `rows[i]` */
  rows: string[][];
  lines: number[];
}

/** A time cell in ms since the epoch (zone-less times as UTC): the reading `takt-sim replay` uses too. */
export { parseCsvTime as parseTime } from '@takt/runtime';

/** Reads a CSV file with a header row; throws `TrainerError('EMPTY_INPUT')` when it has no data rows. */
export function readCsv(file: string, delimiter = ','): CsvTable {
  if (delimiter.length !== 1)
    throw new TrainerError('BAD_ARGUMENT', `--delimiter must be one character, got ${JSON.stringify(delimiter)}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrainerError('NOT_FOUND', `cannot read CSV ${file}: ${(err as Error).message}`);
  }
  let records: CsvRecord[];
  try {
    records = parseCsvRecords(text, delimiter);
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      throw new TrainerError('BAD_ARGUMENT', `CSV ${file} line ${err.line ?? '?'}: ${err.message}`);
    throw err;
  }
  const head = records.shift();
  if (!head) throw new TrainerError('EMPTY_INPUT', `CSV ${file} is empty: no header and no rows`);
  if (records.length === 0) throw new TrainerError('EMPTY_INPUT', `CSV ${file} has a header but no data rows`);
  const header = head.cells.map((h) => h.trim());
  for (const r of records) {
    if (r.cells.length !== header.length) {
      throw new TrainerError(
        'BAD_ARGUMENT',
        `CSV ${file} line ${r.line} has ${r.cells.length} fields, the header has ${header.length} (delimiter ${JSON.stringify(delimiter)})`,
      );
    }
  }
  return { file, header, rows: records.map((r) => r.cells), lines: records.map((r) => r.line) };
}
