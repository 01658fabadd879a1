import type { DeviceState } from '@takt/contracts';
import type { RolloutDevice, RolloutDeviceStatus, RolloutRecord } from './records.js';

/** What a canary's `state` says about a rollout: its reported status and the version it runs. */
export function reportOf(
  r: Pick<RolloutRecord, 'id' | 'model'>,
  state: DeviceState,
): { status?: RolloutDeviceStatus; version?: number; reason?: string } {
  const running = state.models.find((m) => m.name === r.model)?.version;
  const rep = state.rollout && state.rollout.rolloutId === r.id ? state.rollout : undefined;
  return {
    ...(rep ? { status: rep.status, ...(rep.reason ? { reason: rep.reason } : {}) } : {}),
    ...(running === undefined ? {} : { version: running }),
  };
}

/** Why a canary makes the rollout fail right now, or undefined while it is fine (or undecided). */
export function canaryFailure(
  d: RolloutDevice,
  state: DeviceState | undefined,
  anomalies: number,
  maxAnomalies: number,
): string | undefined {
  if (d.status === 'rejected' || d.status === 'rolled-back')
    return `canary ${d.deviceId} reported ${d.status}${d.reason ? `: ${d.reason}` : ''}`;
  if (state?.status === 'offline') return `canary ${d.deviceId} went offline`;
  if (anomalies > maxAnomalies)
    return `canary ${d.deviceId} opened ${anomalies} anomaly events during the watch (limit ${maxAnomalies})`;
  return undefined;
}

export interface WatchContext {
  state: (device: string) => DeviceState | undefined;
  lastSeen: (device: string) => number | undefined;
  anomalies: (device: string) => number;
  maxAnomalies: number;
  /** 0 = heartbeats not required */
  heartbeatTimeoutMs: number;
  now: number;
}

/**
 * The verdict at the end of the watch: promote when every canary applied this version and stayed
 * healthy (online, heartbeating, few anomaly events); otherwise the reason to roll back.
 */
export function canaryVerdict(
  r: RolloutRecord,
  ctx: WatchContext,
): { promote: true } | { promote: false; reason: string } {
  const reasons: string[] = [];
  for (const d of r.devices.filter((x) => r.canary.includes(x.deviceId))) {
    const failed = canaryFailure(d, ctx.state(d.deviceId), ctx.anomalies(d.deviceId), ctx.maxAnomalies);
    if (failed) reasons.push(failed);
    else if (d.status !== 'applied' || d.version !== r.version)
      reasons.push(
        `canary ${d.deviceId} did not apply v${r.version} within ${r.watchMs} ms (status ${d.status}${d.version === undefined ? '' : `, runs v${d.version}`})`,
      );
    else if (ctx.heartbeatTimeoutMs > 0 && ctx.now - (ctx.lastSeen(d.deviceId) ?? 0) > ctx.heartbeatTimeoutMs)
      reasons.push(`canary ${d.deviceId} sent no heartbeat for ${ctx.heartbeatTimeoutMs} ms`);
  }
  return reasons.length === 0 ? { promote: true } : { promote: false, reason: reasons.join('; ') };
}
