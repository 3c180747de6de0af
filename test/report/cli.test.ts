import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { render } from '../../src/report/formats.js';
import { buildReport } from '../../src/report/model.js';
import { requireComponent } from '../helpers/components.js';
import { type Fixture, startFixture } from './hunt-fixture.js';
import { reportValidator, sarifValidator } from './validators.js';

// This file's loopback block: 127.33.0.0/16. The real executable, as CI runs it: exit codes, baselines,
// output files, colour.

/** The environment without colour settings (Node warns when both are set), plus `extra`. */
function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return { ...env, ...extra };
}

function kubeferret(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/kubeferret.js', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: envWith(env),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let fx: Fixture;
let dir: string;
/** A JSON report saved from a real hunt, as `kubeferret hunt --format json --output` writes it. */
async function savedHunt(name: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, render('json', buildReport(await fx.hunt()), { color: false, quiet: false }));
  return path;
}

before(async () => {
  fx = await startFixture('127.33');
  dir = mkdtempSync(join(tmpdir(), 'kf-cli-report-'));
});
after(() => fx.close());

describe('kubeferret report and CI use', () => {
  it('--fail-on sets the exit code', async () => {
    const saved = await savedHunt('first.json');
    assert.equal(kubeferret(['report', saved, '--quiet']).code, 0, 'report alone never fails');
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on', 'high']).code, 1);
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on', 'critical']).code, 1);
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on', 'none']).code, 0);
    const quiet = kubeferret(['report', saved, '--quiet']);
    assert.equal(
      quiet.stdout,
      '3 findings: 1 critical, 1 high, 0 medium, 1 low, 0 info · incomplete: 2 not fully examined\n',
    );
  });

  it('--fail-on-incomplete exits 4 on a report with coverage gaps, unless findings already exit 1', async () => {
    const saved = await savedHunt('incomplete.json');
    assert.equal(JSON.parse(readFileSync(saved, 'utf8')).coverage.length, 2);
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on-incomplete']).code, 4);
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on-incomplete', '--fail-on', 'high']).code, 1);
    assert.equal(kubeferret(['report', saved, '--quiet', '--fail-on-incomplete', '--fail-on', 'critical']).code, 1);
    // The same report with nothing left unexamined is clean.
    const complete = JSON.parse(readFileSync(saved, 'utf8'));
    complete.coverage = [];
    complete.stats.gaps = 0;
    const clean = join(dir, 'complete.json');
    writeFileSync(clean, JSON.stringify(complete));
    const r = kubeferret(['report', clean, '--quiet', '--fail-on-incomplete']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '3 findings: 1 critical, 1 high, 0 medium, 1 low, 0 info\n');
  });

  it('a baseline suppresses accepted findings, reports the new and the fixed, and suppressed ones do not fail', async () => {
    fx.state.kubeletRunOpen = true;
    fx.state.anonymousPods = false;
    const first = await savedHunt('baseline-run-1.json');
    const baseline = join(dir, 'baseline.json');
    const w = kubeferret(['report', first, '--write-baseline', baseline, '--quiet', '--fail-on', 'high']);
    assert.equal(w.code, 1, w.stderr);
    assert.equal(JSON.parse(readFileSync(baseline, 'utf8')).findings.length, 3);

    // The same cluster again: everything accepted, nothing fails.
    const same = kubeferret(['report', first, '--baseline', baseline, '--fail-on', 'low', '--quiet']);
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, /baseline: 0 new, 3 suppressed, 0 fixed/);

    // The kubelet is fixed, the API server now answers anonymous callers.
    fx.state.kubeletRunOpen = false;
    fx.state.anonymousPods = true;
    const second = await savedHunt('baseline-run-2.json');
    const out = join(dir, 'with-baseline.json');
    const r = kubeferret([
      'report',
      second,
      '--baseline',
      baseline,
      '--format',
      'json',
      '--output',
      out,
      '--format',
      'table',
      '--fail-on',
      'high',
    ]);
    assert.equal(r.code, 1, 'the new high finding fails the build');
    assert.match(r.stdout, /baseline: 1 new, 2 suppressed, 1 fixed/);
    assert.match(r.stdout, /fixed since the baseline/);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(reportValidator()(report), undefined);
    const news = report.findings.filter((f: { baseline: string }) => f.baseline === 'new');
    assert.deepEqual(
      news.map((f: { path: string }) => f.path),
      ['/api/v1/pods'],
    );
    assert.deepEqual(
      report.baseline.fixed.map((f: { location: string }) => f.location),
      [`${fx.kubelet.host}:${fx.kubelet.port}/run`],
    );
    // The critical finding is accepted: with only it above the bar, the build passes.
    assert.equal(kubeferret(['report', second, '--baseline', baseline, '--fail-on', 'critical', '--quiet']).code, 0);
    assert.equal(kubeferret(['report', second, '--fail-on', 'critical', '--quiet']).code, 1);
    fx.state.kubeletRunOpen = true;
    fx.state.anonymousPods = false;
  });

  it('pairs each --format with its --output, or writes them all into --output-dir', async () => {
    const saved = await savedHunt('pairs.json');
    const sarif = join(dir, 'out.sarif');
    const md = join(dir, 'out.md');
    const r = kubeferret([
      'report',
      saved,
      '--format',
      'sarif',
      '--output',
      sarif,
      '--format',
      'markdown',
      '--output',
      md,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      '3 findings: 1 critical, 1 high, 0 medium, 1 low, 0 info · incomplete: 2 not fully examined\n',
    );
    assert.equal(sarifValidator()(JSON.parse(readFileSync(sarif, 'utf8'))), undefined);
    assert.match(readFileSync(md, 'utf8'), /^## kubeferret: /);

    const outDir = join(dir, 'all');
    const args = ['report', saved, '--output-dir', outDir];
    for (const f of ['json', 'yaml', 'sarif', 'html', 'markdown', 'kube-hunter', 'table']) args.push('--format', f);
    assert.equal(kubeferret(args).code, 0);
    for (const name of [
      'report.json',
      'report.yaml',
      'report.sarif',
      'report.html',
      'report.md',
      'kube-hunter.json',
      'report.txt',
    ]) {
      assert.ok(existsSync(join(outDir, name)), name);
    }
    const html = kubeferret(['report', saved, '--format', 'html']);
    assert.match(html.stdout, /^<!doctype html>/);
  });

  it('the table is coloured on a terminal, plain elsewhere and with NO_COLOR', async (t) => {
    const saved = await savedHunt('colour.json');
    assert.doesNotMatch(kubeferret(['report', saved]).stdout, /\x1b\[/, 'not a TTY');
    assert.match(kubeferret(['report', saved], { FORCE_COLOR: '1' }).stdout, /\x1b\[/);
    assert.doesNotMatch(kubeferret(['report', saved], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout, /\x1b\[/);
    if (!requireComponent(t, 'script', 'bsdutils')) return;
    // A real pseudo-terminal: `script` runs the command with its stdout on a TTY.
    const command = `${process.execPath} bin/kubeferret.js report ${saved}`;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: envWith({ TERM: 'xterm' }),
    });
    assert.match(tty.stdout, /\x1b\[/, 'coloured on a TTY');
    const ttyNoColor = spawnSync('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: envWith({ NO_COLOR: '1', TERM: 'xterm' }),
    });
    assert.doesNotMatch(ttyNoColor.stdout, /\x1b\[[0-9;]*m/, 'NO_COLOR wins on a TTY');
  });

  it('the hunt command writes its reports through the same flags', () => {
    const json = join(dir, 'hunt.json');
    const r = kubeferret([
      'hunt',
      `${fx.kubelet.host}:${fx.kubelet.port}`,
      '--format',
      'json',
      '--output',
      json,
      '--fail-on',
      'none',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(reportValidator()(report), undefined);
    assert.deepEqual(report.hosts[0].openPorts, [fx.kubelet.port]);
  });

  it('bad output flags, baselines and report files are one clear line and exit 2, before anything is sent', async () => {
    const saved = await savedHunt('bad.json');
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"version":"2.1.0","runs":[]}');
    const cases: [string[], RegExp][] = [
      [
        ['report', saved, '--format', 'pdf'],
        /--format takes one of table, json, yaml, sarif, html, markdown, kube-hunter, not "pdf"/,
      ],
      [['report', saved, '--format', 'json', '--format', 'sarif'], /only one format can go to stdout/],
      [['report', saved, '--format', 'json', '--output', 'a', '--output', 'b'], /2 --output for 1 --format/],
      [['report', saved, '--output-dir', dir, '--output', 'x'], /--output and --output-dir exclude each other/],
      [
        ['report', saved, '--format', 'json', '--output', '/nonexistent-dir/r.json'],
        /^kubeferret: --output \/nonexistent-dir\/r\.json: cannot write in \/nonexistent-dir: no such folder\n$/,
      ],
      [
        ['report', saved, '--baseline', '/nonexistent/b.json'],
        /cannot read baseline \/nonexistent\/b.json: no such file/,
      ],
      [['report', saved, '--baseline', foreign], /is not a kubeferret baseline/],
      [['report', foreign], /is not a kubeferret report/],
      [['report', '/nonexistent/r.json'], /cannot read report \/nonexistent\/r.json: no such file/],
      [
        ['hunt', `${fx.kubelet.host}:${fx.kubelet.port}`, '--format', 'json', '--format', 'yaml'],
        /only one format can go to stdout/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = kubeferret(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
