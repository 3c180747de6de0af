import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { exposedHunters } from '../../../src/hunters/exposed/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered, huntServices } from '../lab-hunt.js';

// Loopback block 127.64.0.0/16 (see test/README.md).
// Tiny servers answering like Prometheus, node-exporter, Grafana, Loki and Argo CD do, open and closed.

type Routes = Record<string, [status: number, body: unknown, headers?: Record<string, string>]>;

/** Answers each `path` (query ignored) as `routes` says; anything else as `fallback`. */
function answering(routes: Routes, fallback: Routes[string] = [404, '404 page not found\n']) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const [status, body, headers] = routes[(req.url ?? '/').split('?')[0]] ?? fallback;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    res.writeHead(status, { 'content-type': type, ...headers }).end(text);
  };
}

const BUILD = {
  revision: '63894216648f0d6be310c9d16fb48293c45c9310',
  branch: 'HEAD',
  buildUser: 'root@5a4c',
  goVersion: 'go1.21.5',
};

const PROMETHEUS: Routes = {
  '/-/healthy': [200, 'Prometheus Server is Healthy.\n'],
  '/api/v1/status/buildinfo': [
    200,
    { status: 'success', data: { version: '2.48.1', ...BUILD, buildDate: '20231220' } },
  ],
  '/api/v1/targets': [
    200,
    {
      status: 'success',
      data: {
        activeTargets: [
          { labels: { job: 'kubernetes-nodes', instance: '10.0.0.5:10250' }, health: 'up' },
          { labels: { job: 'kubernetes-pods', instance: '10.244.1.7:8080' }, health: 'up' },
          { labels: { job: 'kubernetes-pods', instance: '10.244.2.9:8080' }, health: 'up' },
        ],
        droppedTargets: [],
      },
    },
  ],
  '/api/v1/status/flags': [
    200,
    {
      status: 'success',
      data: { 'web.enable-admin-api': 'false', 'web.enable-lifecycle': 'true', 'storage.tsdb.path': '/prometheus' },
    },
  ],
};

