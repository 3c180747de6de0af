import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runProcess } from '../helpers/cli.js';
import { hasCommand, requireComponent } from '../helpers/components.js';

// This file's loopback block: 127.105.0.0/16. The single executable (scripts/sea.mjs): built, run from an
// empty directory with no node_modules and no Node on the PATH; then the image from scratch around it
// (scripts/image.mjs), built with buildah and run with podman where this machine can run containers.

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
  lab = await startLab({ base: '127.105.1.2', etcd: 'simulated', nodes: 1 });
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
    const r = await sea(['hunt', '127.105.1.2-127.105.1.3', '--quick', '--format', 'json']);
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

describe('the image from scratch', { skip: process.platform !== 'linux' && 'images are built for linux' }, () => {
  const IMAGE = `localhost/kubeferret-test:${process.pid}`;
  let built = false;
  after(() => {
    if (built) spawnSync('buildah', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
  });

  it('holds the executable and its libraries only, and runs as a user that is not root', async (t) => {
    if (!requireComponent(t, 'buildah', 'buildah')) return;
    const r = await runProcess(
      process.execPath,
      [join(ROOT, 'scripts/image.mjs'), IMAGE, executable],
      process.env,
      240_000,
    );
    assert.equal(r.code, 0, r.stderr);
    built = true;
    const config = JSON.parse(spawnSync('buildah', ['inspect', '--type', 'image', IMAGE], { encoding: 'utf8' }).stdout);
    assert.equal(config.OCIv1.config.User, '65532:65532');
    assert.deepEqual(config.OCIv1.config.Entrypoint, ['/kubeferret']);
    const container = spawnSync('buildah', ['from', IMAGE], { encoding: 'utf8' }).stdout.trim();
    try {
      const root = spawnSync('buildah', ['mount', container], { encoding: 'utf8' }).stdout.trim();
      const files = spawnSync('find', [root, '-type', 'f'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map((f) => f.slice(root.length));
      assert.ok(files.includes('/kubeferret'));
      assert.ok(!files.some((f) => /\/(sh|bash|busybox)$/.test(f)), `no shell: ${files.join(' ')}`);
      assert.ok(
        files.every((f) => f === '/kubeferret' || /\/lib[^/]*\.so/.test(f) || /ld-linux/.test(f)),
        files.join(' '),
      );
    } finally {
      spawnSync('buildah', ['umount', container]);
      spawnSync('buildah', ['rm', container]);
    }
  });

  it('runs kubeferret demo in a container', async (t) => {
    if (!built) return t.skip('the image was not built');
    if (!hasCommand('podman')) return t.skip('podman not found (Debian package podman): the image cannot be run here');
    const r = await runProcess(
      'podman',
      ['run', '--rm', '--network', 'none', IMAGE, 'demo', '--etcd', 'simulated'],
      process.env,
      240_000,
    );
    const refusal = /OCI permission denied|setrlimit|cannot set up namespace|operation not permitted/i.exec(r.stderr);
    if (r.code !== 0 && refusal) {
      return t.skip(
        `this machine cannot run containers (${r.stderr.trim().split('\n').at(-1)}); the image was built and inspected only`,
      );
    }
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\d+ findings: [1-9]\d* critical/);
  });
});
