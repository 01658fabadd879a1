import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ContractError, decode, FAULT_KINDS, type RawSampleBatch } from '@takt/contracts';
import { TrainerError } from '../errors.js';
import { readCsv } from '../csv/parse.js';

/** One fault from `truth.csv` (`machine,fault,start,end`, ms epoch). */
export interface TruthFault {
  machine: string;
  fault: string;
  start: number;
  end: number;
}

/**
 * Streams `raw.jsonl` (one RawSampleBatch JSON per line, as `takt-sim record` writes it), each
 * line checked against the contract. Throws `TrainerError('BAD_ARGUMENT')` naming the bad line.
 */
export async function readRawBatches(file: string, onBatch: (b: RawSampleBatch) => void): Promise<number> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      onBatch(decode('raw', line));
      n++;
    }
  } catch (err) {
    if (err instanceof ContractError) throw new TrainerError('BAD_ARGUMENT', `${file} line ${lineNo}: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new TrainerError('NOT_FOUND', `cannot read ${file}: no such file`);
    throw err;
  }
  if (n === 0) throw new TrainerError('EMPTY_INPUT', `${file} holds no raw sample batches`);
  return n;
}

/** Reads `truth.csv`; every fault kind must be one the contracts know. */
export function readTruth(file: string): TruthFault[] {
  let table;
  try {
    table = readCsv(file);
  } catch (err) {
    if (err instanceof TrainerError && err.code === 'EMPTY_INPUT' && err.message.includes('no data rows')) return [];
    throw err;
  }
  const col = (name: string) => {
    const i = table.header.indexOf(name);
    if (i < 0)
      throw new TrainerError(
        'BAD_LABELS',
        `truth file ${file} must have columns machine,fault,start,end (has ${table.header.join(', ')})`,
      );
    return i;
  };
  const [m, f, s, e] = [col('machine'), col('fault'), col('start'), col('end')];
  return table.rows.map((r, i) => {
    const fault = { machine: r[m] ?? '', fault: r[f] ?? '', start: Number(r[s]), end: Number(r[e]) };
    if (!(FAULT_KINDS as readonly string[]).includes(fault.fault) || !(fault.end > fault.start)) {
      throw new TrainerError(
        'BAD_LABELS',
        `truth file ${file} line ${table.lines[i]}: ${JSON.stringify(r)} is not machine,known-fault,start<end`,
      );
    }
    return fault;
  });
}

/**
 * The fault a window [start, end) belongs to: a fault of that machine covering at least half of
 * it; `ok` when none touches it; `undefined` (ambiguous, left out) when one covers less than half.
 */
export function windowLabel(truth: TruthFault[], machine: string, start: number, end: number): string | undefined {
  let best: { fault: string; overlap: number } | undefined;
  for (const t of truth) {
    if (t.machine !== machine) continue;
    const overlap = Math.min(end, t.end) - Math.max(start, t.start);
    if (overlap > 0 && (!best || overlap > best.overlap)) best = { fault: t.fault, overlap };
  }
  if (!best) return 'ok';
  return best.overlap * 2 >= end - start ? best.fault : undefined;
}
