import { CsvError, parse } from 'csv-parse/sync';
import { CodedError } from '@takt/contracts';

/** One record of a CSV text: its cells and the 1-based line it starts on. */
export interface CsvRecord {
  cells: string[];
  line: number;
}

/** CSV text whose quoting cannot be read (a quote never closed, say); `line` is where the reader stopped. */
export class CsvSyntaxError extends CodedError {
  override readonly name = 'CsvSyntaxError';
  constructor(
    code: string,
    message: string,
    readonly line: number | undefined,
  ) {
    super(code, message);
  }
}

const lineBreaks = (cells: string[]) => cells.reduce((n, c) => n + (c.match(/\r\n|\n|\r/g)?.length ?? 0), 0);

/**
 * The one CSV reader (csv-parse, RFC 4180): quoted fields holding the delimiter, doubled quotes and
 * line breaks; CRLF, LF or CR; a leading BOM; blank lines skipped; a quote inside an unquoted field is
 * kept as text. Records may differ in length — the caller knows the header and names the line.
 * Malformed quoting throws `CsvSyntaxError`.
 */
export function parseCsvRecords(text: string, delimiter = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  try {
    parse(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      // context.lines is the line a record ends on; a quoted cell may span lines
      on_record: (cells: string[], context) => {
        records.push({ cells, line: context.lines - lineBreaks(cells) });
        return null;
      },
    });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const line = err['lines'];
    throw new CsvSyntaxError(err.code, err.message, typeof line === 'number' ? line : undefined);
  }
  return records;
}

/**
 * A time cell in ms since the epoch: a number (seconds when below 1e11, else ms) or a date-time
 * text; one without a zone (`2013-12-02 21:15:00`, `2013-12-02`) is read as UTC, so results never
 * depend on the host's zone. `undefined` when it is none of these.
 */
export function parseCsvTime(cell: string): number | undefined {
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
