import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { hasPngSignature } from '@takt/evidence-store';
import { TrainerError } from '../errors.js';
import { readLabels } from '../vision/dataset.js';
import { num, parse, required } from './args.js';

const MiB = 1_048_576;

interface Row {
  /** path relative to the images folder, `/`-separated (what the server stores as the file name) */
  file: string;
  path: string;
  label: string;
  bytes: number;
}

/** Every row of labels.csv as a file under `dir`; refuses (before anything is sent) rows outside `dir`, missing files and non-PNG files, listing them. */
export function checkUploadRows(dir: string, labelsFile: string): Row[] {
  const root = resolve(dir);
  const rows: Row[] = [];
  const missing: string[] = [];
  const notPng: string[] = [];
  for (const e of readLabels(labelsFile)) {
    const path = resolve(root, e.file);
    const rel = relative(root, path);
    if (e.file === '' || rel.startsWith('..') || rel === '')
      throw new TrainerError(
        'BAD_LABELS',
        `labels file ${labelsFile} line ${e.line}: file ${JSON.stringify(e.file)} is outside ${dir}`,
      );
    let bytes: number;
    try {
      const s = statSync(path);
      if (!s.isFile()) throw new Error('not a file');
      bytes = s.size;
    } catch {
      missing.push(`${e.file} (line ${e.line})`);
      continue;
    }
    if (!startsLikePng(path)) notPng.push(e.file);
    rows.push({ file: rel.split(sep).join('/'), path, label: e.label, bytes });
  }
  const list = (files: string[]) =>
    `${files.slice(0, 50).join(', ')}${files.length > 50 ? ` and ${files.length - 50} more` : ''}`;
  if (missing.length > 0)
    throw new TrainerError(
      'MISSING_IMAGE',
      `${missing.length} file(s) named in ${labelsFile} are not in ${dir}; nothing was sent: ${list(missing)}`,
    );
  if (notPng.length > 0)
    throw new TrainerError(
      'UNREADABLE_IMAGE',
      `${notPng.length} file(s) are not PNG images (only PNG is uploaded); nothing was sent: ${list(notPng)}`,
    );
  return rows;
}

function startsLikePng(path: string): boolean {
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 8, 0) === 8 && hasPngSignature(head);
  } finally {
    closeSync(fd);
  }
}

/** Cuts rows into batches of at most `maxBytes` of base64 (one larger image goes alone). */
export function uploadBatches<T extends { bytes: number }>(rows: T[], maxBytes: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const r of rows) {
    const b64 = Math.ceil(r.bytes / 3) * 4 + 100;
    if (current.length > 0 && size + b64 > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += b64;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

async function post(url: string, token: string, body: unknown): Promise<{ stored: number; evidenceIds: string[] }> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/api/evidence/upload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 201) return JSON.parse(text) as { stored: number; evidenceIds: string[] };
  let message = text.slice(0, 500);
  try {
    const e = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
    if (e) message = `${e.code}: ${e.message}`;
  } catch {
    // not JSON: the text as it came
  }
  const err = new Error(`the trainer answered ${res.status}: ${message}`);
  throw res.status === 400 || res.status === 401 || res.status === 403
    ? new TrainerError('BAD_ARGUMENT', err.message)
    : err;
}

/**
 * `takt-trainer evidence upload --images DIR --labels labels.csv [--set ID] [--by NAME] [--batch-mib N] --url URL --token TOKEN`:
 * checks every row first (a missing or non-PNG file refuses the whole upload, listing them), then
 * posts the images in batches (default 8 MiB of base64 each) with progress on stderr.
 */
export async function evidenceUpload(args: string[]): Promise<void> {
  const cmd = 'evidence upload';
  const v = parse(cmd, args, {
    images: { type: 'string' },
    labels: { type: 'string' },
    set: { type: 'string' },
    by: { type: 'string' },
    'batch-mib': { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
  });
  const images = required(cmd, v, 'images');
  const url = required(cmd, v, 'url');
  const token = required(cmd, v, 'token');
  if (!/^https?:\/\/\S+$/.test(url))
    throw new TrainerError('BAD_ARGUMENT', `${cmd}: --url must be an http(s) URL, got ${JSON.stringify(url)}`);
  const set = typeof v['set'] === 'string' ? v['set'] : undefined;
  const by = typeof v['by'] === 'string' ? v['by'] : undefined;
  const batchBytes = num(cmd, v, 'batch-mib', 8, 0.001, 30) * MiB;
  const rows = checkUploadRows(images, required(cmd, v, 'labels'));
  const batches = uploadBatches(rows, batchBytes);
  let stored = 0;
  let sent = 0;
  for (const [i, batch] of batches.entries()) {
    const body = {
      ...(set ? { set } : {}),
      ...(by ? { by } : {}),
      images: batch.map((r) => ({ file: r.file, label: r.label, png: readFileSync(r.path).toString('base64') })),
    };
    try {
      stored += (await post(url, token, body)).stored;
    } catch (err) {
      const note = stored > 0 ? ` (${stored} image(s) of earlier batches were stored)` : '';
      if (err instanceof TrainerError)
        throw new TrainerError(err.code, `batch ${i + 1} of ${batches.length}: ${err.message}${note}`);
      throw new Error(`batch ${i + 1} of ${batches.length}: ${(err as Error).message}${note}`, { cause: err });
    }
    sent += batch.length;
    process.stderr.write(`evidence upload: ${sent}/${rows.length} images sent (batch ${i + 1}/${batches.length})\n`);
  }
  console.log(`${stored} images stored as evidence (set ${set ?? 'upload'}) at ${url}`);
}
