// Runs every test file under test/ with Node's test runner through tsx.
// Node 20's runner does not expand globs, so the files are listed here.
// It builds dist/ first (a quick build that leaves the dependencies in node_modules), so tests that run
// bin/kubeferret.js run the sources as they are now, never a stale build. The package test builds and
// installs the full package on its own.
//
// Where it can (root, with util-linux's unshare and iproute2's ip), it runs them in a network namespace of
// their own in which only loopback is up: whatever a test, a real component (etcd, kubectl, Chromium) or a
// mistake tries to reach beyond 127.0.0.0/8 and ::1 fails at once and never leaves the machine.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildDist } from './build.mjs';

const INSIDE = 'KUBEFERRET_TEST_NETNS';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(2);
}

/** A fresh network namespace with loopback up, or why there is none. */
function isolation() {
  if (process.env[INSIDE]) return { inside: true };
  if (process.getuid?.() !== 0) return { why: 'not root' };
  const probe = spawnSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (probe.error) return { why: probe.error.code === 'ENOENT' ? 'unshare is not installed' : probe.error.message };
  if (probe.status !== 0) return { why: (probe.stderr || 'unshare --net failed').trim().split('\n')[0] };
  return { available: true };
}

const runner = [
  '--import',
  'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 3}`,
  ...files,
];
try {
  await buildDist({ mode: 'dev', quiet: true });
} catch (err) {
  console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
// A KUBECONFIG (or SSL_CERT_FILE) of the person running the tests must not reach them: kubeferret reads
// KUBECONFIG when no target is named, as kubectl does, and a test expecting "name a target" would hunt
// that cluster instead.
const env = { ...process.env };
delete env.KUBECONFIG;
delete env.SSL_CERT_FILE;

const where = isolation();
let result;
if (where.available) {
  console.log('tests run in a network namespace of their own: only loopback is reachable');
  result = spawnSync(
    'unshare',
    ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...runner],
    { stdio: 'inherit', env: { ...env, [INSIDE]: '1' } },
  );
} else {
  if (!where.inside) {
    const line = `tests run in this machine's network namespace (${where.why}): they address only loopback`;
    if (process.env.KUBEFERRET_REQUIRE_COMPONENTS === '1') {
      console.error(`${line}, but KUBEFERRET_REQUIRE_COMPONENTS=1 asks for the isolated namespace`);
      process.exit(1);
    }
    console.log(line);
  }
  result = spawnSync(process.execPath, runner, { stdio: 'inherit', env });
}
process.exit(result.status ?? 1);
