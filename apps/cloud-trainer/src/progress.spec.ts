import { describe, expect, it } from 'vitest';
import { TerminalProgress, type ProgressStream } from './progress.js';

function sink(isTTY: boolean): ProgressStream & { text: string } {
  const s = { text: '', isTTY, write: (c: string) => ((s.text += c), true) };
  return s;
}

describe('TerminalProgress', () => {
  it('prints one plain line per epoch when not a TTY, with loss and accuracy', () => {
    const out = sink(false);
    let t = 0;
    const p = new TerminalProgress({ stream: out, plainIntervalMs: 0, now: () => (t += 500) }).phase('epochs', 3);
    p.tick({ loss: 0.912, acc: 0.5 });
    p.tick({ loss: 0.41, acc: 0.875 });
    p.tick({ loss: 0.2, acc: 1 });
    p.done();
    const lines = out.text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^epochs \[#{16}-{8}\] 2\/3 loss=0\.410 acc=0\.875 \d+\.\ds$/);
    expect(out.text).not.toContain('\r');
  });

  it('throttles a fast plain phase but always prints the last step', () => {
    const out = sink(false);
    const p = new TerminalProgress({ stream: out, plainIntervalMs: 1000, now: () => 0 }).phase('files', 500);
    for (let i = 0; i < 500; i++) p.tick();
    p.done();
    expect(out.text.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/ 1\/500/),
      expect.stringMatching(/ 500\/500/),
    ]);
  });

  it('redraws one line on a TTY and ends it on done', () => {
    const out = sink(true);
    const p = new TerminalProgress({ stream: out, width: 4, now: () => 0 }).phase('restarts', 2);
    p.tick({ k: 3 });
    p.tick({ k: 4 });
    p.done({ best: 4 });
    expect(out.text.split('\r\x1b[2K')).toEqual([
      '',
      'restarts [##--] 1/2 k=3 0.0s',
      'restarts [####] 2/2 k=4 0.0s',
      'restarts [####] 2/2 best=4 0.0s\n',
    ]);
  });
});
