import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { reportValidator, sarifValidator } from '../report/validators.js';

// `kubeferret check` run as a user runs it (the built executable): manifests in, findings at file and line
// out, SARIF valid against the 2.1.0 schema; no network at all.

const FIXTURES = 'test/fixtures/ops';

function kubeferret(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['bin/kubeferret.js', ...args], { encoding: 'utf8', timeout: 30_000, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface SarifResult {
  ruleId: string;
  locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
}

describe('kubeferret check', () => {
  it('reports each situation of a directory at its file and line, in SARIF valid against 2.1.0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-check-'));
    const sarifFile = join(dir, 'out.sarif');
    const jsonFile = join(dir, 'out.json');
    const r = kubeferret([
      'check',
      FIXTURES,
      '--format',
      'sarif',
      '--output',
      sarifFile,
      '--format',
      'json',
      '--output',
      jsonFile,
      '--fail-on',
      'none',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    assert.equal(sarifValidator()(sarif), undefined);
    assert.equal(reportValidator()(JSON.parse(readFileSync(jsonFile, 'utf8'))), undefined);
    const where = (sarif.runs[0].results as SarifResult[])
      .filter((x) => x.ruleId.startsWith('KF-OPS-'))
      .map((x) => {
        const p = x.locations[0].physicalLocation;
        return `${x.ruleId} ${p.artifactLocation.uri}:${p.region.startLine}`;
      })
      .sort();
    assert.deepEqual(where, [
      // The field's own line where the check names one (spec.replicas, terminationGracePeriodSeconds).
      'KF-OPS-001 test/fixtures/ops/checkout.yaml:8',
      'KF-OPS-002 test/fixtures/ops/list.json:5',
      'KF-OPS-002 test/fixtures/ops/watchers.yaml:85',
      'KF-OPS-003 test/fixtures/ops/list.json:14',
      'KF-OPS-004 test/fixtures/ops/agents.yaml:11',
      'KF-OPS-005 test/fixtures/ops/probes.yaml:16',
      // Inside a literal block: the plugin's line in the Corefile, the mode's in kube-proxy's config.conf.
      'KF-OPS-006 test/fixtures/ops/dns.yaml:13',
      // Per namespace, at the pod spec of its first workload.
      'KF-OPS-007 test/fixtures/ops/agents.yaml:10',
      'KF-OPS-007 test/fixtures/ops/dns.yaml:37',
      'KF-OPS-008 test/fixtures/ops/dns.yaml:26',
      'KF-OPS-010 test/fixtures/ops/scheduling.yaml:27',
      'KF-OPS-011 test/fixtures/ops/scheduling.yaml:58',
      'KF-OPS-013 test/fixtures/ops/scheduling.yaml:83',
      // The DaemonSet's service account, bound cluster-wide by a ClusterRoleBinding in the same directory.
      'KF-OPS-014 test/fixtures/ops/watchers.yaml:32',
    ]);
    // What the DNS checks could not judge is coverage, at the Corefile's line.
    const coverage = JSON.parse(readFileSync(jsonFile, 'utf8')).coverage as { subject: string; detail: string }[];
    assert.match(
      coverage.find((c) => c.subject === 'test/fixtures/ops/dns.yaml:86')?.detail ?? '',
      /^kube-system\/ConfigMap\/coredns-managed: Corefile not judged fully: the server blocks it imports \(custom\/\*\.server\)$/,
    );
    // The security hunters' pod-spec checks run on manifests too.
    assert.ok((sarif.runs[0].results as SarifResult[]).some((x) => x.ruleId === 'KF-WORKLOAD-005'));
  });

  it('a file that is not Kubernetes YAML is one line each and the run goes on; the report says it is incomplete', () => {
    const r = kubeferret(['check', FIXTURES, '--fail-on', 'none', '--fail-on-incomplete', '--quiet']);
    assert.equal(r.code, 4, 'incomplete: exit 4 as for hunt');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('kubeferret: test/fixtures'));
    assert.deepEqual(
      lines.map((l) => l.split(': ').slice(0, 2).join(': ')),
      [
        'kubeferret: test/fixtures/ops/list.json:20',
        'kubeferret: test/fixtures/ops/not-kubernetes.yaml:1',
        'kubeferret: test/fixtures/ops/not-kubernetes.yaml:5',
      ],
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    // 14 operational risks and 14 workloads that may run as root (KF-WORKLOAD-005); 3 things not read and
    // a Corefile whose imported server blocks could not be judged (the Nodes of scheduling.yaml let the
    // node-dependent checks judge).
    assert.match(r.stdout, /28 findings: .* · incomplete: 4 not fully examined/);
  });

  it('reads standard input (kubectl kustomize | kubeferret check -) and exits 1 at --fail-on', () => {
    const r = kubeferret(
      ['check', '-', '--fail-on', 'medium', '--quiet'],
      readFileSync(join(FIXTURES, 'checkout.yaml'), 'utf8'),
    );
    assert.equal(r.code, 1, r.stderr);
    // The two medium ones, and the namespace's pods resolving with ndots 5 (low).
    assert.match(r.stdout, /3 findings: 0 critical, 0 high, 2 medium, 1 low/);
    const low = kubeferret(
      ['check', '-', '--fail-on', 'high', '--quiet'],
      readFileSync(join(FIXTURES, 'checkout.yaml'), 'utf8'),
    );
    assert.equal(low.code, 0);
  });

  it('a path that does not exist is one usage line and exit 2', () => {
    const r = kubeferret(['check', join(FIXTURES, 'no-such-dir')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^kubeferret: check: cannot read test\/fixtures\/ops\/no-such-dir: ENOENT\n$/);
  });
});

describe('kubeferret check: choosing checks and the Kubernetes version', () => {
  const sarifRules = (args: string[]) => {
    const r = kubeferret(['check', FIXTURES, '--fail-on', 'none', '--format', 'sarif', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarifValidator()(sarif), undefined);
    return {
      rules: [...new Set((sarif.runs[0].results as SarifResult[]).map((x) => x.ruleId))].sort(),
      stderr: r.stderr,
    };
  };

  it('--only and --skip take KB ids and tags as hunt does, and the run says it is partial', () => {
    const only = sarifRules(['--only', 'KF-OPS-014,kf-ops-002']);
    assert.deepEqual(only.rules, ['KF-OPS-002', 'KF-OPS-014']);
    const partial = /^kubeferret: partial run: --only KF-OPS-014,kf-ops-002: \d+ hunter\(s\) not run: (.*)$/m.exec(
      only.stderr,
    );
    assert.ok(partial, only.stderr);
    const left = partial[1].split(', ');
    assert.ok(left.includes('manifest-kf-ops-001') && left.includes('manifest-kf-workload-005'));
    assert.ok(!left.includes('manifest-kf-ops-014') && !left.includes('manifest-read'), 'the chosen, and the reading');
    const skip = sarifRules(['--skip', 'ops']);
    assert.deepEqual(skip.rules, ['KF-WORKLOAD-005']);
    const ops = sarifRules(['--only', 'ops', '--skip', 'KF-OPS-005']);
    assert.deepEqual(ops.rules, [
      'KF-OPS-001',
      'KF-OPS-002',
      'KF-OPS-003',
      'KF-OPS-004',
      'KF-OPS-006',
      'KF-OPS-007',
      'KF-OPS-008',
      'KF-OPS-010',
      'KF-OPS-011',
      'KF-OPS-013',
      'KF-OPS-014',
    ]);
  });

  it('--min-severity leaves out the checks and findings below it', () => {
    // KF-OPS-003, KF-OPS-005 and KF-OPS-007 are low.
    const { rules, stderr } = sarifRules(['--min-severity', 'medium']);
    assert.deepEqual(rules, [
      'KF-OPS-001',
      'KF-OPS-002',
      'KF-OPS-004',
      'KF-OPS-006',
      'KF-OPS-008',
      'KF-OPS-010',
      'KF-OPS-011',
      'KF-OPS-014',
      'KF-WORKLOAD-005',
    ]);
    assert.match(stderr, /findings below medium left out of the report/);
  });

  it('--kubernetes-version judges the version-aware check; without it the version is said to be unknown', () => {
    const probe = (args: string[]) => {
      const r = kubeferret(['check', join(FIXTURES, 'probes.yaml'), '--fail-on', 'none', '--format', 'json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      return (report.findings as { kb: string; evidence: string }[]).find((f) => f.kb === 'KF-OPS-005')?.evidence ?? '';
    };
    assert.match(probe(['--kubernetes-version', '1.19']), /on Kubernetes 1\.19 exec probe timeouts are not enforced/);
    assert.match(probe(['--kubernetes-version', 'v1.28.3']), /on Kubernetes 1\.28 a probe killed at its timeout/);
    assert.match(probe([]), /the version was not known/);
  });

  it('DaemonSets without RBAC objects or Nodes among the manifests: one operational-checks line says what was not judged, as a live hunt does', () => {
    const file = join(FIXTURES, 'agents.yaml');
    const gapsOf = (args: string[]) => {
      const r = kubeferret(['check', ...args, '--fail-on', 'none', '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout).coverage as { hunter: string; subject: string; reason: string; detail: string }[])
        .filter((g) => g.hunter.startsWith('manifest-kf-ops-') || g.hunter === 'manifest-operational-checks')
        .map((g) => [g.hunter, g.subject, g.reason, g.detail]);
    };
    assert.deepEqual(gapsOf([file]), [
      [
        'manifest-operational-checks',
        `operational checks (${file})`,
        'skipped',
        'not judged: the nodes (no manifest is a Node): volumes on gone nodes (KF-OPS-010), work no node can run (KF-OPS-011), ' +
          'whether the pods of 3 DaemonSets fit what is free on each node (KF-OPS-004); ' +
          'the RBAC objects (no manifest is one): whether 3 DaemonSets may list or watch pods cluster-wide (KF-OPS-014)',
      ],
    ]);
    // The manifests are judged together: the Nodes of one input and the RBAC objects of another count for all.
    const inputs = [file, join(FIXTURES, 'scheduling.yaml'), join(FIXTURES, 'watchers.yaml')];
    assert.deepEqual(gapsOf(inputs), []);
    // Without the Nodes, the line names every input (three at most, then how many).
    const four = [file, join(FIXTURES, 'watchers.yaml'), join(FIXTURES, 'probes.yaml'), join(FIXTURES, 'decoys.yaml')];
    const [[, subject, , detail]] = gapsOf(four);
    assert.equal(subject, `operational checks (${four.slice(0, 3).join(', ')}, … (4 in all))`);
    assert.doesNotMatch(detail, /RBAC/);
    // A selection keeps only its own checks in the line; none of them left, no line.
    assert.deepEqual(
      gapsOf([file, '--only', 'KF-OPS-014']).map((g) => g[3]),
      [
        'not judged: the RBAC objects (no manifest is one): whether 3 DaemonSets may list or watch pods cluster-wide (KF-OPS-014)',
      ],
    );
    assert.deepEqual(gapsOf([file, '--only', 'KF-OPS-001']), []);
  });

  it('standard input is named as such in the line', () => {
    const r = kubeferret(
      ['check', '-', '--fail-on', 'none', '--format', 'json'],
      readFileSync(join(FIXTURES, 'agents.yaml'), 'utf8'),
    );
    assert.equal(r.code, 0, r.stderr);
    const gap = (JSON.parse(r.stdout).coverage as { hunter: string; subject: string }[]).find(
      (g) => g.hunter === 'manifest-operational-checks',
    );
    assert.equal(gap?.subject, 'operational checks (standard input)');
  });

  for (const [args, line] of [
    [
      ['--kubernetes-version', '2.0'],
      '--kubernetes-version takes a Kubernetes version as X.Y (1.19, v1.28.3), not "2.0"',
    ],
    [
      ['--kubernetes-version', '1.x'],
      '--kubernetes-version takes a Kubernetes version as X.Y (1.19, v1.28.3), not "1.x"',
    ],
    [
      ['--only', 'nonsense'],
      '--only: "nonsense" names no hunter, knowledge-base id, kube-hunter id or tag (see `kubeferret list`)',
    ],
    [
      ['--skip', 'KF-OPS-999'],
      '--skip: "kf-ops-999" names no hunter, knowledge-base id, kube-hunter id or tag (see `kubeferret list`)',
    ],
    [['--min-severity', 'extreme'], '--min-severity takes one of info, low, medium, high, critical, not "extreme"'],
  ] as const) {
    it(`${args.join(' ')} is one usage line and exit 2, before any file is read`, () => {
      const r = kubeferret(['check', FIXTURES, ...args]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `kubeferret: ${line}\n`);
      assert.equal(r.stdout, '');
    });
  }
});
