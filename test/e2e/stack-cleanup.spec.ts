import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Stack } from '@takt/stack';
import { tempDir } from '@takt/testing';
import { writeSmallPlant } from '../src/index.js';

/**
 * A stack whose start fails half-way stops what it had started: a failed test setup must not leave
 * an influxd, a broker and an ingestor running (they would hold ports and CPU for every later test).
 */
describe('e2e: a stack that fails to start leaves nothing running', () => {
  const dir = tempDir('takt-e2e-cleanup-');
  let blocker: Server;
  afterAll(async () => {
    blocker?.closeAllConnections();
    await new Promise((r) => blocker?.close(r));
    dir.remove();
  });

  it('stops influxd, the broker and the ingestor when the trainer cannot bind its port', async () => {
    blocker = createServer((_req, res) => res.writeHead(503).end()); // holds the port, answers the readiness probe with 503
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    const plantFile = writeSmallPlant(dir.path, { layout: { 'plant-a': { 'line-1': ['pump-1'] } } });
    const stack = new Stack({ dir: dir.path, mode: 'source', plantFile, trainer: true, ports: { trainer: taken } });
    const t0 = Date.now();
    await expect(stack.start()).rejects.toThrow(/trainer exited during start/);
    expect(Date.now() - t0).toBeLessThan(50_000); // the trainer's exit fails the start at once, not after its 60 s ready timeout
    expect(stack.influx.process.running).toBe(false);
    expect(stack.brokers.every((b) => !b.process.running)).toBe(true);
    expect(stack.ingestors.every((i) => !i.process.running)).toBe(true);
  }, 180_000);
});
