import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { discoveryHunters } from '../../../src/discovery/hunters.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { cveHunters } from '../../../src/hunters/cve/index.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { BUNDLED_CVE_FILE, cveDatabase, useCveFile } from '../../../src/kb/cve-data.js';
import { matchCves } from '../../../src/kb/cve-match.js';
import { parseVersion } from '../../../src/kb/version.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { runHunt } from '../../../src/run/hunt.js';
import { runKubeferret } from '../../helpers/cli.js';
import { requireComponent } from '../../helpers/components.js';
import { startHttpServer, startTcpServer, type TestServer } from '../../helpers/servers.js';
import { huntServices } from '../lab-hunt.js';

useCveFile(BUNDLED_CVE_FILE);

/**
 * Stands in for discovery's API server fingerprint, which is not this area's: reads /version from each
 * open port through the hunt's network layer and publishes what it says, as the real one will.
 */
const versionReader = defineHunter({
  id: 'test-version-reader',
  title: 'reads /version like the API server fingerprint',
  mode: 'passive',
  on: 'PortOpen',
  async hunt(event, ctx) {
    const res = await ctx.net.http({ url: `http://${event.host}:${event.port}/version`, timeoutMs: 2000 });
    const body = res.json<{ gitVersion?: unknown }>();
    if (res.status === 200 && typeof body?.gitVersion === 'string') {
      ctx.publish('Version', { host: event.host, port: event.port, component: 'kubernetes', version: body.gitVersion });
    }
  },
});

/** An API server posing on its own address, answering /version with the given gitVersion. */
async function apiServer(host: string, gitVersion: string): Promise<TestServer> {
  return startHttpServer(host, (req, res) => {
    if (req.url !== '/version') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ major: '1', minor: '18', gitVersion, goVersion: 'go1.13.9', platform: 'linux/amd64' }));
  });
}

const servers: Record<string, TestServer> = {};

before(async () => {
  servers.upstream = await apiServer('127.41.0.1', 'v1.18.5');
  servers.eks = await apiServer('127.41.0.2', 'v1.18.5-eks-a5565ad');
  servers.k3s = await apiServer('127.41.0.3', 'v1.18.5+k3s1');
  servers.current = await apiServer('127.41.0.4', 'v1.34.2');
  servers.garbage = await apiServer('127.41.0.5', 'latest-and-greatest');
  servers.oversized = await apiServer('127.41.0.6', `v1.18.5-${'x'.repeat(100_000)}`);
  servers.rc = await apiServer('127.41.0.7', 'v1.33.0-rc.1');
  servers.secondPort = await apiServer('127.41.0.1', 'v1.18.5');
  // Accepts the connection and never answers: the reader times out, the hunt still ends.
  servers.silent = await startTcpServer('127.41.0.8', () => undefined);
});

after(async () => {
  for (const s of Object.values(servers)) await s.close();
});

