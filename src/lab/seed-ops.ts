import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Container, Namespace, PodSpec } from 'kubernetes-types/core/v1.js';

// The operational-risk situations (issue 17), each with a decoy that looks alike but is safe, in the
// namespace `fleet` (apart from the objects other tests count). Reported live by apiserver-workloads'
// ops checks (KF-OPS-*); the same situations as manifests are in test/fixtures/ops.
//
//   KF-OPS-001  fleet/checkout: HPA-scaled, its last-applied configuration sets replicas 3 (now 12).
//               decoy fleet/search: HPA-scaled, its last-applied configuration has no replicas.
//   KF-OPS-002  fleet/log-shipper DaemonSet: image :latest (pulled on every start on every node).
//               decoy fleet/node-agent DaemonSet: imagePullPolicy Always, but pinned by digest.
//   KF-OPS-003  fleet/batch-drain: terminationGracePeriodSeconds 7200.
//               decoy fleet/graceful: terminationGracePeriodSeconds 3600 (an hour, not beyond).
//   KF-OPS-004  fleet/gpu-monitor DaemonSet: system-node-critical, requests 1 CPU and 2 GiB per node.
//               decoys fleet/net-agent (system-node-critical, 100m and 128 MiB) and fleet/metrics-agent
//               (1 CPU, no priority class).
//   KF-OPS-005  fleet/report-builder: exec liveness probe `sh -c pg_isready`, timeoutSeconds 1, no init.
//               decoys fleet/report-viewer (the same probe, timeoutSeconds 5) and fleet/report-shared
//               (timeoutSeconds 1, but shareProcessNamespace: the pause process reaps).

export const OPS_NAMESPACE = 'fleet';

const meta = (name: string, annotations?: Record<string, string>) => ({
  name,
  namespace: OPS_NAMESPACE,
  labels: { app: name },
  generation: 1,
  ...(annotations && { annotations }),
});
const template = (name: string, containers: Container[], extra: Partial<PodSpec> = {}) => ({
  selector: { matchLabels: { app: name } },
  template: { metadata: { labels: { app: name } }, spec: { containers, ...extra } },
});

function deployment(name: string, replicas: number, applied?: object, extra?: Partial<PodSpec>): Deployment {
  const annotations = applied
    ? { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(applied) }
    : undefined;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, annotations),
    spec: { replicas, ...template(name, [{ name, image: `registry.example/${name}:1.4.2` }], extra) },
    status: { observedGeneration: 1, replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
}

function applied(name: string, replicas?: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: OPS_NAMESPACE },
    spec: { ...(replicas !== undefined && { replicas }), selector: { matchLabels: { app: name } } },
  };
}

function hpa(name: string): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: OPS_NAMESPACE },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 3,
      maxReplicas: 40,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
    },
  };
}

function daemonSet(name: string, container: Container, nodes: number, extra?: Partial<PodSpec>): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(name),
    spec: template(name, [container], extra),
    status: {
      currentNumberScheduled: nodes,
      desiredNumberScheduled: nodes,
      numberMisscheduled: 0,
      numberReady: nodes,
    },
  };
}

const agent = (name: string, cpu: string, memory: string): Container => ({
  name,
  image: `registry.example/${name}:2.0.1`,
  resources: { requests: { cpu, memory } },
});

function probed(name: string, timeoutSeconds: number, extra: Partial<PodSpec> = {}): Deployment {
  const d = deployment(name, 1, undefined, extra);
  const probe = { exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1'] }, periodSeconds: 10, timeoutSeconds };
  d.spec!.template.spec!.containers[0].livenessProbe = probe;
  return d;
}

/** The situations and their decoys, for a lab of `nodes` nodes. */
export function opsScenarioObjects(nodes: number): (Namespace | Deployment | DaemonSet | HorizontalPodAutoscaler)[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPS_NAMESPACE } },
    deployment('checkout', 12, applied('checkout', 3)),
    hpa('checkout'),
    deployment('search', 5, applied('search')),
    hpa('search'),
    daemonSet('log-shipper', { name: 'shipper', image: 'registry.example/log-shipper:latest' }, nodes),
    daemonSet(
      'node-agent',
      {
        name: 'agent',
        image: `registry.example/node-agent@sha256:${'4f'.repeat(32)}`,
        imagePullPolicy: 'Always',
      },
      nodes,
    ),
    daemonSet('gpu-monitor', agent('gpu-monitor', '1', '2Gi'), nodes, { priorityClassName: 'system-node-critical' }),
    daemonSet('net-agent', agent('net-agent', '100m', '128Mi'), nodes, { priorityClassName: 'system-node-critical' }),
    daemonSet('metrics-agent', agent('metrics-agent', '1', '1Gi'), nodes),
    probed('report-builder', 1),
    probed('report-viewer', 5),
    probed('report-shared', 1, { shareProcessNamespace: true }),
    deployment('batch-drain', 1, undefined, { terminationGracePeriodSeconds: 7200 }),
    deployment('graceful', 1, undefined, { terminationGracePeriodSeconds: 3600 }),
  ];
}
