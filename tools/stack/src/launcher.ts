import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, type ManagedProcessOptions } from '@takt/runtime';

/** How the stack runs our programs: from TypeScript sources (tests) or from the build (npm start). */
export type LaunchMode = 'source' | 'dist';

/** The monorepo root (this file lives at tools/stack/{src,dist}/launcher.*). */
export function repoRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** node arguments that run `project`'s main (e.g. `apps/broker`), or another `entry` file, in the given mode. */
export function programArgs(project: string, mode: LaunchMode, entry = 'main'): string[] {
  const root = repoRoot();
  if (mode === 'source')
    return ['--conditions=@takt/source', '--import', 'tsx', join(root, project, 'src', `${entry}.ts`)];
  const main = join(root, project, 'dist', `${entry}.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (npm run build)`);
  return [main];
}

export interface LaunchOptions extends Omit<ManagedProcessOptions, 'command' | 'args' | 'cwd'> {
  mode: LaunchMode;
  /** the program's file in `src/` (`dist/`) without extension; default `main` */
  entry?: string;
}

/** A ManagedProcess for one of our programs with `args` after its main file. */
export function launch(project: string, args: string[], options: LaunchOptions): ManagedProcess {
  const { mode, env, entry, ...rest } = options;
  return new ManagedProcess({
    detached: true,
    ...rest,
    command: process.execPath,
    args: [...programArgs(project, mode, entry), ...args],
    cwd: repoRoot(),
    env: { ...process.env, TAKT_LOG_LEVEL: process.env['TAKT_LOG_LEVEL'] ?? 'info', ...env },
  });
}

/** Resolves true when GET `url` answers 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}
