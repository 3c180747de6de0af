import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { TestServer } from '../helpers/servers.js';

// Tiny servers that answer like the real components, with the bodies those components send (taken from
// their sources and captured answers: kube-apiserver version.Info and Status, kubelet's auth filter texts,
// etcd's /version, kube-proxy's healthz, Prometheus, Grafana, Loki and Argo CD APIs).

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type Routes = Record<string, (res: http.ServerResponse, req: http.IncomingMessage) => void>;

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Go's http.Error: text/plain, nosniff, the message and a newline. */
function goError(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${text}\n`);
}

function text(res: http.ServerResponse, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(200, { 'content-type': type });
  res.end(body);
}

function routes(table: Routes, fallback: (res: http.ServerResponse, req: http.IncomingMessage) => void): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    (table[path] ?? fallback)(res, req);
  };
}

export const K8S_VERSION = {
  major: '1',
  minor: '29',
  gitVersion: 'v1.29.4',
  gitCommit: '55019c83b0fd51ef4ced8c29eec2c4847f896e74',
  gitTreeState: 'clean',
  buildDate: '2024-04-16T15:03:49Z',
  goVersion: 'go1.21.9',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details: {}, code };
}

function forbiddenPath(path: string) {
  return status(403, 'Forbidden', `forbidden: User "system:anonymous" cannot get path "${path}"`);
}

const POD_LIST = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: {},
  items: [
    {
      metadata: { name: 'etcd-node-1', namespace: 'kube-system', uid: '8d1c0d0e-3f4f-4f8e-9d0e-2f1d6c1e7a11' },
      spec: { containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.12-0' }], nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.0.0.10' },
    },
  ],
};

const KUBELET_METRICS = `# HELP kubernetes_build_info [ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.
# TYPE kubernetes_build_info gauge
kubernetes_build_info{build_date="2024-04-16T15:03:49Z",compiler="gc",git_commit="55019c83b0fd51ef4ced8c29eec2c4847f896e74",git_tree_state="clean",git_version="v1.29.4",go_version="go1.21.9",major="1",minor="29",platform="linux/amd64"} 1
`;

/** Answers by component, each as the real one answers a caller without credentials. */
export const COMPONENTS = {
  /** kube-apiserver with default RBAC: /version public, the rest forbidden to system:anonymous. */
  apiserver: routes(
    {
      '/version': (res) => json(res, 200, K8S_VERSION),
      '/healthz': (res, req) =>
        req.url?.includes('verbose')
          ? text(
              res,
              '[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]poststarthook/start-kube-apiserver-admission-initializer ok\nhealthz check passed\n',
            )
          : text(res, 'ok'),
    },
    (res, req) => json(res, 403, forbiddenPath(req.url ?? '/')),
  ),
  /** kube-apiserver with --anonymous-auth=false: 401 Status on every path. */
  apiserverNoAnonymous: routes({}, (res) => json(res, 401, status(401, 'Unauthorized', 'Unauthorized'))),
  /** The insecure port of an old API server: everything, no authentication. */
  apiserverInsecure: routes(
    {
      '/version': (res) => json(res, 200, K8S_VERSION),
      '/api': (res) => json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] }),
    },
    (res) => json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource')),
  ),
  /** kubelet with anonymous auth and AlwaysAllow: the PodList to anyone. */
  kubelet: routes(
    {
      '/pods': (res) => json(res, 200, POD_LIST),
      '/healthz': (res) => text(res, 'ok'),
      '/metrics': (res) => text(res, KUBELET_METRICS, 'text/plain; version=0.0.4; charset=utf-8'),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  /** kubelet with anonymous auth and Webhook authorization: its auth filter refuses. */
  kubeletWebhook: routes({}, (res) =>
    goError(res, 403, 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)'),
  ),
  /** kubelet with --anonymous-auth=false: go-restful writes a bare "Unauthorized". */
  kubeletNoAnonymous: routes({}, (res) => {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Unauthorized');
  }),
  kubeletReadOnly: routes(
    {
      '/pods': (res) => json(res, 200, POD_LIST),
      '/healthz': (res) => text(res, 'ok'),
      '/metrics': (res) => text(res, KUBELET_METRICS, 'text/plain; version=0.0.4; charset=utf-8'),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  etcd: routes(
    {
      '/version': (res) => json(res, 200, '{"etcdserver":"3.4.30","etcdcluster":"3.4.0"}'),
      '/health': (res) => json(res, 200, '{"health":"true"}'),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  /** kube-controller-manager / kube-scheduler secure port: healthz open, the rest a Status 403. */
  componentSecurePort: routes(
    { '/healthz': (res) => text(res, 'ok'), '/version': (res) => goError(res, 404, '404 page not found') },
    (res, req) => json(res, 403, forbiddenPath(req.url ?? '/')),
  ),
  kubeProxyHealth: routes(
    {
      '/healthz': (res) =>
        json(
          res,
          200,
          '{"lastUpdated": "2024-05-02 09:11:51.52367 +0000 UTC m=+1.1","currentTime": "2024-05-02 09:11:51.52367 +0000 UTC m=+1.1", "nodeEligible": true}',
        ),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  kubeProxyMetrics: routes(
    {
      '/proxyMode': (res) => text(res, 'iptables'),
      '/metrics': (res) =>
        text(
          res,
          `${KUBELET_METRICS}# HELP kubeproxy_sync_proxy_rules_duration_seconds SyncProxyRules latency in seconds\n# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\nkubeproxy_sync_proxy_rules_duration_seconds_count 12\n`,
        ),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  dashboard: routes(
    {
      '/': (res) =>
        text(
          res,
          '<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"><title>Kubernetes Dashboard</title><link rel="icon" type="image/png" href="assets/images/kubernetes-logo.png"></head><body><kd-root></kd-root></body></html>',
          'text/html; charset=utf-8',
        ),
      '/api/v1/login/status': (res) =>
        json(res, 200, {
          tokenPresent: false,
          headerPresent: false,
          httpsMode: true,
          impersonationPresent: false,
          impersonatedUser: '',
        }),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  prometheus: routes(
    {
      '/': (res) => {
        res.writeHead(302, { location: '/graph' });
        res.end('<a href="/graph">Found</a>.\n');
      },
      '/-/healthy': (res) => text(res, 'Prometheus Server is Healthy.\n'),
      '/api/v1/status/buildinfo': (res) =>
        json(res, 200, {
          status: 'success',
          data: {
            version: '2.51.2',
            revision: 'b4c0ab52c3e9b940ab803581ddae9b3d9a452337',
            branch: 'HEAD',
            buildUser: 'root@b63f02a423d9',
            buildDate: '20240410-14:05:54',
            goVersion: 'go1.22.2',
          },
        }),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  nodeExporter: routes(
    {
      '/metrics': (res) =>
        text(
          res,
          '# HELP node_exporter_build_info A metric with a constant \'1\' value labeled by version, revision, branch, goversion from which node_exporter was built, and the goos and goarch for the build.\n# TYPE node_exporter_build_info gauge\nnode_exporter_build_info{branch="HEAD",goarch="amd64",goos="linux",goversion="go1.21.4",revision="7333465abf9efba81876303bb57e6fadb946041b",tags="netgo osusergo static_build",version="1.7.0"} 1\n',
        ),
    },
    (res) =>
      text(
        res,
        '<html><head><title>Node Exporter</title></head><body><h1>Node Exporter</h1></body></html>',
        'text/html',
      ),
  ),
  grafana: routes(
    {
      '/api/health': (res) =>
        json(res, 200, '{\n  "commit": "4b3f8ee5a2",\n  "database": "ok",\n  "version": "10.4.2"\n}'),
    },
    (res) => {
      res.writeHead(302, { location: '/login' });
      res.end('<a href="/login">Found</a>.\n\n');
    },
  ),
  loki: routes(
    {
      '/ready': (res) => text(res, 'ready\n'),
      '/loki/api/v1/status/buildinfo': (res) =>
        json(res, 200, {
          version: '2.9.6',
          revision: 'fdb9a8b4b',
          branch: 'HEAD',
          buildUser: 'root@1b2e5d6e0c39',
          buildDate: '2024-03-21T11:42:56Z',
          goVersion: 'go1.21.6',
        }),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  argocd: routes(
    {
      '/api/version': (res) =>
        json(res, 200, {
          Version: 'v2.10.7+b060053',
          BuildDate: '2024-04-15T08:45:08Z',
          GitCommit: 'b060053b099b4c81c1e635839a309c9c8c1863e9',
          GitTreeState: 'clean',
          GoVersion: 'go1.21.3',
          Compiler: 'gc',
          Platform: 'linux/amd64',
          KustomizeVersion: 'v5.2.1 2023-10-19T20:13:51Z',
          HelmVersion: 'v3.14.3+gf03cc04',
          KubectlVersion: 'v0.26.11',
          JsonnetVersion: 'v0.20.0',
        }),
    },
    (res) => text(res, '<!doctype html><html><head><title>Argo CD</title></head><body></body></html>', 'text/html'),
  ),
  cadvisor: routes(
    {
      '/metrics': (res) =>
        text(
          res,
          '# HELP cadvisor_version_info A metric with a constant \'1\' value labeled by kernel version, OS version, docker version, cadvisor version & cadvisor revision.\n# TYPE cadvisor_version_info gauge\ncadvisor_version_info{cadvisorRevision="8949c822",cadvisorVersion="v0.47.2",dockerVersion="",kernelVersion="6.1.0",osVersion="Alpine Linux v3.18"} 1\n',
        ),
    },
    (res) => goError(res, 404, '404 page not found'),
  ),
  /** metrics-server: /version as a Kubernetes component with an empty major. */
  metricsServer: routes(
    {
      '/version': (res) =>
        json(res, 200, { ...K8S_VERSION, major: '', minor: '', gitVersion: 'v0.7.1', gitCommit: 'a9d2a1d' }),
    },
    (res, req) => json(res, 403, forbiddenPath(req.url ?? '/')),
  ),
  /**
   * kube-apiserver built from source without version stamps (issue 12): /version has an empty major and
   * minor like metrics-server's, and gitVersion v0.0.0-master+…; the rest is forbidden to anonymous callers.
   */
  apiserverDevBuild: routes(
    {
      '/version': (res) =>
        json(res, 200, { ...K8S_VERSION, major: '', minor: '', gitVersion: 'v0.0.0-master+$Format:%H$' }),
    },
    (res, req) => json(res, 403, forbiddenPath(req.url ?? '/')),
  ),
  /** An ordinary web server: a page for every path. */
  plainWeb: ((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', server: 'nginx/1.25.4' });
    res.end(
      '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>',
    );
  }) as Handler,
} satisfies Record<string, Handler>;

export type ComponentName = keyof typeof COMPONENTS;

export interface ServeOptions {
  port?: number;
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean };
}

/** An HTTP or HTTPS server for a handler; counts the TCP connections it accepts. */
export async function serve(handler: Handler, host: string, options: ServeOptions = {}): Promise<TestServer> {
  const server = options.tls
    ? https.createServer({ ...options.tls, rejectUnauthorized: false }, handler)
    : http.createServer(handler);
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  return {
    host,
    port,
    url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A server with a component's answers. */
export function startComponent(name: ComponentName, host: string, options: ServeOptions = {}): Promise<TestServer> {
  return serve(COMPONENTS[name], host, options);
}
