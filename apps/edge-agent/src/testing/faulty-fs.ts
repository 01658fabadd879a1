import { open } from 'node:fs/promises';
import type { SegmentFile, SegmentFs } from '../outbox/segment-appender.js';

const fault = (code: string, what: string) => Object.assign(new Error(`${code}: ${what}`), { code });

/**
 * Segment files on the real disk with faults a test arms: the next `writevFailures` writes put
 * half their bytes on disk and then fail with ENOSPC (a full disk mid-write), the next
 * `shortWrites` report a short write without an error, the next `datasyncFailures` fsyncs fail
 * with EIO, the next `truncateFailures` truncates fail with EIO.
 */
export class FaultyFs implements SegmentFs {
  writevFailures = 0;
  shortWrites = 0;
  datasyncFailures = 0;
  truncateFailures = 0;
  opened: string[] = [];

  async open(path: string): Promise<SegmentFile> {
    const fh = await open(path, 'a');
    this.opened.push(path);
    return {
      writev: async (buffers) => {
        if (this.writevFailures <= 0 && this.shortWrites <= 0) return fh.writev(buffers);
        const all = Buffer.concat(buffers);
        const { bytesWritten } = await fh.write(all.subarray(0, Math.floor(all.length / 2)));
        if (this.writevFailures-- > 0) throw fault('ENOSPC', 'no space left on device, write');
        this.shortWrites--;
        return { bytesWritten };
      },
      datasync: async () => {
        if (this.datasyncFailures-- > 0) throw fault('EIO', 'i/o error, fdatasync');
        await fh.datasync();
      },
      truncate: async (len) => {
        if (this.truncateFailures-- > 0) throw fault('EIO', 'i/o error, ftruncate');
        await fh.truncate(len);
      },
      close: () => fh.close(),
      stat: () => fh.stat(),
    };
  }
}
