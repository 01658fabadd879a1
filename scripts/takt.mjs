#!/usr/bin/env node
// The two commands. `npm start` and `npm test` each work as the only command typed on a fresh
// clone: they install npm dependencies when node_modules is missing or stale, install the OS
// servers they need when missing (Debian/Ubuntu packages), build, then run.
// Plain JavaScript with no dependencies: it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NX_SKIP_NX_CACHE: process.env.NX_SKIP_NX_CACHE ?? 'false',
};

function say(msg) {
  process.stdout.write(`[takt] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function must(cmd, args, opts) {
  const code = run(cmd, args, opts);
  if (code !== 0) {
    say(`${cmd} ${args.join(' ')} failed (exit ${code})`);
    process.exit(code);
  }
}

/** Hash of every manifest that decides what node_modules must hold. */
function manifestHash() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json', '.npmrc'])
    if (existsSync(join(root, f))) h.update(readFileSync(join(root, f)));
  for (const group of ['apps', 'libs', 'simulators']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const pkg = join(dir, name, 'package.json');
      if (existsSync(pkg)) h.update(readFileSync(pkg));
    }
  }
  for (const p of ['test/package.json', 'bench/package.json'])
    if (existsSync(join(root, p))) h.update(readFileSync(join(root, p)));
  return h.digest('hex');
}

function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.takt-install-stamp');
  const want = manifestHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  // `npm install` (not `npm ci`): it installs exactly the locked versions, and unlike `npm ci` it
  // tolerates a lockfile whose optional per-platform packages (rollup, esbuild) could not all be
  // resolved from the registry mirror the lock was made on.
  say(
    existsSync(join(root, 'node_modules'))
      ? 'dependencies changed: npm install'
      : 'installing npm dependencies: npm install',
  );
  must('npm', ['install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, manifestHash());
}

const OS_PACKAGES = {
  influxd: { pkg: 'influxdb', paths: ['/usr/bin/influxd'] },
  mosquitto: { pkg: 'mosquitto', paths: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'] },
  mosquitto_pub: { pkg: 'mosquitto-clients', paths: ['/usr/bin/mosquitto_pub'] },
  'redis-server': { pkg: 'redis-server', paths: ['/usr/bin/redis-server'] },
  chromium: { pkg: 'chromium', paths: ['/usr/bin/chromium'] },
  haproxy: { pkg: 'haproxy', paths: ['/usr/sbin/haproxy'] },
  'systemd-analyze': { pkg: 'systemd', paths: ['/usr/bin/systemd-analyze'] },
  // the independent Modbus peers of the intake tests (a pymodbus server for Debian's /usr/bin/python3, mbpoll)
  pymodbus: { pkg: 'python3-pymodbus', paths: ['/usr/lib/python3/dist-packages/pymodbus'] },
  // pymodbus imports pyserial even for its TCP server, and Debian only recommends it (not installed with --no-install-recommends)
  pyserial: { pkg: 'python3-serial-asyncio', paths: ['/usr/lib/python3/dist-packages/serial_asyncio'] },
  mbpoll: { pkg: 'mbpoll', paths: ['/usr/bin/mbpoll'] },
  // `promtool check config` of deploy/prometheus/prometheus.yml
  promtool: { pkg: 'prometheus', paths: ['/usr/bin/promtool'] },
};

function onPath(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

function ensureOsPackages(bins) {
  const missing = bins.filter((b) => !onPath(b) && !OS_PACKAGES[b].paths.some((p) => existsSync(p)));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((b) => OS_PACKAGES[b].pkg))];
  const install = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  const hasApt = onPath('apt-get');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = !isRoot && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!hasApt || (!isRoot && !sudo)) {
    say(
      `missing ${missing.join(', ')}. Install with:\n\n    sudo sh -c '${install}'\n\n(on other systems install InfluxDB 1.x, mosquitto, redis and chromium from your package manager)`,
    );
    process.exit(2);
  }
  say(`installing OS packages: ${pkgs.join(' ')}`);
  must(isRoot ? 'sh' : 'sudo', isRoot ? ['-c', install] : ['sh', '-c', install]);
}

function build() {
  say('building (tsc -b)');
  must(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'tsconfig.json']);
}

function test(extraArgs) {
  ensureNodeModules();
  ensureOsPackages([
    'influxd',
    'mosquitto',
    'mosquitto_pub',
    'redis-server',
    'chromium',
    'haproxy',
    'systemd-analyze',
    'pymodbus',
    'pyserial',
    'mbpoll',
    'promtool',
  ]);
  build();
  mkdirSync(join(root, '.takt'), { recursive: true });
  // Unit and integration tests first (two workers), then the end-to-end tests one file at a time:
  // each starts a whole plant, and two at once on two cores would only measure contention.
  const runs =
    extraArgs.length > 0
      ? [['all', extraArgs]]
      : [
          ['unit', ['--project', '!e2e']],
          ['e2e', ['--project', 'e2e', '--maxWorkers=1']],
        ];
  let code = 0;
  const totals = { passed: 0, failed: 0, skipped: 0, failedFiles: 0 };
  for (const [name, args] of runs) {
    const results = join(root, '.takt', `test-results-${name}.json`);
    rmSync(results, { force: true });
    const c = run(process.execPath, [
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}`,
      ...args,
    ]);
    if (c !== 0) code = c;
    if (existsSync(results)) {
      const r = JSON.parse(readFileSync(results, 'utf8'));
      totals.passed += r.numPassedTests ?? 0;
      totals.failed += r.numFailedTests ?? 0;
      totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      totals.failedFiles += (r.testResults ?? []).filter((f) => f.status === 'failed').length;
    } else if (c !== 0) totals.failed += 1;
  }
  // a file whose setup fails skips its tests without failing one: count it, so the line never reads green
  const files =
    totals.failedFiles > 0 ? `; ${totals.failedFiles} test file${totals.failedFiles === 1 ? '' : 's'} failed` : '';
  process.stdout.write(
    `\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped${files}\n`,
  );
  process.exit(code);
}

async function start(extraArgs) {
  ensureNodeModules();
  ensureOsPackages(['influxd']);
  build();
  const code = run(process.execPath, [join(root, 'scripts', 'start-plant.mjs'), ...extraArgs]);
  process.exit(code);
}

function bench(extraArgs) {
  ensureNodeModules();
  ensureOsPackages(['influxd', 'mosquitto', 'mosquitto_pub', 'redis-server']);
  build();
  process.exit(
    run(process.execPath, [
      '--conditions=@takt/source',
      '--import',
      'tsx',
      join(root, 'bench', 'src', 'run.ts'),
      ...extraArgs,
    ]),
  );
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'test') test(rest);
else if (command === 'start') await start(rest);
else if (command === 'bench') bench(rest);
else {
  say('usage: node scripts/takt.mjs test|start|bench [args]');
  process.exit(2);
}
