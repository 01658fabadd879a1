// `npm run bench`: runs every benchmark in turn and writes bench/results/latest.json and latest.md.
// A benchmark is not a test: CI never runs this. Each area's figure stands next to its peer or limit.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toMarkdown, type BenchReport } from './report.js';

const AREAS = ['broker', 'ingest', 'inference', 'edge', 'intake', 'trainer', 'ml', 'sim', 'dashboard'] as const;
/** areas run only when named (`npm run bench -- soak`): the soak takes half an hour */
const ON_REQUEST = ['soak'] as const;

interface AreaResult {
  area: string;
  /** when this area was measured (ISO); results kept from an earlier run keep theirs */
  at?: string;
  report?: BenchReport;
  error?: string;
  seconds: number;
}

async function runArea(area: string): Promise<AreaResult> {
  const t0 = performance.now();
  try {
    const mod = (await import(`./${area}/main.js`)) as { run?: () => Promise<BenchReport> };
    if (typeof mod.run !== 'function') throw new Error(`bench/src/${area}/main.ts exports no run()`);
    const report = await mod.run();
    return { area, report, seconds: (performance.now() - t0) / 1000 };
  } catch (err) {
    return { area, error: (err as Error).stack ?? String(err), seconds: (performance.now() - t0) / 1000 };
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const areas = only.length ? [...AREAS, ...ON_REQUEST].filter((a) => only.includes(a)) : AREAS;
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const results: AreaResult[] = [];
  for (const area of areas) {
    process.stdout.write(`\n== bench ${area}\n`);
    const r = await runArea(area);
    results.push(r);
    process.stdout.write(r.report ? `${toMarkdown(r.report)}\n` : `FAILED: ${r.error}\n`);
  }
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  for (const r of results) r.at = at;
  const all = withEarlierResults(join(dir, 'latest.json'), results);
  writeFileSync(join(dir, 'latest.json'), JSON.stringify({ at, machine, results: all }, null, 2) + '\n');
  const md = [
    `# Takt benchmarks`,
    '',
    `Measured ${at} on ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}.`,
    '',
    ...all.map(
      (r) =>
        (r.report ? toMarkdown(r.report) : `### ${r.area}\n\nfailed: ${r.error?.split('\n')[0]}`) +
        (r.at === at ? '' : `\n\n_Kept from the run of ${r.at}._`),
    ),
  ].join('\n\n');
  writeFileSync(join(dir, 'latest.md'), md + '\n');
  process.stdout.write(`\nwrote bench/results/latest.json and latest.md\n`);
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

/**
 * The areas just run, with the other areas' results kept from the previous latest.json (each with
 * the time it was measured), in the usual order: `npm run bench -- ingest` rewrites only ingest.
 */
function withEarlierResults(file: string, fresh: AreaResult[]): AreaResult[] {
  if (!existsSync(file)) return fresh;
  const earlier = JSON.parse(readFileSync(file, 'utf8')) as { at?: string; results?: AreaResult[] };
  const byArea = new Map<string, AreaResult>(
    (earlier.results ?? []).map((r) => [r.area, { ...r, at: r.at ?? earlier.at }]),
  );
  for (const r of fresh) byArea.set(r.area, r);
  const order: string[] = [...AREAS, ...ON_REQUEST];
  return [...byArea.values()].sort((a, b) => order.indexOf(a.area) - order.indexOf(b.area));
}

await main();