async function hunt(server: TestServer, options: { includePatchedVersions?: boolean } = {}) {
  const result = await runHunt(
    defaultConfig({
      targets: [parseTarget(server.host)],
      ports: [server.port],
      connectTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      hunterTimeoutMs: 10_000,
      includePatchedVersions: options.includePatchedVersions ?? false,
    }),
    [versionReader, ...(cveHunters as AnyHunter[])],
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  return { result, findings, ids: findings.map((f) => f.kb).sort() };
}

function expectedIds(version: string): string[] {
  const parsed = parseVersion(version);
  assert.ok(parsed);
  return matchCves(parsed, 'kubernetes', cveDatabase().file.cves)
    .map((m) => m.cve.id)
    .sort();
}

describe('CVE hunter in a real hunt', () => {
  it('reports one finding per CVE affecting an upstream API server version, with the evidence to act on', async () => {
    const { findings, ids, result } = await hunt(servers.upstream);
    assert.deepEqual(result.problems, []);
    assert.ok(ids.includes('CVE-2020-8559'), 'fixed in 1.18.6');
    assert.ok(ids.includes('CVE-2021-25741') === false, 'a kubelet CVE is not decided by the API server version');
    assert.ok(ids.includes('CVE-2020-8558') === false, 'fixed for kube-proxy in 1.18.4');
    assert.deepEqual(ids, expectedIds('v1.18.5'));
    const f = findings.find((x) => x.kb === 'CVE-2020-8559');
    assert.ok(f);
    assert.equal(f.host, '127.41.0.1');
    assert.equal(f.port, servers.upstream.port);
    assert.equal(f.object, 'Kubernetes v1.18.5');
    assert.match(f.evidence, /v1\.18\.5 seen at 127\.41\.0\.1:\d+ is in the affected range >=1\.18\.0 <1\.18\.6/);
    assert.match(f.evidence, /fixed in 1\.16\.13, 1\.17\.9, 1\.18\.6$/);
    const version = result.events.find((e) => e.type === 'Version');
    assert.ok(version && f.parents.includes(version.id), 'the finding comes from the Version event');
  });

  it('reports a version once per host, however many of its ports disclose it', async () => {
    const result = await runHunt(
      defaultConfig({
        targets: [parseTarget('127.41.0.1')],
        ports: [servers.upstream.port, servers.secondPort.port],
        connectTimeoutMs: 2000,
        requestTimeoutMs: 3000,
      }),
      [versionReader, ...(cveHunters as AnyHunter[])],
    );
    assert.equal(result.events.filter((e) => e.type === 'Version').length, 2, 'both ports disclosed it');
    const ids = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding').map((f) => f.kb);
    assert.deepEqual(ids.sort(), expectedIds('v1.18.5'), 'each CVE once');
  });

  it('holds back the CVEs of a vendor build in one finding that names them', async () => {
    for (const server of [servers.eks, servers.k3s]) {
      const { findings } = await hunt(server);
      assert.equal(findings.length, 1);
      const [f] = findings;
      assert.equal(f.kb, 'KF-CVE-001');
      assert.match(
        f.evidence,
        /is a vendor build \("(eks-a5565ad|k3s1)"\) of 1\.18\.5; \d+ CVEs affect upstream 1\.18\.5/,
      );
      for (const id of expectedIds('v1.18.5')) assert.ok(f.evidence.includes(id), `${id} named`);
    }
  });

  it('reports a vendor build CVE by CVE with --include-patched-versions', async () => {
    const { findings, ids } = await hunt(servers.eks, { includePatchedVersions: true });
    assert.deepEqual(ids, expectedIds('v1.18.5'));
    for (const f of findings)
      assert.match(
        f.evidence,
        /vendor build "eks-a5565ad" of 1\.18\.5, reported because of --include-patched-versions/,
      );
  });

  it('treats a release candidate as older than its release', async () => {
    const { findings } = await hunt(servers.rc);
    const f = findings.find((x) => x.kb === 'CVE-2025-4563');
    assert.ok(f, 'fixed in 1.33.2, so 1.33.0-rc.1 is affected');
    assert.match(f.evidence, /pre-release rc\.1 counts as older than 1\.33\.0/);
  });

  it('reports nothing for a patched version', async () => {
    const { findings, result } = await hunt(servers.current);
    assert.deepEqual(findings, []);
    assert.ok(result.events.some((e) => e.type === 'Version' && e.version === 'v1.34.2'));
  });

  it('reports nothing, and does not fail, for versions that are not versions', async () => {
    for (const server of [servers.garbage, servers.oversized]) {
      const { findings, result } = await hunt(server);
      assert.deepEqual(findings, []);
      assert.deepEqual(result.problems, []);
      assert.ok(
        result.events.some((e) => e.type === 'Version'),
        'the odd version was still published',
      );
    }
  });

  it('ends the hunt when the server never answers', async () => {
    const { findings, result } = await hunt(servers.silent);
    assert.deepEqual(findings, []);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].message, /timed out|no answer/);
  });
});

/** CVEs the bundled data says need a Windows node. */
const WINDOWS_ONLY = cveDatabase()
  .file.cves.filter((c) => c.conditions?.some((k) => k.fact === 'os' && k.is === 'windows'))
  .map((c) => c.id);

