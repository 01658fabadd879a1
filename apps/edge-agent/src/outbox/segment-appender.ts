import { open } from 'node:fs/promises';
import { EdgeError } from '../errors.js';

/** What the outbox does to a segment file (a node:fs FileHandle opened for appending). */
export interface SegmentFile {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): Promise<void>;
  stat(): Promise<{ size: number }>;
}

/** Opens segment files for appending: the seam where tests inject a full disk or a failing fsync. */
export interface SegmentFs {
  open(path: string): Promise<SegmentFile>;
}

export const nodeSegmentFs: SegmentFs = { open: (path) => open(path, 'a') };

/**
 * Appends framed records to one segment file and syncs them. `bytes` is the end of the last
 * durable append; a failed append (an error, a short write, a failed fsync) may have left bytes
 * past it, so the file is marked dirty and the next append first cuts it back — records appended
 * after a torn one would be unreadable, because the reader stops at the first bad frame.
 */
export class SegmentAppender {
  readonly path: string;
  readonly #file: SegmentFile;
  readonly #fsync: boolean;
  #bytes: number;
  #dirty = false;

  private constructor(path: string, file: SegmentFile, bytes: number, fsync: boolean) {
    this.path = path;
    this.#file = file;
    this.#bytes = bytes;
    this.#fsync = fsync;
  }

  static async open(fs: SegmentFs, path: string, fsync: boolean): Promise<SegmentAppender> {
    const file = await fs.open(path);
    try {
      return new SegmentAppender(path, file, (await file.stat()).size, fsync);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
  }

  /** bytes of durable records in the file */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends `bufs` as one write and syncs; on failure the tail is left for {@link cutBack}. */
  async append(bufs: Buffer[]): Promise<void> {
    if (this.#dirty) await this.cutBack();
    const total = bufs.reduce((n, b) => n + b.length, 0);
    try {
      const { bytesWritten } = await this.#file.writev(bufs);
      if (bytesWritten !== total)
        throw new EdgeError('OUTBOX_WRITE_FAILED', `short write to ${this.path}: ${bytesWritten} of ${total} bytes`);
      if (this.#fsync) await this.#file.datasync();
    } catch (err) {
      this.#dirty = true;
      throw err;
    }
    this.#bytes += total;
  }

  /** Cuts the file back to its last durable byte (a no-op on a clean file). */
  async cutBack(): Promise<void> {
    if (!this.#dirty) return;
    await this.#file.truncate(this.#bytes);
    if (this.#fsync) await this.#file.datasync();
    this.#dirty = false;
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
