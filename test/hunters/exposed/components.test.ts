import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { READ_CHECKS, WRITE_CHECKS } from '../../../src/hunters/apiserver/access.js';
import { exposedHunters } from '../../../src/hunters/exposed/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { assertNoSecrets, assertOnlyReads, type Hunt, huntDiscovered, huntLab, type LabHunt } from '../lab-hunt.js';

// Loopback block 127.63.0.0/16 (see test/README.md).

describe('exposed-component hunters, vulnerable lab', () => {
  let lab: Lab;
  let hunt: LabHunt;
  let before0: Awaited<ReturnType<Lab['snapshot']>>;
  let base: string;
  const nodes = () => lab.hosts.filter((h) => h.role === 'node').map((h) => h.address);

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.63.0.2', nodes: 2, etcd: 'off' });
    base = lab.hosts[0].address;
    before0 = await lab.snapshot();
    hunt = await huntLab(lab, { hunters: exposedHunters });
  });
  after(() => lab?.stop());

  it('finds each exposed component where it listens, and nothing else', () => {
    assert.deepEqual(hunt.result.problems, []);
    const [first, second] = nodes();
    assert.deepEqual(
      hunt.keys,
      [
        `KF-CADVISOR-001 ${first}:${PORTS.cadvisor}`,
        `KF-CONTROLLER-001 ${base}:${PORTS.controllerManager}`,
        `KF-DASHBOARD-001 ${base}:${PORTS.dashboard}`,
        `KF-KUBEPROXY-001 ${first}:${PORTS.kubeProxyMetrics}`,
        `KF-KUBEPROXY-001 ${second}:${PORTS.kubeProxyMetrics}`,
        `KF-PROXY-001 ${base}:${PORTS.kubectlProxy}`,
        `KF-SCHEDULER-001 ${base}:${PORTS.scheduler}`,
      ],
      'kube-proxy health (10256) alone is not a finding',
    );
  });

  it('shows the dashboard lists nodes and Secrets with its own account: critical', async () => {
    const [f] = hunt.of('KF-DASHBOARD-001');
    const secrets = (await lab.snapshot()).objects['v1/secrets'].length;
    assert.equal(f.severity, 'critical');
    assert.equal(f.path, '/api/v1/login/skippable');
    assert.equal(
      f.evidence,
      `without a token: skip-login is on (GET /api/v1/login/skippable → 200: skippable: true); GET /api/v1/node?itemsPerPage=10&page=1 → 200: 2 nodes (lab-node-1, lab-node-2); GET /api/v1/secret?itemsPerPage=10&page=1 → 200: ${secrets} Secrets listed (names only kept)`,
    );
  });

  it("surveys what the kubectl proxy lends as for any identity, and publishes its identity's reach", async () => {
    const [f] = hunt.of('KF-PROXY-001');
    const snapshot = await lab.snapshot();
    const namespaces = snapshot.objects['v1/namespaces'].length;
    const secrets = snapshot.objects['v1/secrets'].length;
    assert.equal(f.severity, undefined, "its identity is cluster-admin: the entry's critical");
    assert.match(f.evidence, /^GET \/api → 200: APIVersions without credentials; through the proxy: /);
    assert.match(f.evidence, new RegExp(`listed ${namespaces} namespaces, .*${secrets} secrets in `));
    assert.match(f.evidence, /\* on \* \(all namespaces\) \(SelfSubjectAccessReview, nothing attempted\)$/);
    const access = hunt.result.events.filter((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess');
    assert.equal(access.length, 1);
    const { host, port, scheme, identity, via, can, parents } = access[0];
    assert.deepEqual(
      { host, port, scheme, identity, via, parents },
      {
        host: base,
        port: PORTS.kubectlProxy,
        scheme: 'http',
        identity: 'kubectl-proxy',
        via: 'kubectl-proxy',
        parents: [f.id],
      },
    );
    // The same checks as every identity, so the report sets them side by side.
    for (const check of [...READ_CHECKS, ...WRITE_CHECKS]) assert.equal(can[check.key], true, check.key);
    // Secrets were listed as a Table through the proxy: names and types, never their data.
    const secretReads = lab.requests.filter(
      (r) => r.component === 'kube-apiserver' && r.path.startsWith('/api/v1/secrets'),
    );
    assert.equal(secretReads.length, 1);
    assert.equal(secretReads[0].identity, 'kubernetes-admin');
  });

  it('reads kube-proxy, controller-manager, scheduler and cAdvisor endpoints for the evidence', () => {
    for (const f of hunt.of('KF-KUBEPROXY-001')) {
      assert.match(f.evidence, /^without credentials: GET \/metrics → 200: Prometheus metrics \(\d+ families, /);
      assert.match(
        f.evidence,
        /GET \/configz → 200: running configuration \(kubeproxy\.config\.k8s\.io: .*clusterCIDR=10\.244\.0\.0\/16/,
      );
      assert.match(f.evidence, /GET \/proxyMode → 200: proxy mode iptables$/);
    }
    const [cm] = hunt.of('KF-CONTROLLER-001');
    assert.match(
      cm.evidence,
      /GET \/configz → 200: running configuration \(componentconfig: .*ClusterSigningKeyFile=\/etc\/kubernetes\/pki\/ca\.key/,
    );
    assert.match(
      cm.evidence,
      /GET \/debug\/pprof\/cmdline → 200: command line kube-controller-manager with 13 arguments: --allocate-node-cidrs=true; /,
    );
    const [scheduler] = hunt.of('KF-SCHEDULER-001');
    assert.match(scheduler.evidence, /command line kube-scheduler with 6 arguments: .*--leader-elect=true$/);
    const [cadvisor] = hunt.of('KF-CADVISOR-001');
    assert.match(cadvisor.evidence, /machine information \(4 cores\)/);
    assert.match(cadvisor.evidence, /cadvisor_version_info v0\.32\.0$/);
  });

  it('changes nothing and shows no secret', async () => {
    assertNoSecrets(lab, hunt.result);
    assertOnlyReads(hunt);
    assert.deepEqual(await lab.snapshot(), before0);
  });
});

describe('exposed-component hunters, hardened lab', () => {
  it('finds nothing: no dashboard, no proxy, kube-proxy health only, control plane refusing strangers', async () => {
    const lab = await startLab({ profile: 'hardened', base: '127.63.1.2', nodes: 2, etcd: 'off' });
    try {
      const hunt = await huntLab(lab, { hunters: exposedHunters });
      assert.deepEqual(hunt.findings, []);
      assert.deepEqual(hunt.result.problems, []);
      const asked = lab.requests.filter((r) => r.component === 'kube-controller-manager' && r.path === '/configz');
      assert.ok(
        asked.length > 0 && asked.every((r) => r.status === 403),
        'the controller manager was asked and refused',
      );
      assert.ok(hunt.result.engine.huntersRun.includes('kube-proxy-endpoints'), 'kube-proxy health was looked at');
    } finally {
      await lab.stop();
    }
  });
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** What the API behind the proxy answers its (limited) user; anything else is a Forbidden Status. */
const BEHIND_PROXY: Record<string, unknown> = {
  '/version': { major: '1', minor: '29', gitVersion: 'v1.29.4', platform: 'linux/amd64' },
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/api/v1/namespaces': { kind: 'NamespaceList', apiVersion: 'v1', items: [{ metadata: { name: 'default' } }] },
  '/api/v1/pods': { kind: 'PodList', apiVersion: 'v1', items: [] },
};

/** kubectl proxy with its default --accept-hosts: anything but a localhost Host gets a bare "Forbidden". */
function localhostOnlyProxy(req: IncomingMessage, res: ServerResponse): void {
  if (!/^localhost(:\d+)?$/.test(req.headers.host ?? '')) {
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden\n');
    return;
  }
  const body = BEHIND_PROXY[(req.url ?? '/').split('?')[0]];
  if (body) json(res, 200, body);
  else json(res, 403, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 });
}

/** A dashboard: its login status JSON, and what `node` and `skippable` answer. */
function dashboard(skippable: boolean, node: [number, unknown]) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/api/v1/login/status') {
      return json(res, 200, {
        tokenPresent: false,
        headerPresent: false,
        httpsMode: true,
        impersonationPresent: false,
      });
    }
    if (path === '/api/v1/login/skippable') return json(res, 200, { skippable });
    if (path === '/api/v1/node') return json(res, ...node);
    json(res, 401, { status: 401, message: 'MSG_LOGIN_UNAUTHORIZED_ERROR' });
  };
}

describe('exposed-component hunters, components configured otherwise', () => {
  const servers: TestServer[] = [];
  let hunt: Hunt;

  before(async () => {
    servers.push(
      await startHttpServer('127.63.2.1', localhostOnlyProxy, PORTS.kubectlProxy),
      await startHttpServer(
        '127.63.2.2',
        dashboard(false, [401, { status: 401, message: 'MSG_LOGIN_UNAUTHORIZED_ERROR' }]),
        PORTS.dashboard,
      ),
      await startHttpServer(
        '127.63.2.3',
        dashboard(true, [403, { status: 403, message: 'forbidden' }]),
        PORTS.dashboard,
      ),
    );
    hunt = await huntDiscovered(servers, { hunters: exposedHunters });
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  const at = (i: number) => hunt.findings.filter((f) => f.host === servers[i].host);

  it('reaches a localhost-only kubectl proxy with Host: localhost, and says what its identity cannot do', () => {
    const [f] = at(0);
    assert.equal(f?.kb, 'KF-PROXY-001');
    assert.equal(
      f.evidence,
      'GET /api → 200: APIVersions without credentials (with Host: localhost, which the proxy requires); through the proxy: listed 1 namespace, 0 pods',
    );
    assert.equal(f.severity, 'high', 'less than cluster-admin');
    const access = hunt.result.events.find((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess');
    assert.equal(access?.can['list namespaces'], true);
    assert.equal(access?.can['list pods'], true);
    assert.equal(access?.can['list secrets'], false);
  });

  it('proves, with --active, what a localhost-only kubectl proxy lends, sending Host: localhost as the passive hunter did', async () => {
    const active = await huntDiscovered([servers[0]], {
      hunters: exposedHunters,
      config: { active: true, yes: true, journalPath: join(mkdtempSync(join(tmpdir(), 'kf-proxy-')), 'j.jsonl') },
    });
    const [proof] = active.of('KF-PROXY-101');
    assert.equal(
      proof?.evidence,
      'listed 1 namespaces (default) through the proxy (with Host: localhost); Kubernetes v1.29.4 (GET /version)',
    );
    assert.deepEqual(active.result.changes, []);
  });

  it('leaves a dashboard that asks for a login alone', () => {
    assert.deepEqual(at(1), []);
  });

  it('reports skip-login even when the account behind it can list nothing, at the entry severity', () => {
    const [f] = at(2);
    assert.equal(f?.kb, 'KF-DASHBOARD-001');
    assert.equal(f.severity, undefined);
    assert.equal(f.evidence, 'without a token: skip-login is on (GET /api/v1/login/skippable → 200: skippable: true)');
  });
});