/** A real hunt of a lab with the hunters that observe kubelets and etcd, and the CVE hunter; debug lines kept. */
async function huntLabCves(lab: Lab, { api = false, kubelets = true } = {}) {
  const debug: string[] = [];
  const result = await runHunt(
    defaultConfig({
      targets: lab.hosts.map((h) => parseTarget(h.address)),
      ports: [
        ...(kubelets ? [PORTS.kubelet, PORTS.kubeletReadOnly] : []),
        PORTS.etcd,
        ...(api ? [PORTS.apiserver] : []),
      ],
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      hunterTimeoutMs: 90_000,
    }),
    [
      ...discoveryHunters,
      ...(api ? apiserverHunters : []),
      ...kubeletHunters,
      ...etcdHunters,
      ...(cveHunters as AnyHunter[]),
    ],
    { onDebug: (line) => debug.push(line) },
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  const observations = result.events.filter((e): e is KfEvent<'Observation'> => e.type === 'Observation');
  return { result, findings, observations, debug, cves: findings.filter((f) => f.kb.startsWith('CVE-')) };
}

describe('CVE conditions in a real hunt of the lab', () => {
  it('a lab of Linux nodes yields no Windows-only CVE, and says why in the debug log', async () => {
    const lab = await startLab({ profile: 'vulnerable', base: '127.41.10.2', nodes: 2, etcd: 'simulated' });
    try {
      const { result, cves, observations, debug } = await huntLabCves(lab);
      assert.deepEqual(result.problems, []);
      const nodes = lab.hosts.filter((h) => h.role === 'node').map((h) => h.address);
      for (const node of nodes) {
        assert.ok(
          observations.some((o) => o.host === node && o.fact === 'os' && o.value === 'linux'),
          `${node}: the OS read from the kubelet's metrics`,
        );
        const kubeletCves = cves.filter((f) => f.host === node);
        assert.ok(kubeletCves.length > 0, 'the kubelet v1.16.0 has CVEs that apply');
        assert.deepEqual(
          kubeletCves.filter((f) => WINDOWS_ONLY.includes(f.kb)).map((f) => f.kb),
          [],
        );
      }
      assert.ok(WINDOWS_ONLY.includes('CVE-2023-3676'));
      assert.ok(
        debug.some((l) =>
          /CVE-2023-3676 does not apply to kubelet v1\.16\.0 at [\d.]+:\d+: the node operating system is windows, but linux \(kubelet :\d+\/metrics kubernetes_build_info platform linux\/amd64\)$/.test(
            l,
          ),
        ),
        debug.filter((l) => l.includes('CVE-2023-3676')).join('\n'),
      );
    } finally {
      await lab.stop();
    }
  });

  it('a lab of Windows nodes yields them on every node, and a condition it cannot check as possible', async () => {
    const lab = await startLab({
      profile: 'vulnerable',
      base: '127.41.11.2',
      nodes: 2,
      etcd: 'off',
      nodeOs: 'windows',
    });
    try {
      const { result, cves } = await huntLabCves(lab);
      assert.deepEqual(result.problems, []);
      const nodes = lab.hosts.filter((h) => h.role === 'node');
      for (const { address: node } of nodes) {
        const here = cves.filter((f) => f.host === node);
        const injection = here.find((f) => f.kb === 'CVE-2023-3676');
        assert.ok(injection, `${node}: CVE-2023-3676`);
        assert.equal(injection.possible, undefined, 'the OS was observed: it applies');
        assert.equal(injection.severity, undefined, "the CVE's own severity");
        assert.match(
          injection.evidence,
          /conditions seen: the node operating system is windows \(kubelet :\d+\/metrics kubernetes_build_info platform windows\/amd64\)/,
        );
        // NodeLogQuery is not set in the kubelet's configuration: whether the gate is on is not known.
        const logQuery = here.find((f) => f.kb === 'CVE-2024-9042');
        assert.ok(logQuery, `${node}: CVE-2024-9042`);
        assert.equal(logQuery.severity, 'low', 'one step below medium');
        assert.equal(
          logQuery.possible,
          'the feature gate NodeLogQuery is enabled; the kubelet setting enableSystemLogQuery is true',
        );
        assert.match(logQuery.evidence, /possible: not checked whether the feature gate NodeLogQuery is enabled/);
        const observed = result.events.find((e) => e.type === 'Observation' && e.host === node && e.fact === 'os');
        assert.ok(observed && injection.parents.includes(observed.id), 'the observation is in the provenance');
      }
    } finally {
      await lab.stop();
    }
  });
});

/** An etcd without authentication and without debug endpoints: CVE-2021-28235 does not apply. */
async function checkEtcdWithoutAuth(lab: Lab): Promise<void> {
  const { result, cves, observations, debug } = await huntLabCves(lab);
  assert.deepEqual(result.problems, []);
  const base = lab.hosts[0].address;
  const seen = observations
    .filter((o) => o.host === base && o.port === PORTS.etcd)
    .map((o) => `${o.fact}${o.name ? ` ${o.name}` : ''} ${o.value}`)
    .sort();
  assert.deepEqual(seen, ['auth disabled', 'endpoint /debug/pprof absent']);
  const etcdCves = cves.filter((f) => f.host === base && f.port === PORTS.etcd).map((f) => f.kb);
  assert.ok(
    result.events.some((e) => e.type === 'Version' && e.component === 'etcd' && e.version === '3.4.23'),
    'etcd disclosed 3.4.23, in the affected range of CVE-2021-28235',
  );
  for (const id of ['CVE-2021-28235', 'CVE-2020-15115', 'CVE-2023-32082']) {
    assert.ok(!etcdCves.includes(id), `${id} needs authentication`);
  }
  assert.ok(
    debug.some((l) =>
      l.endsWith(
        `CVE-2021-28235 does not apply to etcd 3.4.23 at ${base}:${PORTS.etcd}: authentication is enabled, but disabled (/v3/kv/range answered a request without credentials)`,
      ),
    ),
  );
}

describe('the operating system of nodes listed through the API', () => {
  it("is observed from each Node's nodeInfo, for the node's address", async () => {
    const lab = await startLab({
      profile: 'vulnerable',
      base: '127.41.17.2',
      nodes: 2,
      etcd: 'off',
      nodeOs: 'windows',
    });
    try {
      const { observations } = await huntLabCves(lab, { api: true, kubelets: false });
      const seen = observations.filter((o) => o.fact === 'os').map((o) => `${o.host} ${o.value} (${o.source})`);
      const nodes = lab.hosts.filter((h) => h.role === 'node');
      assert.deepEqual(
        seen.sort(),
        nodes.map((n) => `${n.address} windows (Node ${n.name} status.nodeInfo.operatingSystem windows)`).sort(),
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('CVE-2021-28235 and an etcd without authentication', () => {
  it('with the simulated etcd', async () => {
    const lab = await startLab({ profile: 'vulnerable', base: '127.41.12.2', nodes: 1, etcd: 'simulated' });
    try {
      await checkEtcdWithoutAuth(lab);
    } finally {
      await lab.stop();
    }
  });

  it('with the real etcd', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const lab = await startLab({ profile: 'vulnerable', base: '127.41.13.2', nodes: 1, etcd: 'real' });
    try {
      assert.equal(lab.etcd, 'real');
      await checkEtcdWithoutAuth(lab);
    } finally {
      await lab.stop();
    }
  });
});

/**
 * A stand-in etcd 3.4.23 on plain HTTP: its debug endpoints answer; with `auth` its gateway refuses a
 * caller without a token as etcd does, without it the gateway fails, so authentication cannot be told.
 */
function standInEtcd(host: string, auth: boolean): Promise<TestServer> {
  return startHttpServer(host, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: '3.4.23', etcdcluster: '3.4.0' }));
    } else if (path === '/debug/pprof/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><head><title>/debug/pprof/</title></head><body>Types of profiles available:</body></html>');
    } else if (/^\/v3(beta|alpha)?\/kv\/range$/.test(path) && auth) {
      res.writeHead(400, { 'content-type': 'application/json' });
      const message = 'etcdserver: user name is empty';
      res.end(JSON.stringify({ error: message, code: 3, message }));
    } else if (/^\/v3(beta|alpha)?\/kv\/range$/.test(path)) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
  });
}

