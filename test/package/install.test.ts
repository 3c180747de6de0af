import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runProcess } from '../helpers/cli.js';

// This file's loopback block: 127.103.0.0/16. The npm package as a user gets it: built in full (every
// dependency bundled), packed, installed with `npm install -g` into a fresh prefix with an empty npm cache
// and no network, then run from an empty directory: `demo`, and a `hunt` of a lab.

const ROOT = resolve('.');
let work: string;
let prefix: string;
let tarball: string;
let lab: Lab;

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kf-package-'));
  // The package is staged apart, so the dist/ other tests are running is never rebuilt under them.
  const stage = join(work, 'stage');
  mkdirSync(stage);
  for (const name of ['package.json', 'README.md', 'LICENSE', 'SECURITY.md', 'CHANGELOG.md', 'bin', 'schema']) {
    cpSync(join(ROOT, name), join(stage, name), { recursive: true });
  }
  run(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--quiet', '--outdir', join(stage, 'dist')], ROOT);
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, stage], work);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  prefix = join(work, 'prefix');
  // An empty cache and --offline: whatever the package needed from a registry would fail here.
  run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--cache',
      join(work, 'cache'),
      '--offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    work,
  );
  lab = await startLab({ base: '127.103.1.2', etcd: 'simulated', nodes: 1 });
});

after(async () => {
  await lab?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The installed executable, from an empty directory, with only the prefix's bin and node on the PATH. */
function installed(args: string[]) {
  const cwd = mkdtempSync(join(work, 'empty-'));
  const env = { PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}`, HOME: cwd, NO_COLOR: '1' };
  return runProcess('kubeferret', args, env, 120_000).then((r) => ({ ...r, cwd }));
}

describe('the npm package', () => {
  it('holds only what runs, the licence and the documents', () => {
    const files = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const top = new Set(files.map((f) => f.replace(/^package\//, '').split('/')[0]));
    assert.deepEqual(
      [...top].sort(),
      ['CHANGELOG.md', 'LICENSE', 'README.md', 'SECURITY.md', 'bin', 'dist', 'package.json', 'schema'].sort(),
    );
    assert.ok(files.includes('package/dist/data/cves.json'));
    // Bundled libraries keep their notices: each one's name, version and licence text.
    const notices = readFileSync(join(work, 'stage', 'dist', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    assert.match(notices, /^commander \d+\.\d+\.\d+ \(MIT\)\n\n\(The MIT License\)/m);
    assert.match(notices, /^undici \d+\.\d+\.\d+ \(MIT\)$/m);
    assert.ok(files.includes('package/dist/THIRD-PARTY-LICENSES.txt'));
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies, undefined, 'everything it runs is bundled: nothing to download');
  });

  it('installed into a fresh prefix, runs --version and demo from an empty directory', async () => {
    const version = await installed(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+ \(CVE data \d{4}-\d\d-\d\d, knowledge base [0-9a-f]{12}\)\n$/);
    const demo = await installed(['demo', '--base', '127.103.0.2', '--etcd', 'simulated']);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /\d+ findings: [1-9]\d* critical/);
    assert.deepEqual(readdirSync(demo.cwd), [], 'nothing written in the working directory');
  });

  it('installed, hunts a lab', async () => {
    const r = await installed(['hunt', '127.103.1.2-127.103.1.3', '--quick', '--format', 'json']);
    assert.equal(r.code, 1, `findings at or above high: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    assert.ok(
      report.findings.some((f: { kb: string }) => f.kb === 'KF-API-001'),
      'the insecure port',
    );
    assert.ok(report.findings.some((f: { kb: string }) => f.kb.startsWith('KF-KUBELET-')));
  });

  // The bundled kubeconfig reader once loaded nothing (a bundled dynamic import of its YAML library has only
  // a default export): the installed build must read a kubeconfig as the sources do.
  it('installed, hunts with a kubeconfig: the identity it names is the one surveyed', async () => {
    const kubeconfig = join(work, 'reader.kubeconfig');
    lab.kubeconfig('reader', kubeconfig);
    const since = lab.requests.length;
    const r = await installed(['hunt', '--kubeconfig', kubeconfig, '--quick', '--format', 'json']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.ok(
      (report.access.identities as string[]).some((name) => /reader/.test(name)),
      `reader surveyed: ${JSON.stringify(report.access.identities)}`,
    );
    assert.ok(
      lab.requests
        .slice(since)
        .some((q) => q.component === 'kube-apiserver' && q.identity === 'system:serviceaccount:default:reader'),
      "the API server took the caller for the kubeconfig's user",
    );
  });

  it('installed, an unreadable kubeconfig is one line and exit 2', async () => {
    const r = await installed(['hunt', '--kubeconfig', join(work, 'missing.kubeconfig'), '--quick']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /missing\.kubeconfig/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
