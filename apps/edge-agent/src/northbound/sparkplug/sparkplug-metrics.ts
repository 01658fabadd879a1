import { decode, type Channel } from '@takt/contracts';

/** A Sparkplug metric as sparkplug-payload encodes it. */
export interface SpMetric {
  name: string;
  type: 'Double' | 'Boolean' | 'String' | 'Int64';
  value: number | boolean | string;
  timestamp: number;
}

/**
 * The metrics one upstream message of a device gives the host: `telemetry/<sensor>` (mean over the
 * interval), `anomaly/open`, `anomaly/score`, `anomaly/threshold`, `anomaly/model`, `state/status`,
 * `state/models`; an empty list for channels a SCADA does not need (features, heartbeats, evidence).
 */
export function metricsOf(channel: Channel, payload: Uint8Array): SpMetric[] {
  if (channel === 'telemetry') {
    const m = decode('telemetry', payload);
    return Object.entries(m.values).map(([sensor, value]) => ({
      name: `telemetry/${sensor}`,
      type: 'Double',
      value,
      timestamp: m.ts,
    }));
  }
  if (channel === 'anomaly') {
    const m = decode('anomaly', payload);
    return [
      { name: 'anomaly/open', type: 'Boolean', value: m.state === 'open', timestamp: m.ts },
      { name: 'anomaly/score', type: 'Double', value: m.score, timestamp: m.ts },
      { name: 'anomaly/threshold', type: 'Double', value: m.threshold, timestamp: m.ts },
      { name: 'anomaly/model', type: 'String', value: `${m.model.name}@${m.model.version}`, timestamp: m.ts },
    ];
  }
  if (channel === 'state') {
    const m = decode('state', payload);
    return [
      { name: 'state/status', type: 'String', value: m.status, timestamp: m.ts },
      {
        name: 'state/models',
        type: 'String',
        value: m.models.map((x) => `${x.name}@${x.version}`).join(',') || '-',
        timestamp: m.ts,
      },
    ];
  }
  return [];
}
