import { FAULT_KINDS } from '@takt/contracts';
import { DashboardError } from '../http/errors.js';
import type { EvidenceRecord, LabelVocabulary } from '../api-types.js';
import type { TrainerClient } from './trainer-client.js';

export type { EvidenceRecord, LabelVocabulary } from '../api-types.js';

/** Fault classes every trainer accepts: the simulator's fault kinds and `normal`. */
export const BASE_FAULT_LABELS: readonly string[] = [...FAULT_KINDS, 'normal'];

/**
 * The vocabulary from the trainer's `GET /api/labels`; without a trainer, no vision classes and the
 * base fault classes. A trainer that answers something else is a 502.
 */
export async function labelVocabulary(trainer: TrainerClient | undefined): Promise<LabelVocabulary> {
  if (!trainer) return { vision: [], fault: [...BASE_FAULT_LABELS] };
  const a = await trainer.get('/api/labels');
  const b = a.body as Partial<LabelVocabulary> | undefined;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (a.status !== 200 || !strings(b?.vision) || !strings(b?.fault))
    throw new DashboardError('UPSTREAM', `trainer answered GET /api/labels with ${a.status} and no vocabulary`);
  return { vision: b.vision, fault: b.fault };
}

/** Refuses (400) a label outside `allowed`, naming the vocabulary. */
export function checkLabel(label: string, allowed: readonly string[], what: string): void {
  if (allowed.includes(label)) return;
  const list = allowed.length
    ? allowed.join(', ')
    : 'none yet: upload a labelled image set or configure evidence.visionClasses on the trainer';
  throw new DashboardError('BAD_REQUEST', `label "${label}" is not a known ${what} class (known: ${list})`);
}

/**
 * Evidence records the dashboard listed recently, by id, so a relabel knows the device and kind
 * without another query (bounded; the least recently listed go first).
 */
export class EvidenceCache {
  readonly #byId = new Map<string, EvidenceRecord>();

  constructor(private readonly max = 5_000) {}

  remember(records: readonly EvidenceRecord[]): void {
    for (const r of records) {
      this.#byId.delete(r.evidenceId);
      this.#byId.set(r.evidenceId, r);
    }
    for (const id of this.#byId.keys()) {
      if (this.#byId.size <= this.max) break;
      this.#byId.delete(id);
    }
  }

  get(evidenceId: string): EvidenceRecord | undefined {
    return this.#byId.get(evidenceId);
  }
}
