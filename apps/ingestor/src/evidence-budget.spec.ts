import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildTopic, decodePublish, encode, isPublishOn } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import { DiskBlobStore } from '@takt/evidence-store';
import { createLogger } from '@takt/runtime';
import { tempDir } from '@takt/testing';
import { EvidenceSink } from './evidence-sink.js';
import { IngestorMetrics } from './metrics.js';

/** A raw-window evidence message of about `bytes` bytes from `device`. */
function evidence(device: string, i: number, bytes: number) {
  const values = Array.from({ length: Math.floor(bytes / 6) }, (_, k) => (k % 10) / 10);
  const message = {
    ...sampleMessage('evidence', device, i),
    evidenceId: `ev-${device}-${i}`,
    kind: 'window' as const,
    reason: 'healthy' as const,
    frame: undefined,
    window: { t0: 1_767_225_600_000 + i, sensors: { vibration: { rate: 1000, values } } },
    prediction: undefined,
    model: undefined,
  };
  const topic = buildTopic({ site: 'plant-a', line: 'line-1', device, channel: 'evidence' });
  const payload = encode('evidence', message);
  const p = decodePublish(topic, payload);
  if (!isPublishOn(p, 'evidence')) throw new Error('not evidence');
  return { p, topic, payload };
}

describe('evidence budget per device', () => {
  it('HOSTILE - a box sending more evidence than evidence.perDevice allows gets the rest acknowledged and dropped, counted; other devices and later seconds are not affected', async () => {
    const dir = tempDir('takt-evidence-budget-');
    try {
      let now = 1_000_000;
      const size = evidence('x', 0, 20_000).payload.byteLength; // every message below is this size
      const stored: number[] = [];
      const refused: string[] = [];
      const metrics = new IngestorMetrics();
      const sink = new EvidenceSink({
        blobs: new DiskBlobStore({ dir: dir.path }),
        onStored: (_points, token) => stored.push(token),
        onRefused: (err) => refused.push(err.code),
        metrics,
        logger: createLogger('evidence-budget-test'),
        attempts: 1,
        retryMinMs: 1,
        retryMaxMs: 1,
        perDevice: { bytesPerSecond: size / 2, burstBytes: Math.floor(2.5 * size) },
        now: () => now,
      });
      // a flood of 20 messages at once: a burst of 2.5 messages takes two
      for (let i = 0; i < 20; i++) {
        const e = evidence('rogue-1', i, 20_000);
        sink.accept(e.p, i, e.topic, e.payload);
      }
      const honest = evidence('pump-1', 7, 20_000);
      sink.accept(honest.p, 100, honest.topic, honest.payload);
      await sink.idle();
      expect(metrics.evidenceDropped).toBe(18);
      expect(refused).toEqual([]);
      expect(stored).toHaveLength(21); // every message acknowledged, dropped ones with no point
      expect(readdirSync(`${dir.path}/sha256`, { recursive: true }).filter((f) => String(f).length > 10)).toHaveLength(
        3,
      );
      // two seconds later the bucket holds one more message: it passes
      now += 2_000;
      const later = evidence('rogue-1', 50, 20_000);
      sink.accept(later.p, 50, later.topic, later.payload);
      await sink.idle();
      expect(metrics.evidenceDropped).toBe(18);
    } finally {
      dir.remove();
    }
  });
});
