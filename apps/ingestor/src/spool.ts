import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '@takt/contracts';
import { SerialQueue } from '@takt/runtime';

const SEGMENT = /^(\d{12})-(\d+)\.seg$/;

export interface SpoolSegment {
  id: number;
  points: number;
  file: string;
}

/** Thrown when a segment file cannot be read back (torn by hand, disk error). */
export class SpoolError extends CodedError<'SPOOL_CORRUPT'> {
  override readonly name = 'SpoolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('SPOOL_CORRUPT', message, options);
  }
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The on-disk buffer: one segment file per spilled batch (a JSON array of line-protocol points),
 * written to a temp file, fsync'd, renamed into place and the directory fsync'd — so a segment
 * either exists whole or not at all, and survives a crash. Segments drain oldest first.
 */
export class DiskSpool {
  readonly dir: string;
  readonly #segments: SpoolSegment[] = [];
  #nextId = 1;
  #points = 0;
  /** appends, one at a time in call order; a failed one does not stop the next */
  readonly #appends = new SerialQueue();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating) the spool directory and picks up segments left by a previous run. */
  static async open(dir: string): Promise<DiskSpool> {
    const spool = new DiskSpool(dir);
    await mkdir(dir, { recursive: true });
    for (const name of (await readdir(dir)).sort()) {
      const m = SEGMENT.exec(name);
      if (!m) {
        if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
        continue;
      }
      const segment = { id: Number(m[1]), points: Number(m[2]), file: join(dir, name) };
      spool.#segments.push(segment);
      spool.#points += segment.points;
      spool.#nextId = segment.id + 1;
    }
    return spool;
  }

  get segments(): number {
    return this.#segments.length;
  }

  get points(): number {
    return this.#points;
  }

  /** The oldest segment, if any. */
  head(): SpoolSegment | undefined {
    return this.#segments[0];
  }

  /** Segments oldest first. */
  list(): readonly SpoolSegment[] {
    return this.#segments;
  }

  /** Appends one batch durably; resolves once it is on disk. Appends run one at a time, in call order. */
  append(lines: readonly string[]): Promise<SpoolSegment> {
    return this.#appends.run(() => this.#write(lines));
  }

  async read(segment: SpoolSegment): Promise<string[]> {
    const text = await readFile(segment.file, 'utf8');
    try {
      const lines = JSON.parse(text) as unknown;
      if (Array.isArray(lines) && lines.every((l) => typeof l === 'string')) return lines as string[];
    } catch {
      // fall through
    }
    throw new SpoolError(`spool segment ${segment.file} is not a JSON array of points`);
  }

  /** Removes a drained segment. */
  async remove(segment: SpoolSegment): Promise<void> {
    await rm(segment.file, { force: true });
    const i = this.#segments.indexOf(segment);
    if (i >= 0) {
      this.#segments.splice(i, 1);
      this.#points -= segment.points;
    }
  }

  async #write(lines: readonly string[]): Promise<SpoolSegment> {
    const id = this.#nextId++;
    const name = `${String(id).padStart(12, '0')}-${lines.length}.seg`;
    const file = join(this.dir, name);
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(lines));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await fsyncPath(this.dir);
    const segment = { id, points: lines.length, file };
    this.#segments.push(segment);
    this.#points += segment.points;
    return segment;
  }
}
