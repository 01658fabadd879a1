import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, type ManagedProcessOptions } from '@takt/runtime';

/** The monorepo root: the nearest folder above this file whose package.json has `workspaces`. */
export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('workspace root not found');
    dir = up;
  }
}

/** A fresh temp dir and its remover. */
export function tempDir(prefix = 'takt-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The command that runs a project's `src/main.ts` from source (tsx, `@takt/source` condition), so
 * integration tests start the real program without a build step.
 */
export function sourceCommand(project: string, args: string[] = []): { command: string; args: string[]; cwd: string } {
  const root = workspaceRoot();
  const main = join(root, project, 'src', 'main.ts');
  if (!existsSync(main)) throw new Error(`${project} has no src/main.ts`);
  // TAKT_CPU_PROF_DIR: every program started from source writes a V8 CPU profile there (for benchmarks)
  const prof = process.env['TAKT_CPU_PROF_DIR'];
  const profile = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  return {
    command: process.execPath,
    args: [...profile, '--conditions=@takt/source', '--import', 'tsx', main, ...args],
    cwd: root,
  };
}

/** A `ManagedProcess` for one of our programs, e.g. `spawnTakt('apps/broker', ['--config', f], {...})`. */
export function spawnTakt(
  project: string,
  args: string[],
  options: Omit<ManagedProcessOptions, 'command' | 'args' | 'cwd' | 'name'> & { name?: string },
): ManagedProcess {
  const cmd = sourceCommand(project, args);
  return new ManagedProcess({
    name: options.name ?? project,
    ...cmd,
    ...options,
    env: { ...process.env, TAKT_LOG_LEVEL: process.env['TAKT_LOG_LEVEL'] ?? 'warn', ...options.env },
  });
}

/**
 * The real recorded data sets (`nab/`, `tep/`, `magnetic-tile/`): `TAKT_DATA_DIR`, else `shared/data`
 * beside the checkout (where CI and every developer machine keep it). Undefined when absent.
 */
export function sharedDataDir(): string | undefined {
  const dir = process.env['TAKT_DATA_DIR'] ?? join(workspaceRoot(), '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

/** A path in the shared data sets, for a test that needs it. */
export interface SharedData {
  path: string;
  absent: boolean;
  /** appended to the test's name: says in the report why it was skipped; empty when the data is there */
  skipNote: string;
}

/**
 * `sharedDataDir()/…parts`. When it is absent, says so on stderr at once and gives a name suffix, so a
 * test skipped for want of data is skipped loudly (`it.skipIf(d.absent)(\`name${d.skipNote}\`, …)`).
 */
export function sharedData(...parts: string[]): SharedData {
  const path = join(
    sharedDataDir() ?? process.env['TAKT_DATA_DIR'] ?? join(workspaceRoot(), '..', 'shared', 'data'),
    ...parts,
  );
  if (existsSync(path)) return { path, absent: false, skipNote: '' };
  process.stderr.write(
    `[takt] ${parts.join('/')} is absent (looked for ${path}; TAKT_DATA_DIR sets the folder): the tests that need it are skipped\n`,
  );
  return { path, absent: true, skipNote: ` (SKIPPED: shared data ${parts.join('/')} absent)` };
}
