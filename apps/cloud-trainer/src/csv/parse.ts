import { readFileSync } from 'node:fs';
import { TrainerError } from '../errors.js';

export interface CsvTable {
  file: string;
  header: string[];
  /** data rows (header excluded); `lines[i]` is the 1-based file line of `rows[i]` */
  rows: string[][];
  lines: number[];
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF) into records. */
export function splitCsv(text: string, delimiter: string): { cells: string[]; line: number }[] {
  const records: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.length > 1 || cells[0] !== '') records.push({ cells, line: startLine });
      cells = [];
      cell = '';
      line++;
      startLine = line;
    } else cell += ch;
  }
  cells.push(cell);
  if (cells.length > 1 || cells[0] !== '') records.push({ cells, line: startLine });
  return records;
}

/** Reads a CSV file with a header row; throws `TrainerError('EMPTY_INPUT')` when it has no data rows. */
export function readCsv(file: string, delimiter = ','): CsvTable {
  if (delimiter.length !== 1) throw new TrainerError('BAD_ARGUMENT', `--delimiter must be one character, got ${JSON.stringify(delimiter)}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrainerError('NOT_FOUND', `cannot read CSV ${file}: ${(err as Error).message}`);
  }
  const records = splitCsv(text.replace(/^\uFEFF/, ''), delimiter);
  const head = records.shift();
  if (!head) throw new TrainerError('EMPTY_INPUT', `CSV ${file} is empty: no header and no rows`);
  if (records.length === 0) throw new TrainerError('EMPTY_INPUT', `CSV ${file} has a header but no data rows`);
  const header = head.cells.map((h) => h.trim());
  for (const r of records) {
    if (r.cells.length !== header.length) {
      throw new TrainerError('BAD_ARGUMENT', `CSV ${file} line ${r.line} has ${r.cells.length} fields, the header has ${header.length} (delimiter ${JSON.stringify(delimiter)})`);
    }
  }
  return { file, header, rows: records.map((r) => r.cells), lines: records.map((r) => r.line) };
}

/**
 * A time cell in ms since the epoch: a number (seconds when below 1e11, else ms) or a date-time
 * text; one without a zone (`2013-12-02 21:15:00`) is read as UTC, so results never depend on the host's zone.
 */
export function parseTime(cell: string): number | undefined {
  const t = cell.trim();
  if (t === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const v = Number(t);
    return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  }
  let iso = t.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z';
  else if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
