import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type CliRun, runKubeferret, runProcess } from '../../helpers/cli.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';

// This file's loopback block: 127.93.0.0/16. The real executable against a real server: every place a run
// writes is checked before the first packet, and a report is written whole or not at all. Read-only
// folders and full disks are real: a read-only bind mount and a small tmpfs, each inside a mount
// namespace of its own (`unshare --mount`), so they vanish with the process that made them.

const HOST = '127.93.0.2';
let server: TestServer;
let dir: string;

before(async () => {
  server = await startHttpServer(HOST, (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not here');
  });
  dir = mkdtempSync(join(tmpdir(), 'kf-output-'));
});
after(() => server.close());

/** Whether mounts can be made in a namespace of their own (root with util-linux); else why not. */
function mountNamespaces(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot make a read-only mount or a small tmpfs';
  const probe = spawnSync('unshare', ['--mount', '--', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `unshare --mount is unavailable (${probe.error?.message ?? probe.stderr.trim()})`;
  return undefined;
}

function needsMounts(t: TestContext): boolean {
  const why = mountNamespaces();
  if (!why) return true;
  if (process.env.KUBEFERRET_REQUIRE_COMPONENTS === '1') throw new Error(`${why}, and KUBEFERRET_REQUIRE_COMPONENTS=1`);
  t.skip(why);
  return false;
}

/**
 * Runs `script` (sh) in a mount namespace of its own; `$KF` is the kubeferret command line. Its output is
 * the script's, so a script can list a folder after kubeferret exits, while the mount still exists.
 */
function inMountNamespace(script: string): Promise<CliRun> {
  const kf = `${process.execPath} ${join(process.cwd(), 'bin', 'kubeferret.js')}`;
  return runProcess('unshare', ['--mount', '--', 'sh', '-c', script], { ...process.env, KF: kf }, 30_000);
}

function assertOneLine(r: { stderr: string }): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

const target = () => `${HOST}:${server.port}`;
const FAST = ['--timeout', '1', '--request-timeout', '2', '--hunter-timeout', '5', '--fail-on', 'none'];

describe('every output place is checked before the first packet', () => {
  it('a read-only --output-dir, --output or --trace folder is exit 2 in one line, and nothing is sent', async (t) => {
    if (!needsMounts(t)) return;
    const ro = join(dir, 'read-only');
    mkdirSync(ro);
    const before = server.connections();
    for (const [flags, message] of [
      [
        ['--format', 'json', '--output-dir', ro],
        /^kubeferret: --output-dir .*read-only: cannot write in .*read-only: read-only file system$/,
      ],
      [
        ['--format', 'json', '--output', join(ro, 'r.json')],
        /^kubeferret: --output .*r\.json: cannot write in .*: read-only file system$/,
      ],
      [
        ['--trace', join(ro, 'trace.jsonl')],
        /^kubeferret: --trace .*trace\.jsonl: cannot write in .*: read-only file system$/,
      ],
      [
        ['--format', 'json', '--output-dir', join(ro, 'new')],
        /^kubeferret: --output-dir .*new: cannot write in .*read-only: read-only file system$/,
      ],
    ] as const) {
      const r = await inMountNamespace(
        `mount --bind -o ro "${ro}" "${ro}" && exec $KF hunt ${target()} ${FAST.join(' ')} ${flags.join(' ')}`,
      );
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message);
      assertOneLine(r);
    }
    assert.equal(server.connections(), before, 'no connection was made');
  });

  it('an impossible --journal (/proc/nope/j.jsonl) is exit 2 within seconds, not a spin', async () => {
    const before = server.connections();
    const started = Date.now();
    const r = await runKubeferret(
      ['hunt', target(), ...FAST, '--active', '--yes', '--journal', '/proc/nope/j.jsonl'],
      {},
      20_000,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^kubeferret: cannot write the journal in \/proc\/nope: no such folder\n$/);
    assert.ok(Date.now() - started < 15_000, 'it answered, it did not spin until killed');
    assert.equal(server.connections(), before, 'no connection was made');
  });

  it('a --trace or --output that names a folder, or a missing folder, is exit 2 before anything is sent', async () => {
    const before = server.connections();
    const cases: [string[], RegExp][] = [
      [['--trace', dir], /^kubeferret: --trace .* is a folder: name a file\n$/],
      [
        ['--trace', join(dir, 'missing', 't.jsonl')],
        /^kubeferret: --trace .*t\.jsonl: cannot write in .*missing: no such folder\n$/,
      ],
      [['--format', 'json', '--output', dir], /^kubeferret: --output .* is a folder: name a file\n$/],
    ];
    for (const [flags, message] of cases) {
      const r = await runKubeferret(['hunt', target(), ...FAST, ...flags]);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(server.connections(), before, 'no connection was made');
  });
});

describe('reports are written whole or not at all', () => {
  let saved: string;
  before(async () => {
    saved = join(dir, 'saved.json');
    const r = await runKubeferret(['hunt', target(), ...FAST, '--format', 'json', '--output', saved]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a full disk (an 8 KiB tmpfs) leaves no cut report and no temporary file; the report that fits is written', async (t) => {
    if (!needsMounts(t)) return;
    const full = join(dir, 'full');
    mkdirSync(full);
    // An earlier report.html is there; the HTML does not fit, the quiet table (one line) does.
    const r = await inMountNamespace(
      [
        `mount -t tmpfs -o size=8k tmpfs "${full}"`,
        `printf 'earlier report\\n' > "${full}/report.html"`,
        `$KF report "${saved}" --quiet --format html --output "${full}/report.html" --format table --output "${full}/report.txt"`,
        'echo "exit=$?"',
        `ls -A "${full}"`,
        `cat "${full}/report.html" "${full}/report.txt"`,
      ].join('; '),
    );
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes('exit=3'), r.stdout + r.stderr);
    assert.match(r.stderr, /^kubeferret: cannot write .*report\.html: no space left on the device\n$/);
    const listing = lines.slice(lines.indexOf('exit=3') + 1, lines.indexOf('exit=3') + 3);
    assert.deepEqual(listing, ['report.html', 'report.txt'], 'no temporary file left behind');
    assert.equal(lines.at(-2), 'earlier report', 'the earlier report is intact, not cut');
    assert.match(lines.at(-1) ?? '', /^\d+ findings?: /, 'the report that fits was written');
  });

  it('rewrites a report in place through a symbolic link, and writes to /dev/null without replacing it', async () => {
    const real = join(dir, 'real.md');
    writeFileSync(real, 'old');
    const link = join(dir, 'link.md');
    spawnSync('ln', ['-s', real, link]);
    const r = await runKubeferret([
      'report',
      saved,
      '--format',
      'markdown',
      '--output',
      link,
      '--format',
      'json',
      '--output',
      '/dev/null',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(real, 'utf8'), /^## kubeferret: /);
    assert.equal(spawnSync('test', ['-L', link]).status, 0, 'the link is still a link');
    assert.equal(spawnSync('test', ['-c', '/dev/null']).status, 0, '/dev/null is still a device');
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
    );
  });
});
