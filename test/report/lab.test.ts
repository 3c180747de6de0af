import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { type Lab, startLab } from '../../src/lab/index.js';
import { type CliRun, runKubeferret } from '../helpers/cli.js';
import { reportValidator, sarifValidator } from './validators.js';

// This file's loopback block: 127.38.0.0/16. Every format from one real hunt of the vulnerable lab, each
// checked by its reader, and every output grepped for every secret the lab holds.

const FORMATS = ['table', 'json', 'yaml', 'sarif', 'html', 'markdown', 'kube-hunter'];

describe('every format from one hunt of the vulnerable lab', () => {
  let lab: Lab;
  let dir: string;
  let run: CliRun;
  const files = new Map<string, string>();

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.38.0.2', etcd: 'simulated' });
    dir = mkdtempSync(join(tmpdir(), 'kf-report-lab-'));
    const ports = [...new Set(lab.hosts.flatMap((h) => h.services.map((s) => s.port)))].join(',');
    const kubeconfig = join(dir, 'kubeconfig');
    lab.kubeconfig('reader', kubeconfig);
    const out = join(dir, 'out');
    run = await runKubeferret(
      [
        'hunt',
        `${lab.hosts[0].address}-${lab.hosts.at(-1)!.address}`,
        '--ports',
        ports,
        '--kubeconfig',
        kubeconfig,
        '--trace',
        join(dir, 'trace.jsonl'),
        '--fail-on',
        'none',
        '--debug',
        '--output-dir',
        out,
        ...FORMATS.flatMap((f) => ['--format', f]),
      ],
      { NO_COLOR: '1' },
      120_000,
    );
    for (const name of readdirSync(out)) files.set(name, readFileSync(join(out, name), 'utf8'));
    files.set('trace.jsonl', readFileSync(join(dir, 'trace.jsonl'), 'utf8'));
    files.set('stdout', run.stdout);
    files.set('stderr', run.stderr);
  });
  after(() => lab?.stop());

  it('writes every format, each accepted by its reader', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual([...files.keys()].filter((n) => n.startsWith('report') || n === 'kube-hunter.json').sort(), [
      'kube-hunter.json',
      'report.html',
      'report.json',
      'report.md',
      'report.sarif',
      'report.txt',
      'report.yaml',
    ]);
    const report = JSON.parse(files.get('report.json')!);
    assert.equal(reportValidator()(report), undefined);
    assert.equal(sarifValidator()(JSON.parse(files.get('report.sarif')!)), undefined);
    assert.deepEqual(parse(files.get('report.yaml')!), report);
    const kh = JSON.parse(files.get('kube-hunter.json')!);
    assert.equal(kh.vulnerabilities.length, report.findings.length);
    assert.match(files.get('report.html')!, /<svg/);
    assert.match(files.get('report.md')!, /^## kubeferret: \d+ findings?/m);
  });

  it('reports what the lab exposes, with the identity used and a readable chain', () => {
    const report = JSON.parse(files.get('report.json')!);
    const services = report.hosts.flatMap((h: { services: unknown[] }) => h.services);
    const expected = lab.hosts.flatMap((h) => h.services);
    assert.equal(services.length, expected.length, 'every service the lab listed');
    const names: string[] = report.scan.identities.map((i: { name: string }) => i.name);
    assert.deepEqual(
      names.filter((n) => !n.startsWith('etcd:')),
      ['reader@lab'],
      'the identity, by its context name only',
    );
    // And the service-account tokens the open etcd holds (etcd-tokens), each by its Secret's name.
    assert.ok(names.includes('etcd:dev/ci-bot-token-a5dcc'), names.join(', '));
    assert.ok(report.findings.length > 0);
    for (const f of report.findings) {
      const labels = f.chain.map((s: { label: string }) => s.label);
      assert.ok(
        labels.every((l: string, i: number) => i === 0 || l !== labels[i - 1]),
        `no step repeated: ${labels.join(' → ')}`,
      );
    }
  });

  it('locates each pod-level finding at its pod in SARIF, so code scanning keeps one alert per pod', () => {
    const sarif = JSON.parse(files.get('report.sarif')!);
    const privileged = sarif.runs[0].results.filter((r: { ruleId: string }) => r.ruleId === 'KF-KUBELET-010');
    assert.ok(privileged.length > 0, 'the lab runs privileged pods');
    const uris = privileged.map(
      (r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
        r.locations[0].physicalLocation.artifactLocation.uri,
    );
    for (const uri of uris) assert.match(uri, /^kubeferret\/127\.38\.0\.\d+\/objects\/pod%20[^/]+%2F[^/]+$/);
    assert.equal(new Set(uris).size, uris.length, 'one location per node and pod');
  });

  it('never writes a secret the lab holds: no token, key, password or secret value in any output', () => {
    const secrets = lab.secretValues();
    assert.ok(secrets.length > 10, 'the lab holds secrets to look for');
    for (const [name, content] of files) {
      for (const secret of secrets) {
        assert.ok(!content.includes(secret), `${name} contains a secret of the lab (${secret.slice(0, 4)}…)`);
      }
    }
  });
});
