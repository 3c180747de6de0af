import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type {
  ConfigMap,
  Container,
  Endpoints,
  Namespace,
  Node,
  Pod,
  PodSpec,
  Service,
  ServiceAccount,
  ServicePort,
  Volume,
} from 'kubernetes-types/core/v1.js';
import type { NetworkPolicy } from 'kubernetes-types/networking/v1.js';
import { daemonPodTolerations, isDaemonToleration } from '../kubernetes/daemon-pods.js';
import type { NodeOs } from './options.js';
import { controllerRef } from './owners.js';
import {
  defaultPod,
  healthyNodeStatus,
  isDefaultTolerationSeconds,
  MAX_PODS,
  type NodeSlot,
  PodNetwork,
  runPod,
  tokenVolume,
} from './pods.js';
import type { ProfileSettings } from './profiles.js';
import { stableUid, timestamp } from './store.js';
import { PORTS } from './topology.js';
import { minorOf } from './version.js';

export interface WorkloadContext {
  settings: ProfileSettings;
  version: string;
  /** The worker nodes' operating system. */
  nodeOs: NodeOs;
  controlPlane: string;
  nodes: NodeSlot[];
  caCert: string;
  started: Date;
  /** Per-lab random values (passwords), so nothing secret is a constant in the source. */
  secrets: { dbPassword: string };
}

type Seeded =
  | Namespace
  | Node
  | Pod
  | Service
  | Endpoints
  | ServiceAccount
  | ConfigMap
  | Deployment
  | DaemonSet
  | NetworkPolicy;

export const NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'dev', 'logging', 'team-a'];

const hash = (seed: string, n: number) => stableUid(seed).replace(/-/g, '').slice(0, n);

function namespace(name: string): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

/** What a node's status says about its system, by operating system (Debian, or Windows Server 2022). */
const SYSTEM: Record<NodeOs, { kernelVersion: string; osImage: string }> = {
  linux: { kernelVersion: '6.1.0-18-amd64', osImage: 'Debian GNU/Linux 12 (bookworm)' },
  windows: { kernelVersion: '10.0.20348.2113', osImage: 'Windows Server 2022 Datacenter' },
};

function node(slot: NodeSlot, ctx: WorkloadContext, net: PodNetwork): Node {
  const os = ctx.nodeOs;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: slot.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': os,
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': slot.name,
        'kubernetes.io/os': os,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: net.cidr(slot), podCIDRs: [net.cidr(slot)] },
    status: {
      capacity: { cpu: '16', 'ephemeral-storage': '61202244Ki', memory: '8148204Ki', pods: String(MAX_PODS) },
      allocatable: { cpu: '16', 'ephemeral-storage': '56403987978', memory: '8045804Ki', pods: String(MAX_PODS) },
      ...healthyNodeStatus(slot.name, slot.address, timestamp(ctx.started), PORTS.kubelet),
      nodeInfo: {
        machineID: hash(`machine/${slot.name}`, 32),
        systemUUID: stableUid(`system/${slot.name}`),
        bootID: stableUid(`boot/${slot.name}`),
        ...SYSTEM[os],
        containerRuntimeVersion: 'containerd://1.6.20',
        kubeletVersion: ctx.version,
        kubeProxyVersion: ctx.version,
        operatingSystem: os,
        architecture: 'amd64',
      },
    },
  };
}

function serviceAccount(ns: string, name: string): ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } };
}

interface PodSpecIn {
  ns: string;
  name: string;
  node: NodeSlot;
  containers: Container[];
  serviceAccount?: string;
  volumes?: Volume[];
  hostNetwork?: boolean;
  hostPID?: boolean;
  labels?: Record<string, string>;
  owner?: { kind: string; name: string };
  /** The rest of the spec, as the manifest it copies has it (DNS policy, priority, tolerations). */
  more?: Pick<PodSpec, 'dnsPolicy' | 'priorityClassName' | 'priority' | 'tolerations' | 'affinity'>;
}