const NODE_EXPORTER: Routes = {
  '/metrics': [
    200,
    "# HELP node_exporter_build_info A metric with a constant '1' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.\n" +
      '# TYPE node_exporter_build_info gauge\n' +
      'node_exporter_build_info{branch="HEAD",goarch="amd64",goos="linux",goversion="go1.21.4",revision="7333465abf9efba81876303bb57e6fadb946041b",tags="netgo osusergo static_build",version="1.7.0"} 1\n' +
      '# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 0.21\n',
    { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
  ],
};

const GRAFANA_HEALTH: Routes = { '/api/health': [200, { commit: '1e84fede54', database: 'ok', version: '10.2.3' }] };
const GRAFANA_UNAUTHORIZED: Routes[string] = [
  401,
  { extra: null, message: 'Unauthorized', messageId: 'auth.unauthorized', statusCode: 401, traceID: '' },
];

const LOKI_BUILD: Routes = {
  '/loki/api/v1/status/buildinfo': [200, { version: '2.9.4', ...BUILD, buildDate: '2024-01-18T14:42:43Z' }],
};

const ARGO_VERSION: Routes = {
  '/api/version': [
    200,
    {
      Version: 'v2.9.3+6eba5be',
      BuildDate: '2023-12-01T23:05:50Z',
      GitCommit: '6eba5be864b7e031871ed7698f5233336dfe75c7',
      KustomizeVersion: 'v5.2.1 2023-10-19T20:13:51Z',
      HelmVersion: 'v3.13.2+g2a2fb3b',
    },
  ],
};
const ARGO_NO_SESSION: Routes[string] = [
  401,
  { error: 'no session information', code: 16, message: 'no session information' },
];

describe('ecosystem hunters against servers that answer like the real ones', () => {
  const open: TestServer[] = [];
  const closed: TestServer[] = [];
  const forced: TestServer[] = [];
  let hunt: Hunt;
  let refused: Hunt;

  before(async () => {
    open.push(
      await startHttpServer('127.64.0.1', answering(PROMETHEUS), 9090),
      await startHttpServer('127.64.0.2', answering(NODE_EXPORTER), 9100),
      await startHttpServer(
        '127.64.0.3',
        answering({
          ...GRAFANA_HEALTH,
          '/api/org': [200, { id: 1, name: 'Main Org.', address: {} }],
          '/api/search': [
            200,
            [
              { id: 1, uid: 'efa86fd1', title: 'Kubernetes / Compute Resources / Cluster', type: 'dash-db' },
              { id: 2, uid: 'k8s-net', title: 'Kubernetes / Networking', type: 'dash-db' },
            ],
          ],
        }),
        3000,
      ),
      await startHttpServer(
        '127.64.0.4',
        answering({
          ...LOKI_BUILD,
          '/loki/api/v1/labels': [200, { status: 'success', data: ['app', 'namespace', 'pod'] }],
        }),
        3100,
      ),
      await startHttpServer(
        '127.64.0.5',
        answering({
          ...ARGO_VERSION,
          '/api/v1/applications': [
            200,
            { metadata: { resourceVersion: '4711' }, items: [{ metadata: { name: 'guestbook' } }] },
          ],
          '/api/v1/projects': [200, { metadata: {}, items: [{ metadata: { name: 'default' } }] }],
        }),
        8080,
      ),
    );
    closed.push(
      await startHttpServer('127.64.1.3', answering(GRAFANA_HEALTH, GRAFANA_UNAUTHORIZED), 3000),
      await startHttpServer('127.64.1.4', answering(LOKI_BUILD, [401, 'no org id\n']), 3100),
      await startHttpServer('127.64.1.5', answering(ARGO_VERSION, ARGO_NO_SESSION), 8080),
    );
    // Behind basic authentication nothing answers, so discovery cannot tell them; announced as what they are.
    const basicAuth: Routes[string] = [401, 'Unauthorized\n', { 'www-authenticate': 'Basic realm="Prometheus"' }];
    forced.push(
      await startHttpServer('127.64.2.1', answering({}, basicAuth), 9090),
      await startHttpServer('127.64.2.2', answering({}, basicAuth), 9100),
    );
    hunt = await huntDiscovered([...open, ...closed], { hunters: exposedHunters });
    refused = await huntServices(
      [
        { host: forced[0].host, port: forced[0].port, kind: 'prometheus', scheme: 'http' },
        { host: forced[1].host, port: forced[1].port, kind: 'node-exporter', scheme: 'http' },
      ],
      { hunters: exposedHunters },
    );
  });
  after(async () => {
    for (const s of [...open, ...closed, ...forced]) await s.close();
  });

  const evidenceAt = (s: TestServer) => hunt.findings.filter((f) => f.host === s.host).map((f) => [f.kb, f.evidence]);

  it('reports each open one once, and none of the closed ones', () => {
    assert.deepEqual(hunt.result.problems, []);
    assert.deepEqual(hunt.keys, [
      'KF-ARGOCD-001 127.64.0.5:8080',
      'KF-GRAFANA-001 127.64.0.3:3000',
      'KF-LOKI-001 127.64.0.4:3100',
      'KF-NODEEXPORTER-001 127.64.0.2:9100',
      'KF-PROMETHEUS-001 127.64.0.1:9090',
    ]);
    const kinds = hunt.result.events.filter((e) => e.type === 'ServiceFound').map((e) => e.kind);
    assert.deepEqual([...kinds].sort(), [
      'argocd',
      'argocd',
      'grafana',
      'grafana',
      'loki',
      'loki',
      'node-exporter',
      'prometheus',
    ]);
  });

  it('says what Prometheus gives away, its risky flags included', () => {
    assert.deepEqual(evidenceAt(open[0]), [
      [
        'KF-PROMETHEUS-001',
        'without credentials: GET /api/v1/status/buildinfo → 200: build information (version 2.48.1); ' +
          'GET /api/v1/targets?state=active → 200: 3 scrape targets (jobs kubernetes-nodes, kubernetes-pods); ' +
          'GET /api/v1/status/flags → 200: command-line flags (web.enable-admin-api=false, web.enable-lifecycle=true)',
      ],
    ]);
  });

  it('says what node-exporter, Grafana, Loki and Argo CD give away', () => {
    assert.deepEqual(evidenceAt(open[1]), [
      [
        'KF-NODEEXPORTER-001',
        `without credentials: GET /metrics → 200: Prometheus metrics (2 families, ${Buffer.byteLength(String(NODE_EXPORTER['/metrics'][1]))} bytes) with node_exporter_build_info 1.7.0`,
      ],
    ]);
    assert.deepEqual(evidenceAt(open[2]), [
      [
        'KF-GRAFANA-001',
        'without credentials: GET /api/org → 200: organisation "Main Org."; GET /api/search?limit=50 → 200: 2 dashboards and folders (Kubernetes / Compute Resources / Cluster, Kubernetes / Networking)',
      ],
    ]);
    assert.deepEqual(evidenceAt(open[3]), [
      ['KF-LOKI-001', 'without credentials: GET /loki/api/v1/labels → 200: 3 label names (app, namespace, pod)'],
    ]);
    assert.deepEqual(evidenceAt(open[4]), [
      [
        'KF-ARGOCD-001',
        'without credentials: GET /api/v1/applications → 200: 1 application (guestbook); GET /api/v1/projects → 200: 1 project (default)',
      ],
    ]);
  });

  it('finds nothing behind authentication, and says nothing about it', () => {
    assert.deepEqual(refused.findings, []);
    assert.deepEqual(refused.result.problems, []);
    assert.ok(refused.result.engine.huntersRun.includes('prometheus-exposed'));
    assert.ok(refused.result.engine.huntersRun.includes('node-exporter-exposed'));
  });
});
