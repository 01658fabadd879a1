import { ApiError } from './api-error.js';

/** A retrained model waiting for an admin before it rolls out (`autoRollout.approval: approve`). */
export interface PendingApproval {
  model: string;
  version: number;
  /** the rollout it will start: canaries first, then these devices */
  canary: string[];
  devices: string[];
  watchMs: number;
  job: string;
  requestedAt: number;
}

/** Most approvals kept waiting; the oldest is dropped past it (a newer model of the same name replaces it anyway). */
const MAX_PENDING = 100;

/**
 * Rollouts of automatically trained models that wait for a person. A newer version of a model
 * replaces the one still waiting (only the newest is worth approving); approving hands the request
 * back to start its rollout, rejecting drops it. Kept in memory: after a restart the next training asks again.
 */
export class ApprovalQueue {
  readonly #pending = new Map<string, PendingApproval>();

  add(a: PendingApproval): void {
    this.#pending.delete(a.model);
    this.#pending.set(a.model, a);
    while (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value as string);
  }

  list(): PendingApproval[] {
    return [...this.#pending.values()];
  }

  /** Removes and returns the waiting request for exactly this model and version; `NOT_FOUND` otherwise. */
  take(model: string, version: number): PendingApproval {
    const a = this.#pending.get(model);
    if (!a || a.version !== version)
      throw new ApiError(
        'NOT_FOUND',
        `no rollout of ${model} v${version} awaits approval${a ? ` (v${a.version} does)` : ''}`,
      );
    this.#pending.delete(model);
    return a;
  }
}