function pod(p: PodSpecIn, ctx: WorkloadContext, net: PodNetwork): Pod {
  const token = tokenVolume(p.ns, p.name, minorOf(ctx.version), p.serviceAccount ?? 'default');
  const spec: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.ns,
      // A Deployment's pods carry their ReplicaSet's hash, as the ReplicaSet controller labels them.
      labels:
        p.owner?.kind === 'ReplicaSet'
          ? { ...p.labels, 'pod-template-hash': p.owner.name.slice(p.owner.name.lastIndexOf('-') + 1) }
          : p.labels,
      ownerReferences: p.owner
        ? [
            // The uid the store gives the seeded owner (DaemonSet, Deployment; a ReplicaSet's as if it were).
            controllerRef(
              p.owner.kind,
              p.owner.name,
              stableUid(`${p.owner.kind.toLowerCase()}s/${p.ns}/${p.owner.name}`),
            ),
          ]
        : undefined,
    },
    spec: {
      containers: p.containers.map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), token.mount] })),
      volumes: [...(p.volumes ?? []), token.volume],
      serviceAccountName: p.serviceAccount ?? 'default',
      hostNetwork: p.hostNetwork,
      hostPID: p.hostPID,
      ...p.more,
      // A daemon pod tolerates what the DaemonSet controller adds (its template does not say so).
      ...(p.owner?.kind === 'DaemonSet' && {
        tolerations: daemonPodTolerations({ hostNetwork: p.hostNetwork, ...p.more, containers: [] }),
      }),
      nodeName: p.node.name,
    },
  };
  const ip = p.hostNetwork ? p.node.address : net.allocate(p.node);
  return runPod(defaultPod(spec), p.node, ip, ctx.started);
}

function service(
  ns: string,
  name: string,
  clusterIP: string,
  ports: ServicePort[],
  selector?: Record<string, string>,
  type: 'ClusterIP' | 'NodePort' = 'ClusterIP',
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: selector },
    spec: {
      clusterIP,
      clusterIPs: [clusterIP],
      ports,
      selector,
      type,
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
    status: { loadBalancer: {} },
  };
}

function endpoints(
  ns: string,
  name: string,
  addresses: { ip: string; pod?: Pod }[],
  ports: { name?: string; port: number; protocol: string }[],
): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: ns },
    subsets: [
      {
        addresses: addresses.map((a) => ({
          ip: a.ip,
          nodeName: a.pod?.spec?.nodeName,
          targetRef: a.pod
            ? {
                kind: 'Pod',
                name: a.pod.metadata?.name,
                namespace: ns,
                uid: stableUid(`pods/${ns}/${a.pod.metadata?.name}`),
              }
            : undefined,
        })),
        ports,
      },
    ],
  };
}

function configMap(ns: string, name: string, data: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

const TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The controller a seeded pod was made from, its template that pod's spec as the controller holds it: no
 * node, no token volume (admission adds those), the labels without the ReplicaSet's hash. A template and
 * its pods then show the same weaknesses, as in a real cluster.
 */
function owner(kind: 'Deployment' | 'DaemonSet', name: string, from: Pod, replicas?: number): Deployment | DaemonSet {
  const { 'pod-template-hash': _hash, ...labels } = from.metadata?.labels ?? {};
  // What admission and the controllers add to a pod is not in its template: its node, the deprecated
  // account field, the resolved priority, DefaultTolerationSeconds' and the DaemonSet controller's tolerations.
  const {
    nodeName: _node,
    serviceAccount: _sa,
    priority: _priority,
    tolerations: admitted,
    ...podSpec
  } = from.spec ?? { containers: [] };
  const tolerations = admitted?.filter((t) => !isDefaultTolerationSeconds(t) && !isDaemonToleration(t));
  const tokenVolumes = new Set(
    (from.spec?.containers ?? [])
      .flatMap((c) => c.volumeMounts ?? [])
      .filter((m) => m.mountPath === TOKEN_MOUNT)
      .map((m) => m.name),
  );
  const spec = {
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        ...podSpec,
        containers: podSpec.containers.map((c) => ({
          ...c,
          volumeMounts: c.volumeMounts?.filter((m) => !tokenVolumes.has(m.name)),
        })),
        volumes: podSpec.volumes?.filter((v) => !tokenVolumes.has(v.name)),
        ...(tolerations && tolerations.length > 0 && { tolerations }),
      },
    },
  };
  const ns = from.metadata?.namespace ?? 'default';
  const meta = { name, namespace: ns, labels, generation: 1 };
  if (kind === 'Deployment') {
    return {
      apiVersion: 'apps/v1',
      kind,
      metadata: meta,
      spec: { ...spec, replicas: replicas ?? 1 },
      status: {
        observedGeneration: 1,
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
      },
    };
  }
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: meta,
    spec,
    status: {
      currentNumberScheduled: replicas ?? 0,
      desiredNumberScheduled: replicas ?? 0,
      numberMisscheduled: 0,
      numberReady: replicas ?? 0,
      numberAvailable: replicas,
    },
  };
}

