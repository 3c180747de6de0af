import type { Scheme, ServiceKind } from '../core/events.js';
import { addressAt, type ResolvedLabOptions } from './options.js';
import type { ProfileSettings } from './profiles.js';

/** Every port the lab listens on, by what listens there. */
export const PORTS = {
  apiserverInsecure: 8080,
  apiserver: 6443,
  etcd: 2379,
  etcdPeer: 2380,
  controllerManager: 10257,
  scheduler: 10259,
  kubectlProxy: 8001,
  dashboard: 30000,
  kubelet: 10250,
  kubeletReadOnly: 10255,
  kubeProxyHealth: 10256,
  kubeProxyMetrics: 10249,
  cadvisor: 4194,
} as const;

/** The hostile host's ports, each misbehaving in one way (see README.md). */
export const HOSTILE_PORTS = {
  /** Accepts the connection and never says a word. */
  silent: 10250,
  /** Answers any request with bytes that are not HTTP. */
  garbage: 8080,
  /** Answers 200 with a 50 MB body. */
  huge: 10255,
  /** Fails every TLS handshake with a fatal alert. */
  badTls: 6443,
  /** Redirects every request to the outside sink. */
  redirect: 8001,
} as const;

/** The sink the redirect points at: an address outside any scope a test declares, listened on to prove silence. */
export const OUTSIDE_PORT = 8080;

export type HostRole = 'control-plane' | 'node' | 'hostile';

export interface LabService {
  port: number;
  kind: ServiceKind;
  scheme: Scheme;
  /** A few words on what answers there, for people. */
  what: string;
}

export interface LabHost {
  role: HostRole;
  name: string;
  address: string;
  services: LabService[];
}

export const CONTROL_PLANE_NAME = 'lab-control-plane';
export const nodeName = (i: number) => `lab-node-${i + 1}`;

/** The lab's hosts in address order: control plane, nodes, then the hostile host when asked for. */
export function buildTopology(opts: ResolvedLabOptions, settings: ProfileSettings): LabHost[] {
  const cp: LabService[] = [];
  if (settings.apiserver.insecurePort) {
    cp.push({ port: PORTS.apiserverInsecure, kind: 'apiserver', scheme: 'http', what: 'API server, insecure port' });
  }
  cp.push({ port: PORTS.apiserver, kind: 'apiserver', scheme: 'https', what: 'API server' });
  if (opts.etcd !== 'off') {
    const scheme = settings.etcdOpen ? 'http' : 'https';
    const how = `${opts.etcd} etcd${settings.etcdOpen ? ', no authentication' : ', client certificates required'}`;
    cp.push({ port: PORTS.etcd, kind: 'etcd', scheme, what: how });
    cp.push({ port: PORTS.etcdPeer, kind: 'etcd', scheme, what: 'etcd peer port' });
  }
  cp.push({
    port: PORTS.controllerManager,
    kind: 'controller-manager',
    scheme: 'https',
    what: 'kube-controller-manager',
  });
  cp.push({ port: PORTS.scheduler, kind: 'scheduler', scheme: 'https', what: 'kube-scheduler' });
  if (settings.kubectlProxy) {
    cp.push({
      port: PORTS.kubectlProxy,
      kind: 'kubectl-proxy',
      scheme: 'http',
      what: 'kubectl proxy as cluster-admin',
    });
  }
  if (settings.dashboard) {
    cp.push({ port: PORTS.dashboard, kind: 'dashboard', scheme: 'http', what: 'Kubernetes dashboard, skip-login' });
  }
  const hosts: LabHost[] = [{ role: 'control-plane', name: CONTROL_PLANE_NAME, address: opts.base, services: cp }];

  for (let i = 0; i < opts.nodes; i++) {
    const services: LabService[] = [{ port: PORTS.kubelet, kind: 'kubelet', scheme: 'https', what: 'kubelet' }];
    if (settings.kubelet.readOnlyPort) {
      services.push({
        port: PORTS.kubeletReadOnly,
        kind: 'kubelet-readonly',
        scheme: 'http',
        what: 'kubelet read-only',
      });
    }
    services.push({ port: PORTS.kubeProxyHealth, kind: 'kube-proxy', scheme: 'http', what: 'kube-proxy health' });
    if (settings.kubeProxyMetrics) {
      services.push({ port: PORTS.kubeProxyMetrics, kind: 'kube-proxy', scheme: 'http', what: 'kube-proxy metrics' });
    }
    if (settings.cadvisor && i === 0) {
      services.push({ port: PORTS.cadvisor, kind: 'cadvisor', scheme: 'http', what: 'cAdvisor' });
    }
    hosts.push({ role: 'node', name: nodeName(i), address: addressAt(opts.base, 1 + i), services });
  }

  if (opts.hostile) {
    hosts.push({
      role: 'hostile',
      name: 'lab-hostile',
      address: addressAt(opts.base, 1 + opts.nodes),
      services: [
        { port: HOSTILE_PORTS.badTls, kind: 'unknown', scheme: 'https', what: 'TLS handshake always fails' },
        { port: HOSTILE_PORTS.redirect, kind: 'unknown', scheme: 'http', what: 'redirects outside the scope' },
        { port: HOSTILE_PORTS.garbage, kind: 'unknown', scheme: 'http', what: 'answers garbage bytes' },
        { port: HOSTILE_PORTS.silent, kind: 'unknown', scheme: 'https', what: 'accepts, never answers' },
        { port: HOSTILE_PORTS.huge, kind: 'unknown', scheme: 'http', what: 'streams a 50 MB body' },
      ],
    });
  }
  return hosts;
}

/** The outside sink's address: right after the hostile host. */
export function outsideAddress(opts: ResolvedLabOptions): string {
  return addressAt(opts.base, 2 + opts.nodes);
}
