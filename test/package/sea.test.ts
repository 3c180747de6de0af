import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runProcess } from '../helpers/cli.js';

// This file's loopback block: 127.95.0.0/16. The single executable (scripts/sea.mjs): built, copied into
// an empty directory, run with no node_modules and no Node on the PATH.

const ROOT = resolve('.');
let work: string;
let executable: string;
let lab: Lab;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kf-sea-'));
  const built = await runProcess(
    process.execPath,
    [join(ROOT, 'scripts/sea.mjs'), join(work, 'build')],
    process.env,
    240_000,
  );
  assert.equal(built.code, 0, built.stderr);
  executable = join(work, 'build', 'kubeferret');
  lab = await startLab({ base: '127.95.1.2', etcd: 'simulated', nodes: 1 });
});

after(async () => {
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the executable from an empty directory with an environment that names no Node at all. */
async function sea(args: string[]) {
  const cwd = mkdtempSync(join(work, 'empty-'));
  const r = await runProcess(executable, args, { PATH: '/nonexistent', HOME: cwd, NO_COLOR: '1' }, 120_000);
  return { ...r, left: readdirSync(cwd) };
}

describe('the single executable', {
  skip: process.platform !== 'linux' && 'single executables are built for linux here',
}, () => {
  it('prints its version without node or node_modules', async () => {
    const r = await sea(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+ \(CVE data \d{4}-\d\d-\d\d, knowledge base [0-9a-f]{12}\)\n$/);
    assert.equal(r.stderr, '', 'no experimental-feature warning');
  });

  it('hunts the lab from an empty directory, writing nothing there', async () => {
    const r = await sea(['hunt', '127.95.1.2-127.95.1.3', '--quick', '--format', 'json']);
    assert.equal(r.code, 1, `findings at or above high: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    assert.ok(report.findings.some((f: { kb: string }) => f.kb === 'KF-API-001'));
    assert.ok(
      report.findings.some((f: { kb: string }) => f.kb.startsWith('CVE-')),
      'the compiled CVE data is inside',
    );
    assert.deepEqual(r.left, []);
  });

  it('gives one line for bad usage, as the npm build does', async () => {
    const r = await sea(['hunt', '10.0.0.0/33']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'kubeferret: "10.0.0.0/33": the prefix length must be 0-32\n');
  });
});
