import type { ExecutionProvider } from '@takt/contracts';
import type { Logger } from '@takt/runtime';
import { createSession, type Ort } from './ort.js';

/** A one-node ONNX graph (Identity, float [1]); built by src/testing/onnx-graph.ts `buildModel`. */
const PROBE_MODEL = Buffer.from(
  'CAcSEnRha3QtZWRnZS10ZXN0ZGF0YTo7ChQKAXgSAXkaAm4wIghJZGVudGl0eRIBZ1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=',
  'base64',
);

export interface ProbeResult {
  provider: ExecutionProvider;
  fallbacks: { provider: ExecutionProvider; reason: string }[];
}

/** Finds the first configured provider that can run a graph on this box (before any model arrives). */
export async function probeProvider(
  ort: Ort,
  providers: readonly ExecutionProvider[],
  logger: Logger,
): Promise<ProbeResult> {
  const { session, provider, fallbacks } = await createSession(ort, PROBE_MODEL, { providers, logger });
  await session.release();
  return { provider, fallbacks };
}
