import { afterEach, describe, expect, it } from 'vitest';
import { topicFilter, type DeviceState } from '@takt/contracts';
import { connectClient } from '@takt/testing';
import { EdgeError } from './errors.js';
import { MemoryOutbox } from './outbox/memory-outbox.js';
import type { OutboxDraft, OutboxEntry } from './outbox/outbox.js';
import { nextAppended, startAgentHarness, type AgentHarness } from './testing/agent-harness.js';

const address = { site: 'plant-1', line: 'line-1', device: 'press-01' };

/** A memory outbox that refuses the next `failStates` state appends, as a failed disk write would. */
class StateRefusingOutbox extends MemoryOutbox {
  failStates = 1;
  override append(draft: OutboxDraft): Promise<OutboxEntry> {
    if (draft.channel === 'state' && this.failStates > 0) {
      this.failStates--;
      return Promise.reject(new EdgeError('OUTBOX_WRITE_FAILED', 'outbox write failed: ENOSPC'));
    }
    return super.append(draft);
  }
}

describe('EdgeAgent under faults', () => {
  let h: AgentHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('BAD DISK - a failed first state publish of a new device neither crashes the agent nor stops the device: its data flows and its next state reports the fault', async () => {
    const outbox = new StateRefusingOutbox();
    h = await startAgentHarness({ outbox, config: { stateIntervalMs: 300 } });
    const telemetry = nextAppended(outbox, (e) => e.channel === 'telemetry' && e.deviceId === address.device);
    const feed = setInterval(() => h?.sendRaw(address), 100);
    try {
      await telemetry;
      const state = await nextAppended(outbox, (e) => e.channel === 'state' && e.deviceId === address.device);
      const body = JSON.parse(Buffer.from(state.payload).toString()) as DeviceState;
      expect(body.lastError).toMatchObject({ code: 'OUTBOX_WRITE_FAILED' });
    } finally {
      clearInterval(feed);
    }
  }, 15_000);

  it('sends heartbeats best-effort: QoS 0, straight to the broker, never through the outbox (no backlog to replay after an outage)', async () => {
    const outbox = new MemoryOutbox();
    const queued: string[] = [];
    outbox.on('appended', (e) => queued.push(e.channel));
    h = await startAgentHarness({
      outbox,
      config: { heartbeatIntervalMs: 100, devices: [address], deviceFilter: undefined },
    });
    const watcher = await connectClient(h.broker.url);
    try {
      const got = new Promise<{ qos: number; seq: number }[]>((resolve) => {
        const beats: { qos: number; seq: number }[] = [];
        watcher.on('message', (_t, payload, packet) => {
          beats.push({ qos: packet.qos, seq: (JSON.parse(payload.toString()) as { seq: number }).seq });
          if (beats.length === 3) resolve(beats);
        });
      });
      await watcher.subscribeAsync(topicFilter({ ...address, channel: 'heartbeat' }), { qos: 1 });
      const beats = await got;
      expect(beats.map((b) => b.qos)).toEqual([0, 0, 0]);
      expect(queued).not.toContain('heartbeat');
    } finally {
      watcher.end(true);
    }
  }, 15_000);
});
