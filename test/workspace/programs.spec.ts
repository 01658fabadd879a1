import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, workspaceRoot } from '@takt/testing';

/**
 * Every program of the workspace (each `bin` of a package.json) starts the one way `runMain` gives
 * it: `--help` on stdout with exit 0 and no stack trace, `--version` with exit 0, exit 2 for an
 * unknown flag and for a config with an unknown key, each failure in one line. Programs run from
 * source (tsx), all at once, as the other CLI tests run them.
 */
const root = workspaceRoot();
const dir = tempDir('takt-programs-');
afterAll(() => dir.remove());

interface Program {
  bin: string;
  /** the source file its bin is built from */
  main: string;
  version: string;
}

function programs(): Program[] {
  const globs = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  const found: Program[] = [];
  for (const glob of globs) {
    const parent = join(root, glob.replace(/\/\*$/, ''));
    const folders = glob.endsWith('/*') ? readdirNames(parent) : [parent];
    for (const folder of folders) {
      const file = join(folder, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string; bin?: Record<string, string> };
      for (const [bin, built] of Object.entries(pkg.bin ?? {})) {
        found.push({
          bin,
          main: join(folder, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
          version: pkg.version,
        });
      }
    }
  }
  return found.sort((a, b) => a.bin.localeCompare(b.bin));
}

/** The folders in `parent`. */
function readdirNames(parent: string): string[] {
  if (!existsSync(parent)) return [];
  return readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(parent, d.name));
}

/**
 * How each program takes a config, as arguments before the file, and the smallest config it would
 * accept; `null` for programs without one. A new program fails the test until it is listed here.
 */
const CONFIGS: Record<string, { args: string[]; config: () => object } | null> = {
  'takt-broker': {
    args: ['--config'],
    config: () => JSON.parse(readFileSync(join(root, 'deploy/scale-out/broker.json'), 'utf8')) as object,
  },
  'takt-edge': {
    args: ['--config'],
    config: () => JSON.parse(readFileSync(join(root, 'deploy/edge/edge.example.json'), 'utf8')) as object,
  },
  'takt-ingest': {
    args: ['--config'],
    config: () => JSON.parse(readFileSync(join(root, 'deploy/scale-out/ingestor-site-a.json'), 'utf8')) as object,
  },
  'takt-dashboard': {
    args: ['--config'],
    config: () => ({
      usersFile: join(dir.path, 'users.json'),
      mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'dashboard', password: 'p' },
      influx: { url: 'http://127.0.0.1:8086', database: 'takt' },
    }),
  },
  'takt-trainer': {
    args: ['serve', '--config'],
    config: () => ({
      registryDir: join(dir.path, 'registry'),
      tokens: [{ token: 'a-reader-token-of-some-length', role: 'reader' }],
      influx: { url: 'http://127.0.0.1:8086', database: 'takt' },
      mqtt: { url: 'mqtt://127.0.0.1:1883', username: 'trainer', password: 'p' },
    }),
  },
  // the plant file is the simulator's config
  'takt-sim': {
    args: ['check', '--plant'],
    config: () => ({
      sites: [
        {
          id: 'site-1',
          lines: [{ id: 'line-1', machines: [{ id: 'pump-1', type: 'pump', sensors: { vibration: { rate: 100 } } }] }],
        },
      ],
    }),
  },
  'takt-registry': null,
  'takt-stack': null,
};

