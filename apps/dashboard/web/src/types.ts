/** Shapes the API answers with (mirrors of the server's types). */
export interface ActiveModel { name: string; kind: string; version: number; provider: string; since: number }
export interface DeviceView {
  deviceId: string; site: string; line: string; status: 'online' | 'degraded' | 'offline'; lastSeen: number; openAnomalies: number;
  models: ActiveModel[]; provider?: string; outboxDepth: number; shed: number; uptimeS?: number; cpuPercent?: number;
  lastError?: { code: string; message: string; at: number };
  rollout?: { rolloutId: string; name: string; version: number; status: string; reason?: string; at: number };
  agentVersion?: string;
}
/** the fault CNN's verdict on a device's newest raw window */
export interface FaultPoint { ts: number; label: string; confidence: number; model: { name: string; version: number } }
/** `GET /api/devices/:id`: the device, its last threshold and its recent fault verdicts (oldest first) */
export type DeviceDetail = DeviceView & { threshold: number | null; faults: FaultPoint[] };
export interface Alert {
  id: string; deviceId: string; eventId: string; site: string; line: string; state: 'open' | 'closed'; openedAt: number; closedAt?: number;
  score: number; peakScore: number; threshold: number; model: { name: string; version: number }; faultClass?: string;
  acknowledged?: { by: string; at: number }; comments: { by: string; at: number; text: string }[];
  label?: { label: string; by: string; at: number };
}
export interface Columns { ts: number[]; series: Record<string, (number | null)[]> }
export interface DeviceHistory {
  deviceId: string; from: number; to: number; source: 'live' | 'influx'; every?: string; telemetry: Columns; scores: Columns; threshold?: number;
  anomalies: { from: number; to?: number; eventId: string }[];
}
export interface InspectionView {
  deviceId: string; site: string; line: string; frameId: string; ts: number; label: string; confidence: number; model: { name: string; version: number };
  thumbnail?: string; truth?: string; relabel?: { label: string; by: string; at: number };
}
export interface Manifest {
  name: string; kind: string; version: number; createdAt: number; metrics: Record<string, number>; threshold?: number;
  quantization?: { activations: string }; variants?: Record<string, unknown>; signature?: { keyId: string }; training: { samples: number; from?: number; to?: number };
}
export interface EvidenceRecord {
  evidenceId: string; deviceId: string; site?: string; line?: string; ts: number; kind: 'frame' | 'window';
  reason: 'uncertain' | 'sample' | 'anomaly' | 'healthy' | 'upload'; sha256: string; bytes: number;
  frame?: { frameId: string; width: number; height: number };
  window?: { t0: number; durationMs: number; sensors: string[]; eventId?: string; onset?: number };
  model?: { name: string; version: number }; prediction?: { label: string; confidence: number }; truth?: string;
  label?: { label: string; by: string; at: number; source: 'engineer' | 'upload' };
}
/** a window blob: every series starts at t0 */
export interface WindowBlob { t0: number; sensors: Record<string, { rate: number; unit?: string; values: number[] }> }
export interface LabelVocabulary { vision: string[]; fault: string[] }
export interface Job { id: string; kind: string; model: string; status: 'queued' | 'running' | 'succeeded' | 'failed'; progress: number; message: string; startedAt: number; finishedAt?: number; metrics?: Record<string, number>; version?: number }
export interface Rollout {
  id: string; model: string; version: number; stage: 'canary' | 'promoted' | 'rolled-back' | 'failed'; canary: string[];
  devices: { deviceId: string; status: string; version?: number }[]; startedAt: number; updatedAt: number;
}
