import { describe, expect, it } from 'vitest';
import type { DeviceState } from '@takt/contracts';
import { sampleMessage } from '@takt/contracts/testing';
import type { RolloutRecord } from './records.js';
import { canaryVerdict, reportOf, type WatchContext } from './rollout-verdict.js';

const NOW = 1_767_225_600_000;

const rollout = (devices: RolloutRecord['devices']): RolloutRecord => ({
  id: 'ro-1',
  model: 'm',
  version: 2,
  stage: 'canary',
  canary: ['d1'],
  devices,
  watchMs: 1000,
  startedAt: NOW,
  updatedAt: NOW,
  previous: {},
});

const state = (extra: Partial<DeviceState> = {}): DeviceState => ({
  ...(sampleMessage('state', 'd1', 0) as DeviceState),
  ...extra,
});

const ctx = (over: Partial<WatchContext> = {}): WatchContext => ({
  state: () => state(),
  lastSeen: () => NOW,
  anomalies: () => 0,
  maxAnomalies: 3,
  heartbeatTimeoutMs: 0,
  now: NOW,
  ...over,
});

describe('reportOf', () => {
  it('takes the status only from the rollout it belongs to, and the running version of the model', () => {
    const s = state({
      models: [{ name: 'm', kind: 'kmeans-anomaly', version: 2, provider: 'cpu', since: NOW }],
      rollout: { rolloutId: 'ro-1', name: 'm', version: 2, status: 'applied', at: NOW },
    });
    expect(reportOf(rollout([]), s)).toEqual({ status: 'applied', version: 2 });
    expect(reportOf({ id: 'ro-other', model: 'm' }, s)).toEqual({ version: 2 });
  });
});

describe('canaryVerdict', () => {
  const applied = [
    { deviceId: 'd1', status: 'applied' as const, version: 2 },
    { deviceId: 'd2', status: 'pending' as const },
  ];

  it('promotes when every canary applied this version and stayed healthy', () => {
    expect(canaryVerdict(rollout(applied), ctx())).toEqual({ promote: true });
  });

  it.each([
    ['a canary still downloading', [{ deviceId: 'd1', status: 'downloading' as const }], ctx(), 'did not apply v2'],
    [
      'a canary running another version',
      [{ deviceId: 'd1', status: 'applied' as const, version: 1 }],
      ctx(),
      'runs v1',
    ],
    [
      'a canary that rejected it',
      [{ deviceId: 'd1', status: 'rejected' as const, reason: 'bad signature' }],
      ctx(),
      'reported rejected: bad signature',
    ],
    ['a canary gone offline', applied, ctx({ state: () => state({ status: 'offline' }) }), 'went offline'],
    ['too many anomaly events', applied, ctx({ anomalies: () => 4 }), 'opened 4 anomaly events'],
    [
      'a silent heartbeat',
      applied,
      ctx({ heartbeatTimeoutMs: 5000, lastSeen: () => NOW - 6000 }),
      'no heartbeat for 5000 ms',
    ],
  ])('rolls back for %s', (_case, devices, c, reason) => {
    const v = canaryVerdict(rollout(devices), c);
    expect(v).toEqual({ promote: false, reason: expect.stringContaining(reason) });
  });
});
