import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { runKubeferret } from '../../helpers/cli.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';

// Block 127.55.0.0/16: --cloud and the hidden --cloud-metadata-address through the real executable, with
// the lab's pod files and a loopback server standing in for the metadata address.

const kubeferret = (args: string[], env: NodeJS.ProcessEnv = {}) => runKubeferret(args, env, 120_000);

const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLECLI';

let lab: Lab;
let dir: string;
let imds: TestServer;
const asked: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeferret-cloud-cli-'));
  lab = await startLab({ profile: 'default', base: '127.55.0.2', nodes: 1, etcd: 'off' });
  imds = await startHttpServer('127.55.1.1', (req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const answers: Record<string, string> = {
      '/latest/meta-data/': 'ami-id\ninstance-id\niam/\n',
      '/latest/meta-data/instance-id': 'i-0cli000000000001',
      '/latest/meta-data/iam/security-credentials/': 'node-role',
      '/latest/meta-data/iam/security-credentials/node-role': JSON.stringify({
        AccessKeyId: 'ASIACLIEXAMPLE000001',
        SecretAccessKey: SECRET_KEY,
        Token: 'cli-session-token-value-0123456789',
        Expiration: '2030-01-01T00:00:00Z',
      }),
    };
    const body = answers[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200).end(body ?? 'Not Found');
  });
});

after(async () => {
  await lab.stop();
  await imds.close();
  rmSync(dir, { recursive: true, force: true });
});

function podArgs(): { args: string[]; env: Record<string, string> } {
  const files = lab.podFiles(join(dir, 'pod'), 'default/nobody');
  return { args: ['--pod', '--pod-dir', files.dir, '--ports', '6443'], env: files.env };
}

describe('kubeferret hunt --cloud', () => {
  it('refuses --cloud without --pod, and a bad or lone --cloud-metadata-address, in one line', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['hunt', '127.55.0.2', '--cloud'],
        /^kubeferret: --cloud asks the instance metadata service from inside a pod: add --pod\n$/,
      ],
      [
        ['hunt', '127.55.0.2', '--cloud-metadata-address', '127.55.1.1'],
        /^kubeferret: --cloud-metadata-address only applies with --cloud\n$/,
      ],
    ];
    for (const bad of ['metadata.google.internal', '127.55.1.1:99999', '127.55.1.1:']) {
      cases.push([
        ['hunt', ...podArgs().args, '--cloud', '--cloud-metadata-address', bad],
        /^kubeferret: --cloud-metadata-address takes an IP address with an optional port \(127\.0\.0\.5:8080\), not ".*"\n$/,
      ]);
    }
    for (const [args, message] of cases) {
      const r = await kubeferret(args, podArgs().env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('documents --cloud and keeps the override out of the help', async () => {
    const r = await kubeferret(['hunt', '--help']);
    assert.match(r.stdout, /--cloud\s+with --pod: also ask the cloud instance\s+metadata/);
    assert.doesNotMatch(r.stdout, /cloud-metadata-address/);
  });

  it('from the pod, asks the metadata service named by the override and reports what it gives', async () => {
    const { args, env } = podArgs();
    const before = asked.length;
    const r = await kubeferret(
      [
        'hunt',
        ...args,
        '--cloud',
        '--cloud-metadata-address',
        `${imds.host}:${imds.port}`,
        '--format',
        'json',
        '--fail-on',
        'none',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { kb: string }[]; scan: { scope: string[] } };
    const ids = report.findings.map((f) => f.kb);
    assert.ok(ids.includes('KF-CLOUD-001'), ids.join(' '));
    assert.ok(ids.includes('KF-CLOUD-005'));
    assert.ok(report.scan.scope.includes(imds.host), 'the override joined the scope');
    assert.ok(!report.scan.scope.includes('169.254.169.254'), 'the real address did not');
    assert.ok(asked.length > before);
    assert.ok(!r.stdout.includes(SECRET_KEY) && !r.stderr.includes(SECRET_KEY));
  });

  it('without --cloud, the pod vantage asks no metadata service at all', async () => {
    const { args, env } = podArgs();
    const before = asked.length;
    const r = await kubeferret(['hunt', ...args, '--format', 'json', '--fail-on', 'none'], env);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { kb: string }[]; scan: { scope: string[] } };
    assert.deepEqual(
      report.findings.filter((f) => f.kb.startsWith('KF-CLOUD')),
      [],
    );
    assert.ok(!report.scan.scope.includes('169.254.169.254'));
    assert.equal(asked.length, before);
  });
});
