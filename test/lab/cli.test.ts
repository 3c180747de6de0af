import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, portState } from './call.js';

// Loopback block 127.17.0.0/16 (see test/README.md).

const dir = mkdtempSync(join(tmpdir(), 'kf-lab-cli-'));

function kubeferret(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/kubeferret.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kubeferret lab', () => {
  it('starts, prints what listens where, and stops cleanly on SIGTERM', async () => {
    const log = join(dir, 'lab.jsonl');
    const configs = join(dir, 'kubeconfigs');
    const child = spawn(
      process.execPath,
      [
        'bin/kubeferret.js',
        'lab',
        '--base',
        '127.17.0.2',
        '--nodes',
        '1',
        '--etcd',
        'simulated',
        '--log',
        log,
        '--kubeconfigs',
        configs,
        '--pods-per-node',
        '3',
        '--fault',
        '10255:latency=5',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the lab did not start: ${stdout}${stderr}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('Press Ctrl-C to stop.')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.match(stdout, /^kubeferret lab: profile vulnerable, Kubernetes v1\.16\.0, etcd simulated, 1 node\(s\)$/m);
    assert.match(stdout, /^ {2}127\.17\.0\.2 +lab-control-plane \(control-plane\)$/m);
    assert.match(stdout, /^ {4}8080 +http +apiserver +API server, insecure port$/m);
    assert.match(stdout, /^ {2}127\.17\.0\.3 +lab-node-1 \(node\)$/m);
    assert.match(stdout, /^ {4}10250 +https +kubelet +kubelet$/m);
    assert.match(stdout, /^hunt it: +kubeferret hunt 127\.17\.0\.2-127\.17\.0\.3$/m);
    assert.ok(existsSync(join(configs, 'admin.kubeconfig')));
    assert.match(stdout, /^ {2}fault on every host:10255: latency 5 ms$/m);
    const version = await call('http://127.17.0.2:8080/version');
    assert.equal(version.json.gitVersion, 'v1.16.0');
    const pods = await call('http://127.17.0.3:10255/pods');
    assert.equal(
      pods.json.items.filter((p: { metadata: { namespace: string } }) => p.metadata.namespace === 'a-bulk').length,
      3,
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /lab stopped\n$/);
    assert.equal(stderr, '');
    assert.equal(await portState('127.17.0.2', 6443), 'closed');
    const logged = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      logged.map((l) => [l.host, l.port, l.path, l.status]),
      [
        ['127.17.0.2', 8080, '/version', 200],
        ['127.17.0.3', 10255, '/pods', 200],
      ],
    );
  });

  it('gives one line and exit 2 for bad options', async () => {
    const cases: [string[], RegExp][] = [
      [['--profile', 'open'], /^kubeferret: --profile takes one of vulnerable, default, hardened, not "open"\n$/],
      [
        ['--base', '192.168.1.10'],
        /^kubeferret: --base must be a loopback address in 127\.0\.0\.0\/8 \(the lab binds nowhere else\), not "192\.168\.1\.10"\n$/,
      ],
      [['--nodes', '0'], /^kubeferret: --nodes takes a whole number from 1 to 16, not "0"\n$/],
      [['--nodes', 'many'], /^kubeferret: --nodes takes a whole number from 1 to 16, not "many"\n$/],
      [['--etcd', 'maybe'], /^kubeferret: --etcd takes one of auto, real, simulated, off, not "maybe"\n$/],
      [
        ['--pods-per-node', 'lots'],
        /^kubeferret: --pods-per-node takes a whole number from 0 to 1000000, not "lots"\n$/,
      ],
      [['--secrets', '-5'], /^kubeferret: --secrets takes a whole number from 0 to 1000000, not "-5"\n$/],
      [['--seed', '1e3'], /^kubeferret: --seed takes a whole number from 0 to 4294967295, not "1e3"\n$/],
      [
        ['--fault', '10250:drop=1'],
        /^kubeferret: --fault "10250:drop=1": "drop" is none of latency, jitter, stall, reset, trickle, host\n$/,
      ],
      [['--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = kubeferret('lab', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(6443, '127.17.1.2', r));
    try {
      const busy = kubeferret('lab', '--base', '127.17.1.2', '--etcd', 'simulated');
      assert.equal(busy.code, 2);
      assert.equal(busy.stderr, 'kubeferret: 127.17.1.2:6443 is already in use\n');
    } finally {
      blocker.close();
    }
  });
});

describe('kubeferret demo', () => {
  it('starts the vulnerable lab, hunts exactly its addresses, prints the report and stops', async () => {
    const r = kubeferret('demo', '--base', '127.17.2.2', '--etcd', 'simulated');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^kubeferret lab: profile vulnerable/m);
    assert.match(r.stdout, /^hunting 127\.17\.2\.2-127\.17\.2\.4 on \d+ ports with \d+ hunters$/m);
    const services = (r.stdout.match(/^ {4}\d+ /gm) ?? []).length;
    const summary = /^(\d+) hosts, (\d+) open ports, /m.exec(r.stdout);
    assert.ok(summary, r.stdout);
    assert.equal(Number(summary[1]), 3, 'the control plane and two nodes');
    assert.equal(Number(summary[2]), services, 'discovery found every port the lab listed');
    assert.match(r.stdout, /^\d+ findings?: \d+ critical/m, 'the report ends with its summary');
    assert.equal(await portState('127.17.2.2', 6443), 'closed', 'the lab is stopped');
  });
});
