import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readKbSources } from '../../src/kb/sources.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { type CliRun, runProcess } from '../helpers/cli.js';

// This file's loopback block: 127.100.0.0/16. Every command the way a pod with a read-only root filesystem
// runs it: a user other than root, a temporary directory nobody can write, no home directory. Nothing may
// be written but the outputs the user names (in a directory they can write).

const NOBODY = 65_534;
const BIN = resolve('bin/kubeferret.js');

let lab: Lab;
let work: string;
let readOnlyTmp: string;
let podDir: string;
/** The user the commands run as: nobody when the tests run as root, this user otherwise. */
let asUser: { uid: number; gid: number } | undefined;
let cannotRun: string | undefined;

/** Runs a program as `asUser` in `work` with exactly `env`; killed after two minutes. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runProcess(process.execPath, args, env, 120_000, { cwd: work, ...asUser });
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kf-unprivileged-'));
  readOnlyTmp = mkdtempSync(join(tmpdir(), 'kf-readonly-tmp-'));
  chmodSync(readOnlyTmp, 0o555);
  chmodSync(work, 0o777);
  lab = await startLab({ base: '127.100.1.2', etcd: 'simulated', nodes: 1 });
  podDir = join(work, 'pod');
  lab.podFiles(podDir, 'default/default');
  chmodSync(podDir, 0o755);
  chmodSync(join(podDir, 'token'), 0o644);
  if (process.getuid?.() === 0) {
    asUser = { uid: NOBODY, gid: NOBODY };
    // A checkout under /root cannot be read by nobody: then there is nothing to run.
    const probe = await run(['-e', `require('node:fs').readFileSync(${JSON.stringify(BIN)})`], {});
    if (probe.code !== 0) cannotRun = `nobody cannot read ${BIN} or run node: ${probe.stderr.split('\n')[0]}`;
  }
});

after(async () => {
  await lab?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(readOnlyTmp, { recursive: true, force: true });
});

/** Runs kubeferret as the unprivileged user, in `work`, with an unwritable TMPDIR and no HOME. */
function kubeferret(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return run([BIN, ...args], {
    PATH: process.env.PATH,
    TMPDIR: readOnlyTmp,
    HOME: '/nonexistent',
    NO_COLOR: '1',
    ...env,
  });
}

function assertClean(r: CliRun, what: string): void {
  assert.doesNotMatch(r.stderr, /\n\s+at |EACCES|EROFS/, `${what}: no stack trace, no write refused: ${r.stderr}`);
}

describe('every command as a user with an unwritable TMPDIR and no home', () => {
  it('the temporary directory is really unwritable for that user', async (t) => {
    if (cannotRun) return t.skip(`cannot run as nobody: ${cannotRun}`);
    const r = await run(['-e', `require('node:fs').writeFileSync(${JSON.stringify(join(readOnlyTmp, 'x'))}, 'x')`], {});
    assert.notEqual(r.code, 0, 'the probe write must fail, or this file tests nothing');
    assert.match(r.stderr, /EACCES/);
  });

  for (const args of [['--version'], ['list'], ['list', '--kb'], ['explain', 'KHV002'], ['cve', 'list'], ['--help']]) {
    it(`kubeferret ${args.join(' ')}`, async (t) => {
      if (cannotRun) return t.skip(`cannot run as nobody: ${cannotRun}`);
      const r = await kubeferret(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 0);
      assertClean(r, args.join(' '));
    });
  }

  it('kubeferret demo', async (t) => {
    if (cannotRun) return t.skip(`cannot run as nobody: ${cannotRun}`);
    const r = await kubeferret(['demo', '--base', '127.100.0.2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\d+ findings: \d+ critical/);
    assertClean(r, 'demo');
  });

  it('kubeferret hunt of a lab writes only the report it was asked for', async (t) => {
    if (cannotRun) return t.skip(`cannot run as nobody: ${cannotRun}`);
    const r = await kubeferret([
      'hunt',
      '127.100.1.2-127.100.1.3',
      '--quick',
      '--format',
      'json',
      '--output',
      'r.json',
      '--format',
      'table',
      '--output',
      '-',
    ]);
    assertClean(r, 'hunt');
    assert.equal(r.code, 1, `exit 1: findings at or above the default --fail-on: ${r.stderr}`);
    const report = JSON.parse(readFileSync(join(work, 'r.json'), 'utf8'));
    assert.ok(report.findings.length > 0);
    // Every report names what judged the run: the version, the CVE data's day, the knowledge-base revision.
    const kb = readKbSources();
    assert.deepEqual(report.tool, {
      name: 'kubeferret',
      version: JSON.parse(readFileSync('package.json', 'utf8')).version,
      cveData: kb.cves.updated,
      kbRevision: kb.revision,
    });
    assert.match(r.stdout, new RegExp(`CVE data ${kb.cves.updated}, knowledge base ${kb.revision}`));
  });

  it('kubeferret hunt --pod, the way the Job runs it', async (t) => {
    if (cannotRun) return t.skip(`cannot run as nobody: ${cannotRun}`);
    const env = {
      KUBERNETES_SERVICE_HOST: '127.100.1.2',
      KUBERNETES_SERVICE_PORT: '6443',
    };
    const r = await kubeferret(['hunt', '--pod', '--pod-dir', podDir, '--quick', '--format', 'json'], env);
    assertClean(r, 'hunt --pod');
    const report = JSON.parse(r.stdout);
    assert.ok(Array.isArray(report.findings));
  });
});