describe('kubeferret hunt and CVE conditions: what trips --fail-on', () => {
  it('an etcd with authentication and reachable debug endpoints: CVE-2021-28235 applies, exit 1', async () => {
    const etcd = await standInEtcd('127.41.15.1', true);
    try {
      const run = await runKubeferret(
        [
          'hunt',
          etcd.host,
          '--ports',
          String(etcd.port),
          '--format',
          'json',
          '--output',
          '-',
          '--cve-data',
          BUNDLED_CVE_FILE,
        ],
        {},
        120_000,
      );
      assert.equal(run.code, 1, run.stderr);
      const report = JSON.parse(run.stdout) as {
        findings: { kb: string; severity: string; possible?: string; evidence: string }[];
      };
      const f = report.findings.find((x) => x.kb === 'CVE-2021-28235');
      assert.ok(f, 'reported');
      assert.equal(f.severity, 'critical');
      assert.equal(f.possible, undefined);
      assert.match(
        f.evidence,
        /conditions seen: authentication is enabled \(\/v3\/kv\/range refused a request without credentials: "etcdserver: user name is empty"\); the endpoint \/debug\/pprof is answering/,
      );
    } finally {
      await etcd.close();
    }
  });

  it('an etcd whose authentication cannot be told: possible, one step lower, exit 0 unless --fail-on-possible', async () => {
    const etcd = await standInEtcd('127.41.15.2', false);
    try {
      const args = ['hunt', etcd.host, '--ports', String(etcd.port), '--cve-data', BUNDLED_CVE_FILE];
      const run = await runKubeferret(args, { NO_COLOR: '1' }, 120_000);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /CVE-2021-28235 .*\[possible\]/);
      assert.match(run.stdout, /possible: not checked whether authentication is enabled/);
      const strict = await runKubeferret([...args, '--fail-on-possible'], { NO_COLOR: '1' }, 120_000);
      assert.equal(strict.code, 1, strict.stderr);
      const md = await runKubeferret([...args, '--format', 'markdown', '--output', '-'], {}, 120_000);
      assert.match(md.stdout, /CVE-2021-28235 \| .* \(possible: not checked whether authentication is enabled\)/);
    } finally {
      await etcd.close();
    }
  });
});