/** Subcommands whose own `--help` must show their usage and not the others'. */
const SUBCOMMANDS: Record<string, { argv: string[]; shows: string; hides: string }[]> = {
  'takt-broker': [{ argv: ['passwd'], shows: 'passwd FILE USER ROLE', hides: '--config FILE' }],
  'takt-trainer': [
    { argv: ['anomaly', 'fit'], shows: 'anomaly fit', hides: 'vision' },
    { argv: ['serve'], shows: 'serve --config FILE', hides: 'anomaly' },
  ],
  'takt-sim': [{ argv: ['replay'], shows: 'takt-sim replay', hides: 'takt-sim record' }],
  'takt-registry': [{ argv: ['verify'], shows: 'takt-registry verify', hides: 'keygen' }],
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(p: Program, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@takt/source', '--import', 'tsx', p.main, ...args],
      { cwd: root, env: { ...process.env, TAKT_LOG_LEVEL: 'warn' }, timeout: 120_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A line of our own on stderr: libraries we load (node-opcua) may print their own warnings. */
const ours = (p: Program, r: Run) => r.stderr.split('\n').filter((l) => l.startsWith(`${p.bin}:`));
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

const all = programs();
const byBin = new Map(all.map((p) => [p.bin, p]));
const results = new Map<string, Run>();
const key = (p: Program, what: string) => `${p.bin} ${what}`;

beforeAll(async () => {
  const jobs: [string, string[]][] = [];
  for (const p of all) {
    jobs.push([key(p, 'help'), ['--help']], [key(p, 'version'), ['--version']], [key(p, 'flag'), ['--no-such-flag']]);
    for (const s of SUBCOMMANDS[p.bin] ?? []) jobs.push([key(p, `help ${s.argv.join(' ')}`), [...s.argv, '--help']]);
    const c = CONFIGS[p.bin];
    if (c) {
      const file = join(dir.path, `${p.bin}.json`);
      writeFileSync(file, JSON.stringify({ ...c.config(), noSuchSetting: 1 }));
      jobs.push([key(p, 'config'), [...c.args, file]]);
    }
  }
  await inParallel(jobs, 2 * availableParallelism(), async ([k, args]) =>
    results.set(k, await run(byBin.get(k.split(' ')[0]!)!, args)),
  );
}, 240_000);

/** Runs `each` over `items`, at most `limit` at a time. */
async function inParallel<T>(items: T[], limit: number, each: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

describe('every program starts through runMain', () => {
  it('finds the programs of every package.json bin, each with a known config (or none)', () => {
    expect(all.map((p) => p.bin)).toEqual(
      expect.arrayContaining([
        'takt-broker',
        'takt-dashboard',
        'takt-edge',
        'takt-ingest',
        'takt-registry',
        'takt-sim',
        'takt-trainer',
      ]),
    );
    for (const p of all) {
      expect(existsSync(p.main), `${p.bin} source ${p.main}`).toBe(true);
      expect(p.bin in CONFIGS, `${p.bin} is listed in CONFIGS (its config, or null)`).toBe(true);
      expect(readFileSync(p.main, 'utf8'), `${dirname(p.main)}: ${p.bin} calls runMain`).toMatch(/\brunMain\(/);
    }
  });

  it.each(all.map((p) => [p.bin, p] as const))('%s --help: usage on stdout, exit 0, no stack trace', (_bin, p) => {
    const r = results.get(key(p, 'help'))!;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/usage|takt-/i);
    expect(r.stdout).toContain(p.bin);
    expect(r.stdout + r.stderr).not.toMatch(STACK_TRACE);
    for (const s of SUBCOMMANDS[p.bin] ?? []) {
      const sub = results.get(key(p, `help ${s.argv.join(' ')}`))!;
      expect(sub.code, `${p.bin} ${s.argv.join(' ')} --help: ${sub.stderr}`).toBe(0);
      expect(sub.stdout).toContain(s.shows);
      expect(sub.stdout, `${p.bin} ${s.argv.join(' ')} --help shows only its own usage`).not.toContain(s.hides);
    }
  });

  it.each(all.map((p) => [p.bin, p] as const))('%s --version: the package version, exit 0', (_bin, p) => {
    const r = results.get(key(p, 'version'))!;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${p.bin} ${p.version}`);
  });

  it.each(all.map((p) => [p.bin, p] as const))('%s BAD INPUT - unknown flag: exit 2, one line naming it', (_bin, p) => {
    const r = results.get(key(p, 'flag'))!;
    expect(r.code, r.stderr).toBe(2);
    expect(ours(p, r)).toHaveLength(1);
    expect(ours(p, r)[0]).toMatch(/--no-such-flag/);
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it.each(all.filter((p) => CONFIGS[p.bin]).map((p) => [p.bin, p] as const))(
    '%s BAD INPUT - a config with an unknown key: exit 2, one line naming the key',
    (_bin, p) => {
      const r = results.get(key(p, 'config'))!;
      expect(r.code, r.stderr).toBe(2);
      expect(ours(p, r)).toHaveLength(1);
      expect(ours(p, r)[0]).toMatch(/noSuchSetting/);
      expect(r.stderr).not.toMatch(STACK_TRACE);
    },
  );
});
