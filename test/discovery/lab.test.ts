import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configFromFlags, type HuntFlags } from '../../src/cli/hunt.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runHunt } from '../../src/run/hunt.js';
import { discoverTargets, eventsOf, serviceAt } from './run.js';

// Block 127.24.0.0/16. The lab sits at the top of a /20 so its outside sink (the redirect target of the
// hostile host) falls just past it, outside the scope.

const RANGE = '127.24.0.0/20';
const BASE = '127.24.15.252';

describe('discovery against the lab', () => {
  let lab: Lab;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kf-disc-lab-'));
    lab = await startLab({ profile: 'vulnerable', nodes: 2, base: BASE, hostile: true });
  });

  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans a /20 of loopback and finds exactly the lab services, each of the right kind', async () => {
    const result = await discoverTargets([RANGE], { requestTimeoutMs: 3000, hunterTimeoutMs: 30_000 });
    const found = eventsOf(result, 'ServiceFound')
      .map((s) => `${s.host}:${s.port} ${s.kind}`)
      .sort();
    const truth = lab.hosts.flatMap((h) => h.services.map((s) => `${h.address}:${s.port} ${s.kind}`)).sort();
    assert.deepEqual(found, truth);
    for (const h of lab.hosts) {
      for (const s of h.services) {
        // A port that never answers cannot show its scheme: only answered ones are compared.
        const service = serviceAt(result, h.address, s.port);
        if (s.kind !== 'unknown') assert.equal(service.scheme, s.scheme, `${h.address}:${s.port} ${s.what}`);
      }
    }
    assert.ok(lab.outside, 'the hostile host redirects somewhere');
    assert.ok(
      !lab.requests.some((r) => r.host === lab.outside?.address),
      'the redirect target outside the scope was never contacted',
    );
    assert.deepEqual(
      result.problems.filter((p) => p.kind === 'timeout'),
      [],
      'no fingerprint ran into the hunter timeout, hostile ports included',
    );
  });

  async function hunt(flags: HuntFlags, positional: string[] = [], hunters = discoveryHunters) {
    const config = await configFromFlags(positional, { requestTimeout: 4000, ...flags });
    return runHunt(config, hunters);
  }

  it('--discover-nodes scans an in-scope node whoever learned it first (here anonymous access)', async () => {
    const nodes = lab.hosts.filter((h) => h.role === 'node');
    const result = await hunt(
      {
        // This identity may not list nodes; the vulnerable lab lets anonymous callers.
        token: lab.credentials.nobody.token,
        discoverNodes: true,
        scope: [`${nodes[0].address}/32`],
        ports: [6443, 10250],
      },
      [BASE],
      HUNTERS,
    );
    const learned = eventsOf(result, 'AddressLearned').find((l) => l.address === nodes[0].address);
    assert.ok(learned, 'the node address was learned');
    assert.notEqual(learned.publisher, 'discover-nodes', 'an API server hunter listed the nodes');
    assert.equal(serviceAt(result, nodes[0].address, 10250).kind, 'kubelet', 'and the in-scope node was scanned');
    assert.ok(!eventsOf(result, 'PortOpen').some((p) => p.host === nodes[1].address), 'the other one was not');
  });

  it('--pod: the lab pod files and environment give a Credential bound to the API server', async () => {
    const pod = lab.podFiles(join(dir, 'pod'), 'kube-system/lab-admin');
    const seen = lab.requests.length;
    const saved = { ...process.env };
    Object.assign(process.env, pod.env);
    try {
      const nodes = lab.hosts.filter((h) => h.role === 'node');
      const trace = join(dir, 'pod-trace.jsonl');
      const result = await hunt({
        pod: true,
        podDir: pod.dir,
        discoverNodes: true,
        scope: [`${nodes[0].address}/32`],
        trace,
      });
      const [cred] = eventsOf(result, 'Credential');
      assert.equal(cred.name, 'pod:kube-system/lab-admin');
      assert.deepEqual(cred.apiServer, { host: BASE, port: 6443, scheme: 'https' });
      assert.equal(serviceAt(result, BASE, 6443).kind, 'apiserver');
      const learned = eventsOf(result, 'AddressLearned');
      assert.deepEqual(
        learned.map((l) => [l.address, l.inScope]).sort(),
        nodes.map((n, i) => [n.address, i === 0]).sort(),
      );
      assert.equal(serviceAt(result, nodes[0].address, 10250).kind, 'kubelet', 'the in-scope node was scanned');
      assert.ok(
        !lab.requests.slice(seen).some((r) => r.host === nodes[1].address),
        'the other node was never contacted',
      );
      // Neither in the lab's own log nor in the trace of every connect and request sent.
      const sent = readFileSync(trace, 'utf8');
      assert.ok(!sent.includes(nodes[1].address), 'no connect to it in the trace');
      assert.ok(sent.includes(`${nodes[0].address}:10250`));
    } finally {
      process.env = saved;
    }
  });

  it('--kubeconfig: a token identity and a client-certificate identity of the lab', async () => {
    const tokenFile = join(dir, 'reader.kubeconfig');
    const certFile = join(dir, 'kubernetes-admin.kubeconfig');
    lab.kubeconfig('reader', tokenFile);
    lab.kubeconfig('kubernetes-admin', certFile);
    for (const [file, secretKind] of [
      [tokenFile, 'token'],
      [certFile, 'clientCert'],
    ] as const) {
      const result = await hunt({ kubeconfig: file, discoverNodes: true });
      const [cred] = eventsOf(result, 'Credential');
      assert.equal(cred.source, 'kubeconfig');
      assert.ok(cred.secret[secretKind], `${file}: ${secretKind}`);
      assert.deepEqual(cred.apiServer, { host: BASE, port: 6443, scheme: 'https' });
      assert.equal(serviceAt(result, BASE, 6443).kind, 'apiserver');
      assert.ok(result.scope.includes(BASE), result.scope.join(', '));
    }
    const listed = lab.requests.filter((r) => r.path.startsWith('/api/v1/nodes') && r.port === 6443);
    assert.ok(
      listed.some((r) => r.identity !== 'system:anonymous' && r.identity !== '-'),
      'nodes listed as someone',
    );
  });
});