/** The cluster's workloads and the objects around them (everything but RBAC and secrets). */
export function workloadObjects(ctx: WorkloadContext): Seeded[] {
  const { settings } = ctx;
  const net = new PodNetwork();
  const n1 = ctx.nodes[0];
  const n2 = ctx.nodes[1] ?? ctx.nodes[0];
  const namespaces = [...NAMESPACES, ...(settings.dashboard ? ['kubernetes-dashboard'] : [])];
  const out: Seeded[] = namespaces.map(namespace);
  out.push(...ctx.nodes.map((n) => node(n, ctx, net)));

  const accounts: [string, string][] = [
    ...namespaces.map((ns): [string, string] => [ns, 'default']),
    ['kube-system', 'coredns'],
    ['kube-system', 'kube-proxy'],
    ['kube-system', 'lab-admin'],
    ['default', 'reader'],
    ['default', 'nobody'],
    ['dev', 'deployer'],
    ['logging', 'log-collector'],
  ];
  if (settings.dashboard) accounts.push(['kubernetes-dashboard', 'kubernetes-dashboard']);
  out.push(...accounts.map(([ns, name]) => serviceAccount(ns, name)));
  // The root CA publisher (what Controllers.created does for a new namespace) runs from 1.20 on.
  if (minorOf(ctx.version) >= 20) {
    out.push(...namespaces.map((ns) => configMap(ns, 'kube-root-ca.crt', { 'ca.crt': ctx.caCert })));
  }

  const dnsLabels = { 'k8s-app': 'kube-dns' };
  // Two replicas, as kubeadm's Deployment runs them, kept apart by its preferred anti-affinity (one per node
  // when there are two).
  const corednsPod = (name: string, node: NodeSlot) =>
    pod(
      {
        ns: 'kube-system',
        name,
        node,
        serviceAccount: 'coredns',
        labels: dnsLabels,
        owner: { kind: 'ReplicaSet', name: `coredns-${hash('coredns-rs', 10)}` },
        // As kubeadm's Deployment has it: CoreDNS resolves upstream through the node's resolv.conf (dnsPolicy
        // Default), so its pods are not ndots-5 workloads; critical, and tolerating the control plane.
        more: {
          dnsPolicy: 'Default',
          priorityClassName: 'system-cluster-critical',
          priority: 2_000_000_000, // what the Priority admission plugin resolves the class to
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchExpressions: [{ key: 'k8s-app', operator: 'In', values: ['kube-dns'] }] },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          },
        },
        volumes: [
          { name: 'config-volume', configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] } },
        ],
        containers: [
          {
            name: 'coredns',
            image: 'registry.k8s.io/coredns/coredns:v1.11.1',
            imagePullPolicy: 'IfNotPresent',
            resources: { limits: { memory: '170Mi' }, requests: { cpu: '100m', memory: '70Mi' } },
            args: ['-conf', '/etc/coredns/Corefile'],
            volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              { name: 'liveness-probe', containerPort: 8080, protocol: 'TCP' },
              { name: 'readiness-probe', containerPort: 8181, protocol: 'TCP' },
            ],
            livenessProbe: {
              httpGet: { path: '/health', port: 'liveness-probe', scheme: 'HTTP' },
              initialDelaySeconds: 60,
              timeoutSeconds: 5,
              successThreshold: 1,
              failureThreshold: 5,
            },
            readinessProbe: { httpGet: { path: '/ready', port: 'readiness-probe', scheme: 'HTTP' } },
            securityContext: {
              allowPrivilegeEscalation: false,
              capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
              readOnlyRootFilesystem: true,
            },
          },
        ],
      },
      ctx,
      net,
    );
  const corednsRs = `coredns-${hash('coredns-rs', 10)}`;
  const coredns = [corednsPod(`${corednsRs}-${hash('coredns-pod', 5)}`, n1)];
  out.push(coredns[0]);
  const kubeProxy = ctx.nodes.map((n) =>
    pod(
      {
        ns: 'kube-system',
        name: `kube-proxy-${hash(`kube-proxy/${n.name}`, 5)}`,
        node: n,
        serviceAccount: 'kube-proxy',
        hostNetwork: true,
        labels: { 'k8s-app': 'kube-proxy' },
        owner: { kind: 'DaemonSet', name: 'kube-proxy' },
        // As kubeadm's DaemonSet has it: on the host network with the default dnsPolicy (ClusterFirst, which
        // the host network turns into the node's resolv.conf), node-critical, tolerating every taint.
        more: {
          priorityClassName: 'system-node-critical',
          priority: 2_000_001_000,
          tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { operator: 'Exists' }],
        },
        volumes: [
          { name: 'kube-proxy', configMap: { name: 'kube-proxy' } },
          { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } },
          { name: 'lib-modules', hostPath: { path: '/lib/modules' } },
        ],
        containers: [
          {
            name: 'kube-proxy',
            image: `registry.k8s.io/kube-proxy:${ctx.version}`,
            imagePullPolicy: 'IfNotPresent',
            volumeMounts: [
              { name: 'kube-proxy', mountPath: '/var/lib/kube-proxy' },
              { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
              { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
            ],
            // As kubeadm's DaemonSet has it: one template for every node, the name from the downward API.
            command: [
              '/usr/local/bin/kube-proxy',
              '--config=/var/lib/kube-proxy/config.conf',
              '--hostname-override=$(NODE_NAME)',
            ],
            env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
            securityContext: { privileged: true },
          },
        ],
      },
      ctx,
      net,
    ),
  );
  out.push(...kubeProxy);

  const webLabels = { app: 'web' };
  // A password in plain sight, beside two secret-like names that hold none (decoys a scanner must not take).
  const webEnv = settings.riskyWorkloads
    ? [
        { name: 'DB_PASSWORD', value: ctx.secrets.dbPassword },
        { name: 'PASSWORD_FILE', value: '/etc/app/password' },
        { name: 'TOKEN_TTL', value: '3600' },
      ]
    : undefined;
  const web = pod(
    {
      ns: 'default',
      name: `web-${hash('web-rs', 10)}-${hash('web-pod', 5)}`,
      node: n2,
      labels: webLabels,
      owner: { kind: 'ReplicaSet', name: `web-${hash('web-rs', 10)}` },
      containers: [
        { name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], env: webEnv },
      ],
    },
    ctx,
    net,
  );
  out.push(web);
  // The second replica after the others, so that their pod addresses stay what they were with one.
  coredns.push(corednsPod(`${corednsRs}-${hash('coredns-pod-2', 5)}`, n2));
  out.push(coredns[1]);

  let collector: Pod | undefined;
  if (settings.riskyWorkloads) {
    collector = pod(
      {
        ns: 'logging',
        name: `log-collector-${hash('log-collector', 5)}`,
        node: n1,
        serviceAccount: 'log-collector',
        labels: { app: 'log-collector' },
        owner: { kind: 'DaemonSet', name: 'log-collector' },
        volumes: [{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }],
        containers: [
          {
            name: 'fluentd',
            image: 'fluent/fluentd:v1.16-1',
            volumeMounts: [{ name: 'varlog', mountPath: '/var/log' }],
          },
        ],
      },
      ctx,
      net,
    );
    out.push(
      pod(
        {
          ns: 'default',
          name: 'debug-tools',
          node: n1,
          hostNetwork: true,
          hostPID: true,
          volumes: [{ name: 'host-root', hostPath: { path: '/', type: '' } }],
          containers: [
            {
              name: 'shell',
              image: 'busybox:1.36',
              command: ['sleep', 'infinity'],
              securityContext: { privileged: true },
              volumeMounts: [{ name: 'host-root', mountPath: '/host' }],
            },
          ],
        },
        ctx,
        net,
      ),
      collector,
    );
  }
  let dashboard: Pod | undefined;
  if (settings.dashboard) {
    dashboard = pod(
      {
        ns: 'kubernetes-dashboard',
        name: `kubernetes-dashboard-${hash('dash-rs', 10)}-${hash('dash-pod', 5)}`,
        node: n2,
        serviceAccount: 'kubernetes-dashboard',
        labels: { 'k8s-app': 'kubernetes-dashboard' },
        owner: { kind: 'ReplicaSet', name: `kubernetes-dashboard-${hash('dash-rs', 10)}` },
        containers: [
          {
            name: 'kubernetes-dashboard',
            image: 'kubernetesui/dashboard:v2.7.0',
            args: [
              '--auto-generate-certificates',
              '--namespace=kubernetes-dashboard',
              '--enable-skip-login',
              '--disable-settings-authorizer',
            ],
            ports: [{ containerPort: 8443, protocol: 'TCP' }],
          },
        ],
      },
      ctx,
      net,
    );
    out.push(dashboard);
  }

  out.push(
    owner('Deployment', 'coredns', coredns[0], coredns.length),
    owner('DaemonSet', 'kube-proxy', kubeProxy[0], ctx.nodes.length),
    owner('Deployment', 'web', web, 1),
  );
  if (collector) out.push(owner('DaemonSet', 'log-collector', collector, 1));
  if (dashboard) out.push(owner('Deployment', 'kubernetes-dashboard', dashboard, 1));

  const tcp = (port: number, name?: string) => ({ name, port, protocol: 'TCP' });
  out.push(
    service('default', 'kubernetes', '10.96.0.1', [
      { name: 'https', port: 443, protocol: 'TCP', targetPort: PORTS.apiserver },
    ]),
    endpoints('default', 'kubernetes', [{ ip: ctx.controlPlane }], [tcp(PORTS.apiserver, 'https')]),
    service(
      'kube-system',
      'kube-dns',
      '10.96.0.10',
      [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      dnsLabels,
    ),
    endpoints(
      'kube-system',
      'kube-dns',
      coredns.map((p) => ({ ip: p.status!.podIP!, pod: p })),
      [{ name: 'dns', port: 53, protocol: 'UDP' }, tcp(53, 'dns-tcp'), tcp(9153, 'metrics')],
    ),
    service('default', 'web', '10.96.12.34', [{ port: 80, protocol: 'TCP', targetPort: 80 }], webLabels),
    endpoints('default', 'web', [{ ip: web.status!.podIP!, pod: web }], [tcp(80)]),
  );
  if (dashboard) {
    out.push(
      service(
        'kubernetes-dashboard',
        'kubernetes-dashboard',
        '10.96.200.1',
        [{ port: 443, protocol: 'TCP', targetPort: 8443, nodePort: PORTS.dashboard }],
        { 'k8s-app': 'kubernetes-dashboard' },
        'NodePort',
      ),
      endpoints(
        'kubernetes-dashboard',
        'kubernetes-dashboard',
        [{ ip: dashboard.status!.podIP!, pod: dashboard }],
        [tcp(8443)],
      ),
    );
  }

  out.push(
    configMap('kube-system', 'kubeadm-config', {
      ClusterConfiguration: [
        'apiServer:',
        '  certSANs:',
        `  - ${ctx.controlPlane}`,
        'apiVersion: kubeadm.k8s.io/v1beta3',
        'clusterName: kubernetes',
        `controlPlaneEndpoint: ${ctx.controlPlane}:${PORTS.apiserver}`,
        'kind: ClusterConfiguration',
        `kubernetesVersion: ${ctx.version}`,
        'networking:',
        '  dnsDomain: cluster.local',
        '  podSubnet: 10.244.0.0/16',
        '  serviceSubnet: 10.96.0.0/12',
        '',
      ].join('\n'),
    }),
    configMap('kube-system', 'kube-proxy', {
      'config.conf': [
        'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
        `bindAddress: 0.0.0.0`,
        'clusterCIDR: 10.244.0.0/16',
        'kind: KubeProxyConfiguration',
        `metricsBindAddress: ${settings.kubeProxyMetrics ? '0.0.0.0' : '127.0.0.1'}:${PORTS.kubeProxyMetrics}`,
        'mode: iptables',
        '',
      ].join('\n'),
    }),
    configMap('kube-system', 'coredns', {
      Corefile:
        '.:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n    cache 30\n}\n',
    }),
  );
  if (settings.riskyWorkloads) {
    out.push(
      configMap('default', 'app-config', {
        DATABASE_URL: `postgres://app:${ctx.secrets.dbPassword}@db.default.svc:5432/app`,
        LOG_LEVEL: 'debug',
        SESSION_TOKEN_TTL: '3600',
      }),
    );
  } else {
    const deny = (ns: string): NetworkPolicy => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: ns },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    out.push(deny('default'), deny('dev'));
  }
  return out;
}
