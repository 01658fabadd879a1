import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** Kernel time by op type, as onnxruntime's profiler saw it. */
export interface KernelProfile {
  /** op type (after onnxruntime's graph optimisations, e.g. `QLinearConv`, `FusedConv`) → mean µs per run */
  opTimeUs: Record<string, number>;
  /** runs profiled */
  runs: number;
}

/**
 * Runs a model `runs` times on the CPU provider (all graph optimisations, `threads` intra-op threads,
 * default 1) with profiling on, and reports which kernels ran and their mean time per run — the way to
 * see whether an int8 model really runs as QLinearConv/QGemm rather than Conv/Gemm.
 */
export async function profileKernels(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  opts: { runs?: number; threads?: number } = {},
): Promise<KernelProfile> {
  const runs = opts.runs ?? 5;
  const dir = await mkdtemp(join(tmpdir(), 'takt-ort-profile-'));
  try {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? 1,
      enableProfiling: true,
      profileFilePrefix: join(dir, 'profile'),
    });
    for (let i = 0; i < runs; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = (await readdir(dir)).find((f) => f.endsWith('.json'));
    const events = file
      ? (JSON.parse(await readFile(join(dir, file), 'utf8')) as {
          cat?: string;
          name?: string;
          dur?: number;
          args?: { op_name?: string };
        }[])
      : [];
    const opTimeUs: Record<string, number> = {};
    for (const e of events) {
      const op = e.args?.op_name;
      if (e.cat !== 'Node' || !op || !e.name?.endsWith('_kernel_time')) continue;
      opTimeUs[op] = (opTimeUs[op] ?? 0) + (e.dur ?? 0) / runs;
    }
    return { opTimeUs, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
