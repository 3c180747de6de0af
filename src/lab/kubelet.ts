import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Authenticator } from './auth.js';
import { FsError } from './hostfs.js';
import { directoryListing, sendJson, sendText, splitUrl } from './http.js';
import { prometheusText } from './metrics.js';
import type { NodeOs } from './options.js';
import { MAX_PODS } from './pods.js';
import type { ProfileSettings } from './profiles.js';
import type { Authorizer } from './rbac.js';
import { noteIdentity } from './requestlog.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { containerLog, type Runtime } from './runtime.js';
import type { Handler } from './servers.js';
import { type Store, stableUid } from './store.js';
import { sendJsonList } from './stream-json.js';
import { type LabHost, PORTS } from './topology.js';

const PODS = resourceOfKind(RESOURCES, 'Pod');

export interface KubeletDeps {
  node: LabHost;
  store: Store;
  runtime: Runtime;
  authenticator: Authenticator;
  authorizer: Authorizer;
  settings: ProfileSettings;
  version: string;
  /** The node's operating system, as its metrics' `platform` label says. */
  os: NodeOs;
}

/** The kubelet's RBAC subresource for a path, as its webhook authorizer names it. */
function subresourceOf(path: string): string {
  if (path.startsWith('/stats')) return 'stats';
  if (path.startsWith('/metrics')) return 'metrics';
  if (path.startsWith('/logs')) return 'log';
  if (path.startsWith('/spec')) return 'spec';
  if (path.startsWith('/checkpoint')) return 'checkpoint';
  return 'proxy';
}

const VERBS: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** A pod as the kubelet lists it: without its kind and apiVersion. */
const withoutType = ({ kind: _, apiVersion: __, ...rest }: Pod) => rest;

const notFound = (res: ServerResponse) => sendText(res, 404, '404 page not found\n');

/**
 * A kubelet: the authenticated port 10250 (anonymous and AlwaysAllow in the vulnerable profile, webhook
 * authentication and authorization otherwise) and the read-only port 10255.
 */
export class Kubelet {
  constructor(private readonly deps: KubeletDeps) {}

  /** The node's pods as stored (not copies: they are only serialized; `pod` hands out a copy). */
  private pods(): Pod[] {
    return this.deps.store
      .view(PODS)
      .filter((p) => (p.spec as Pod['spec'])?.nodeName === this.deps.node.name) as unknown as Pod[];
  }

  private pod(namespace: string, name: string): Pod | undefined {
    const pod = this.pods().find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
    return pod && structuredClone(pod);
  }

  secureHandler(): Handler {
    return (req, res) => {
      const { settings, authenticator, authorizer, node } = this.deps;
      const auth = authenticator.authenticate(req, settings.kubelet.anonymous);
      if (!auth) {
        noteIdentity(req, '-');
        sendText(res, 401, 'Unauthorized');
        return;
      }
      noteIdentity(req, auth.user.name);
      const { path } = splitUrl(req);
      if (settings.kubelet.authorization === 'Webhook') {
        const verb = VERBS[req.method ?? 'GET'] ?? 'get';
        const subresource = subresourceOf(path);
        if (!authorizer.allows(auth.user, { verb, group: '', resource: 'nodes', subresource, name: node.name })) {
          sendText(
            res,
            403,
            `Forbidden (user=${auth.user.name}, verb=${verb}, resource=nodes, subresource=${subresource})`,
          );
          return;
        }
      }
      this.route(req, res, false);
    };
  }

  readOnlyHandler(): Handler {
    return (req, res) => this.route(req, res, true);
  }

  private route(req: IncomingMessage, res: ServerResponse, readOnly: boolean): void {
    const { path, query } = splitUrl(req);
    const method = req.method ?? 'GET';
    const seg = path.split('/').slice(1);
    const getOnly = () => {
      if (method === 'GET' || method === 'HEAD') return true;
      sendText(res, 405, 'Method Not Allowed', { allow: 'GET' });
      return false;
    };
    if (path === '/healthz' || path === '/healthz/') {
      sendText(res, 200, query.has('verbose') ? '[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n' : 'ok');
      return;
    }
    if (path === '/pods' || path === '/pods/') {
      if (getOnly()) this.sendPodList(res, this.pods().map(withoutType));
      return;
    }
    if (seg[0] === 'metrics') {
      if (getOnly()) this.metrics(res, seg[1]);
      return;
    }
    if (seg[0] === 'stats') {
      if (getOnly()) this.stats(res, seg[1]);
      return;
    }
    if (seg[0] === 'spec') {
      if (getOnly()) sendJson(res, 200, this.machineInfo());
      return;
    }
    if (readOnly) {
      notFound(res);
      return;
    }
    switch (seg[0]) {
      case 'runningpods':
        if (getOnly()) this.sendPodList(res, this.runningPods());
        return;
      case 'configz':
        if (getOnly()) sendJson(res, 200, this.configz());
        return;
      case 'logs':
        if (getOnly()) this.logs(req, res, path.slice('/logs'.length));
        return;
      case 'containerLogs':
        if (getOnly()) this.containerLogs(res, seg.slice(1));
        return;
      case 'debug':
        if (getOnly()) this.pprof(res, seg.slice(1).join('/'));
        return;
      case 'run':
        if (method !== 'POST') {
          sendText(res, 405, 'Method Not Allowed');
          return;
        }
        this.run(res, seg.slice(1), query.get('cmd') ?? '');
        return;
      case 'exec':
      case 'attach':
        this.stream(req, res, seg.slice(1), query, true);
        return;
      case 'portForward':
        this.stream(req, res, seg.slice(1), query, false);
        return;
      default:
        notFound(res);
    }
  }

