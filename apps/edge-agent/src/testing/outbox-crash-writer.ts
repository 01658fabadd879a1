/**
 * Test helper process: appends to a DiskOutbox as fast as it can, acknowledging every third entry,
 * and prints `durable <id> <seq>` once each append is durable — until it is SIGKILLed.
 * Usage: outbox-crash-writer.ts DIR
 */
import { buildTopic } from '@takt/contracts';
import { DiskOutbox } from '../outbox/disk-outbox.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: outbox-crash-writer.ts DIR');
const outbox = await DiskOutbox.open({ dir, segmentBytes: 64 * 1024, syncDelayMs: 1 });
const topic = buildTopic({ site: 'plant-1', line: 'line-1', device: 'press-01', channel: 'anomaly' });
process.stdout.write('ready\n');
for (;;) {
  const e = await outbox.append({
    topic,
    deviceId: 'press-01',
    channel: 'anomaly',
    payload: (seq) => Buffer.from(JSON.stringify({ seq, pad: 'p'.repeat(200) })),
  });
  process.stdout.write(`durable ${e.id} ${e.seq}\n`);
  if (e.id % 3 === 0) outbox.ack(e.id);
}
