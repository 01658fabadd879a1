import { ContractError, decodePublish, scanTelemetry, TelemetryLayout, tryParseTopic } from '@takt/contracts';

/** The contract's topic root; publishes under it are validated. */
const VALIDATED_PREFIX = 'takt/v1/';
const TELEMETRY_SUFFIX = '/telemetry';

/** The device of each valid telemetry topic seen lately (bounded: a client walking topics cannot grow it). */
const telemetryDevices = new Map<string, string>();
const layout = new TelemetryLayout();

function telemetryDevice(topic: string): string | undefined {
  let device = telemetryDevices.get(topic);
  if (device === undefined) {
    const parts = tryParseTopic(topic);
    if (parts?.channel !== 'telemetry') return undefined;
    device = parts.device;
    if (telemetryDevices.size >= 4_096) telemetryDevices.clear();
    telemetryDevices.set(topic, device);
  }
  return device;
}

/**
 * Result of checking one publish: `undefined` when it may pass, else the error that refuses it.
 * Telemetry — most of the traffic — is read from its bytes (`scanTelemetry`, no JSON.parse); what
 * that reader does not accept goes through `decodePublish`, which decides and names the error.
 */
export function checkPayload(topic: string, payload: Buffer): ContractError | undefined {
  if (!topic.startsWith(VALIDATED_PREFIX)) return undefined;
  if (topic.endsWith(TELEMETRY_SUFFIX)) {
    const device = telemetryDevice(topic);
    if (device !== undefined && scanTelemetry(payload, device, layout)) return undefined;
  }
  try {
    decodePublish(topic, payload);
    return undefined;
  } catch (err) {
    return err instanceof ContractError ? err : new ContractError('INVALID_FIELD', (err as Error).message);
  }
}

/** Options of the invalid-payload flood guard. */
export interface FloodGuardOptions {
  /** invalid publishes allowed within `windowMs`; the next one disconnects; default 20 */
  maxInvalid?: number;
  /** ms window; default 60_000 */
  windowMs?: number;
  now?: () => number;
}

/** Counts one client's invalid publishes in a fixed window; `record()` says when it is over the limit. */
export class InvalidPayloadGuard {
  #windowStart = 0;
  #count = 0;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: FloodGuardOptions = {}) {
    this.#max = options.maxInvalid ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Records one invalid publish; true when the client has now gone over the limit. */
  record(): boolean {
    const now = this.#now();
    if (now - this.#windowStart > this.#windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count += 1;
    return this.#count > this.#max;
  }
}
