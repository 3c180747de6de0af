import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, Pod, PodSpec, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { daemonPodTolerations } from '../kubernetes/daemon-pods.js';
import { controllerRef } from './owners.js';
import { defaultPod, type NodeSlot, runPod } from './pods.js';
import { OPS_NAMESPACE } from './seed-ops.js';
import { clusterRole, clusterRoleBinding, serviceAccount } from './seed-rbac.js';
import { stableUid } from './store.js';

// The per-node agents and large fleets of the operational-risk checks (issue 17, situations 2, 3 and 4),
// in namespace `fleet` next to seed-ops.ts's, each with a decoy that looks alike but is safe.
//
//   KF-OPS-002  the pods of fleet/log-shipper (seed-ops.ts, image :latest), one per node, crash-looping:
//               CRASH_RESTARTS restarts each since they started SEED_AGE ago, CrashLoopBackOff now.
//               fleet/storefront Deployment: STOREFRONT_REPLICAS replicas of an image :latest.
//               decoys fleet/catalog (as many replicas, a pinned tag) and fleet/preview (:latest, 2 replicas).
//   KF-OPS-014  fleet/pod-watcher DaemonSet: its account may list and watch pods cluster-wide
//               (ClusterRoleBinding fleet-pod-watcher → ClusterRole fleet-pod-watcher).
//               decoys fleet/pod-getter (may only get pods, cluster-wide) and fleet/local-watcher (may
//               list and watch pods in fleet only: a RoleBinding).
//   KF-OPS-004  fleet/cache-warmer DaemonSet requests 2.5 CPU; the first node has 150m CPU free (the bare pod
//               fleet/batch-worker requests 12 of its 16, the other agents made before it 2.25, CoreDNS 0.1,
//               disk-scrubber 1.5), so its pod there is Pending (seed-daemon-pods.ts).
//               decoy fleet/disk-scrubber requests 1.5 CPU: it fits on every node (its own pod's room counts).

/** Restarts of each crash-looping log-shipper pod, since it started when the lab's objects were made. */
export const CRASH_RESTARTS = 1728;
export const STOREFRONT_REPLICAS = 60;

const meta = (name: string) => ({ name, namespace: OPS_NAMESPACE, labels: { app: name }, generation: 1 });

function daemonSet(name: string, nodes: number, spec: PodSpec): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta(name),
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec },
    },
    status: { currentNumberScheduled: nodes, desiredNumberScheduled: nodes, numberMisscheduled: 0, numberReady: nodes },
  };
}

function deployment(name: string, replicas: number, container: Container): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
    },
    status: { observedGeneration: 1, replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
}

const agent = (name: string, account: string, cpu = '50m'): PodSpec => ({
  serviceAccountName: account,
  containers: [{ name, image: `registry.example/${name}:1.8.0`, resources: { requests: { cpu, memory: '64Mi' } } }],
});

/** A pod the way the lab runs it on `node`, with a pod IP from the top of the node's range (the seeded pods take the bottom). */
function pod(name: string, node: NodeSlot, spec: PodSpec, started: Date, owner?: string): Pod {
  const made = defaultPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: OPS_NAMESPACE,
      labels: { app: owner ?? name },
      ...(owner && {
        ownerReferences: [controllerRef('DaemonSet', owner, stableUid(`daemonsets/${OPS_NAMESPACE}/${owner}`))],
      }),
    },
    // The DaemonSet controller's tolerations on its pods.
    spec: owner ? { ...spec, tolerations: daemonPodTolerations(spec) } : spec,
  });
  return runPod(made, node, `10.244.${node.index + 1}.${250 - node.index}`, started);
}

/** A log-shipper pod that has crashed CRASH_RESTARTS times since `started` and is waiting out its back-off. */
function crashLooping(node: NodeSlot, started: Date): Pod {
  const p = pod(
    `log-shipper-${stableUid(`log-shipper/${node.name}`).slice(0, 5)}`,
    node,
    { containers: [{ name: 'shipper', image: 'registry.example/log-shipper:latest' }] },
    started,
    'log-shipper',
  );
  const status = p.status!;
  status.conditions = status.conditions?.map((c) =>
    c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: 'False' } : c,
  );
  status.containerStatuses = status.containerStatuses?.map((s) => ({
    ...s,
    ready: false,
    started: false,
    restartCount: CRASH_RESTARTS,
    state: {
      waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=shipper' },
    },
    lastState: { terminated: { exitCode: 1, reason: 'Error' } },
  }));
  return p;
}

const rbacOf = (
  name: string,
  verbs: string[],
  namespaced: boolean,
): (ClusterRole | ClusterRoleBinding | Role | RoleBinding)[] => {
  const subject = serviceAccount(OPS_NAMESPACE, name);
  const rules = [{ apiGroups: [''], resources: ['pods'], verbs }];
  if (!namespaced)
    return [clusterRole(`fleet-${name}`, rules), clusterRoleBinding(`fleet-${name}`, `fleet-${name}`, [subject])];
  const role: Role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name, namespace: OPS_NAMESPACE },
    rules,
  };
  const binding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name, namespace: OPS_NAMESPACE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [subject],
  };
  return [role, binding];
};

const account = (name: string): ServiceAccount => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: OPS_NAMESPACE },
});

/** The situations and their decoys for a lab of these nodes, its objects made at `started`. */
export function opsAgentObjects(
  nodes: readonly NodeSlot[],
  started: Date,
): (DaemonSet | Deployment | Pod | ServiceAccount | ClusterRole | ClusterRoleBinding | Role | RoleBinding)[] {
  const n = nodes.length;
  return [
    ...nodes.map((node) => crashLooping(node, started)),
    deployment('storefront', STOREFRONT_REPLICAS, { name: 'web', image: 'registry.example/storefront:latest' }),
    deployment('catalog', STOREFRONT_REPLICAS, { name: 'web', image: 'registry.example/catalog:3.2.0' }),
    deployment('preview', 2, { name: 'web', image: 'registry.example/preview:latest' }),
    ...['pod-watcher', 'pod-getter', 'local-watcher'].map(account),
    ...rbacOf('pod-watcher', ['get', 'list', 'watch'], false),
    ...rbacOf('pod-getter', ['get'], false),
    ...rbacOf('local-watcher', ['get', 'list', 'watch'], true),
    daemonSet('pod-watcher', n, agent('pod-watcher', 'pod-watcher')),
    daemonSet('pod-getter', n, agent('pod-getter', 'pod-getter')),
    daemonSet('local-watcher', n, agent('local-watcher', 'local-watcher')),
    ...(n > 0
      ? [
          pod(
            'batch-worker',
            nodes[0],
            {
              containers: [
                {
                  name: 'worker',
                  image: 'registry.example/batch-worker:5.1.0',
                  resources: { requests: { cpu: '12', memory: '1Gi' } },
                },
              ],
            },
            started,
          ),
        ]
      : []),
    daemonSet('cache-warmer', n, agent('cache-warmer', 'default', '2500m')),
    daemonSet('disk-scrubber', n, agent('disk-scrubber', 'default', '1500m')),
  ];
}