/** A control-plane node as a read-only kubelet shows it: its static kube-apiserver pod, with these flags. */
function controlPlaneKubelet(host: string, flags: string[]): Promise<TestServer> {
  const apiserverPod = {
    metadata: { name: 'kube-apiserver-cp-1', namespace: 'kube-system', labels: { component: 'kube-apiserver' } },
    spec: {
      hostNetwork: true,
      containers: [
        {
          name: 'kube-apiserver',
          image: 'registry.k8s.io/kube-apiserver:v1.32.5',
          command: ['kube-apiserver', ...flags],
        },
      ],
    },
    status: { hostIP: host, phase: 'Running' },
  };
  return startHttpServer(host, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/pods') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [apiserverPod] }));
    } else if (path === '/healthz') {
      res.writeHead(200).end('ok');
    } else {
      res.writeHead(404).end('404 page not found');
    }
  });
}

describe('CVE conditions from the flags of static pods a kubelet lists', () => {
  it('admission plugins and feature gates of kube-apiserver decide the API server CVEs of that host', async () => {
    const host = '127.41.16.1';
    const kubelet = await controlPlaneKubelet(host, [
      '--advertise-address=127.41.16.1',
      '--enable-admission-plugins=NodeRestriction,OwnerReferencesPermissionEnforcement',
      '--feature-gates=DynamicResourceAllocation=true,SomethingElse=false',
      '--v=2',
    ]);
    const api = await apiServer(host, 'v1.32.5');
    try {
      const hunt = await huntServices(
        [
          { host, port: kubelet.port, kind: 'kubelet-readonly', scheme: 'http' },
          { host, port: api.port, kind: 'apiserver', scheme: 'http' },
        ],
        { hunters: [versionReader, ...kubeletHunters, ...(cveHunters as AnyHunter[])] },
      );
      assert.deepEqual(hunt.result.problems, []);
      const seen = hunt.result.events
        .filter((e): e is KfEvent<'Observation'> => e.type === 'Observation' && e.fact !== 'read-only-port')
        .map((o) => `${o.host} ${o.fact} ${o.name} ${o.value}`)
        .sort();
      assert.deepEqual(seen, [
        `${host} admission-plugin NodeRestriction enabled`,
        `${host} admission-plugin OwnerReferencesPermissionEnforcement enabled`,
        `${host} feature-gate DynamicResourceAllocation enabled`,
        `${host} feature-gate SomethingElse disabled`,
        `${host} log-level kube-apiserver 2`,
      ]);
      // NodeRestriction with OwnerReferencesPermissionEnforcement enabled: CVE-2025-5187 does not apply.
      assert.deepEqual(hunt.of('CVE-2025-5187'), []);
      // DRA is on; whether static pods are used is not a fact the hunt records: possible, one step lower.
      const [dra] = hunt.of('CVE-2025-4563');
      assert.ok(dra, 'CVE-2025-4563 reported');
      assert.equal(dra.possible, 'the use of static pods is on');
      assert.equal(dra.severity, 'info');
      assert.match(
        dra.evidence,
        /conditions seen: the feature gate DynamicResourceAllocation is enabled \(static pod kube-system\/kube-apiserver-cp-1 kube-apiserver --feature-gates=…DynamicResourceAllocation=true…\)/,
      );
    } finally {
      await kubelet.close();
      await api.close();
    }
  });
});