  /** A PodList as the kubelet encodes it (items without their kind and apiVersion), streamed. */
  private sendPodList(res: ServerResponse, items: Iterable<unknown>): void {
    void sendJsonList(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {} }, 'items', items).catch(() =>
      res.destroy(),
    );
  }

  private *runningPods(): Iterable<unknown> {
    for (const p of this.pods()) {
      yield {
        metadata: {
          name: p.metadata?.name,
          namespace: p.metadata?.namespace,
          uid: p.metadata?.uid,
          creationTimestamp: null as unknown as string,
        },
        spec: { containers: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image, resources: {} })) },
        status: {},
      };
    }
  }

  private metrics(res: ServerResponse, which: string | undefined): void {
    const { version, node } = this.deps;
    const families: Record<string, [string, number][]> =
      which === 'cadvisor'
        ? {
            container_cpu_usage_seconds_total: this.pods().map((p) => [
              `namespace="${p.metadata?.namespace}",pod="${p.metadata?.name}"`,
              12.5,
            ]),
          }
        : { kubelet_running_pods: [['', this.pods().length]], kubelet_node_name: [[`node="${node.name}"`, 1]] };
    sendText(res, 200, prometheusText('kubelet', version, families, `${this.deps.os}/amd64`), {
      'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    });
  }

  private stats(res: ServerResponse, which: string | undefined): void {
    const now = new Date().toISOString();
    if (which === 'summary') {
      const node = {
        nodeName: this.deps.node.name,
        startTime: now,
        cpu: { time: now, usageNanoCores: 180000000 },
        memory: { time: now, workingSetBytes: 1610612736 },
      };
      const pods = this.pods().map((p) => ({
        podRef: { name: p.metadata?.name, namespace: p.metadata?.namespace, uid: p.metadata?.uid },
        startTime: p.status?.startTime,
        containers: (p.spec?.containers ?? []).map((c) => ({ name: c.name, startTime: p.status?.startTime })),
      }));
      void sendJsonList(res, 200, { node }, 'pods', pods).catch(() => res.destroy());
      return;
    }
    sendJson(res, 200, {
      name: '/',
      subcontainers: [{ name: '/kubepods' }, { name: '/system.slice' }],
      spec: { has_cpu: true, has_memory: true },
      stats: [],
    });
  }

  private machineInfo() {
    const name = this.deps.node.name;
    return {
      timestamp: new Date().toISOString(),
      num_cores: 4,
      num_physical_cores: 4,
      num_sockets: 1,
      cpu_frequency_khz: 2894560,
      memory_capacity: 8343760896,
      machine_id: stableUid(`machine/${name}`).replace(/-/g, ''),
      system_uuid: stableUid(`system/${name}`),
      boot_id: stableUid(`boot/${name}`),
      filesystems: [{ device: '/dev/sda1', capacity: 62671097856, type: 'vfs', inodes: 3907584, has_inodes: true }],
      cloud_provider: 'Unknown',
      instance_type: 'Unknown',
      instance_id: 'None',
    };
  }

  private configz() {
    const { settings } = this.deps;
    return {
      kubeletconfig: {
        enableServer: true,
        staticPodPath: '/etc/kubernetes/manifests',
        syncFrequency: '1m0s',
        address: '0.0.0.0',
        port: PORTS.kubelet,
        readOnlyPort: settings.kubelet.readOnlyPort ? PORTS.kubeletReadOnly : 0,
        tlsCertFile: '/var/lib/kubelet/pki/kubelet.crt',
        tlsPrivateKeyFile: '/var/lib/kubelet/pki/kubelet.key',
        rotateCertificates: true,
        authentication: {
          x509: { clientCAFile: '/etc/kubernetes/pki/ca.crt' },
          webhook: { enabled: settings.kubelet.authorization === 'Webhook', cacheTTL: '2m0s' },
          anonymous: { enabled: settings.kubelet.anonymous },
        },
        authorization: {
          mode: settings.kubelet.authorization,
          webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' },
        },
        clusterDomain: 'cluster.local',
        clusterDNS: ['10.96.0.10'],
        healthzPort: 10248,
        healthzBindAddress: '127.0.0.1',
        cgroupDriver: 'systemd',
        enableDebuggingHandlers: true,
        protectKernelDefaults: !settings.riskyWorkloads,
        makeIPTablesUtilChains: true,
        maxPods: MAX_PODS,
        containerRuntimeEndpoint: 'unix:///var/run/containerd/containerd.sock',
      },
    };
  }

  private cmdline(): string {
    const { settings } = this.deps;
    const args = [
      '/usr/bin/kubelet',
      '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf',
      '--kubeconfig=/etc/kubernetes/kubelet.conf',
      '--config=/var/lib/kubelet/config.yaml',
      '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock',
      '--pod-infra-container-image=registry.k8s.io/pause:3.9',
    ];
    if (settings.kubelet.anonymous)
      args.push('--anonymous-auth=true', `--authorization-mode=${settings.kubelet.authorization}`);
    if (settings.kubelet.readOnlyPort) args.push(`--read-only-port=${PORTS.kubeletReadOnly}`);
    return args.join('\0');
  }

  private pprof(res: ServerResponse, rest: string): void {
    if (!rest.startsWith('pprof')) {
      notFound(res);
      return;
    }
    const name = rest.slice('pprof/'.length);
    if (name === 'cmdline') {
      sendText(res, 200, this.cmdline());
      return;
    }
    const profiles = ['allocs', 'block', 'cmdline', 'goroutine', 'heap', 'mutex', 'profile', 'threadcreate', 'trace'];
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/<br>\n<br>\nTypes of profiles available:\n${profiles.map((p) => `<a href="${p}?debug=1">${p}</a><br>`).join('\n')}\n</body>\n</html>\n`,
    );
  }

  /** /logs/<path>: the host's /var/log served like Go's http.FileServer, links followed. */
  private logs(req: IncomingMessage, res: ServerResponse, rest: string): void {
    const fs = this.deps.runtime.host(this.deps.node.name)!;
    const path = `/var/log${decodeURIComponent(rest || '/')}`;
    const node = fs.stat(path);
    if (!node) {
      notFound(res);
      return;
    }
    if (node.type === 'dir') {
      if (!path.endsWith('/')) {
        res.writeHead(301, { location: `${req.url?.split('?')[0]}/` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(directoryListing(fs.list(path, true)));
      return;
    }
    try {
      sendText(res, 200, fs.read(path));
    } catch (err) {
      if (err instanceof FsError) notFound(res);
      else throw err;
    }
  }

  private containerLogs(res: ServerResponse, seg: string[]): void {
    const [namespace, name, container] = seg;
    const pod = name ? this.pod(namespace, name) : undefined;
    if (!name) sendText(res, 400, '{"message": "Missing podID."}');
    else if (!container) sendText(res, 400, '{"message": "Missing container name."}');
    else if (!pod) sendText(res, 404, `pod "${name}" does not exist\n`);
    else if (!pod.spec?.containers.some((c) => c.name === container)) {
      sendText(res, 404, `container "${container}" not found in pod "${name}"\n`);
    } else sendText(res, 200, containerLog(pod, container));
  }

  /** `/run/{ns}/{pod}/{container}` or `/run/{ns}/{pod}/{uid}/{container}`. */
  private run(res: ServerResponse, seg: string[], cmd: string): void {
    if (seg.length !== 3 && seg.length !== 4) {
      notFound(res);
      return;
    }
    const [namespace, name] = seg;
    const container = seg[seg.length - 1];
    const pod = this.pod(namespace, name);
    if (!pod) {
      sendText(res, 404, 'pod does not exist');
      return;
    }
    if (!pod.spec?.containers.some((c) => c.name === container)) {
      sendText(res, 500, `container not found ("${container}")`);
      return;
    }
    const result = this.deps.runtime.run(pod, container, cmd);
    if (!result.ok) {
      sendText(res, 500, result.error);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(result.output) });
    res.end(result.output);
  }

  /**
   * exec, attach and portForward without a protocol upgrade: the kubelet checks the stream options and
   * the pod, then its upgrade-aware proxy refuses the plain request with 500 "Upgrade request required".
   */
  private stream(
    req: IncomingMessage,
    res: ServerResponse,
    seg: string[],
    query: URLSearchParams,
    remoteCommand: boolean,
  ): void {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') {
      sendText(res, 405, 'Method Not Allowed');
      return;
    }
    if (remoteCommand) {
      const on = (k: string) => query.get(k) === '1';
      if (!on('input') && !on('output') && !on('error')) {
        sendText(res, 400, 'you must specify at least 1 of stdin, stdout, stderr');
        return;
      }
    }
    const [namespace, name] = seg;
    if (!namespace || !name || !this.pod(namespace, name)) {
      sendText(res, 404, 'pod does not exist');
      return;
    }
    if (req.headers.upgrade) {
      sendText(res, 400, 'the lab does not stream: no SPDY or WebSocket support');
      return;
    }
    sendText(res, 500, 'Upgrade request required\n');
  }
}
