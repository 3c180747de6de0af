import type { Pod } from 'kubernetes-types/core/v1.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import { type KubeObject, type Store, timestamp } from './store.js';

// The statuses the ReplicaSet and Deployment controllers write, counted from the pods: one way for the
// seeded workloads (seed-replica-pods.ts) and for those the lab's controllers make (workloads.ts).

const rt = (kind: string) => resourceOfKind(RESOURCES, kind);

interface ReplicaSpec {
  replicas?: number;
  template?: unknown;
}

/** Whether `owner` is the controller of `o`. */
export const controlledBy = (o: KubeObject, owner: KubeObject) =>
  o.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid) ?? false;

/** Whether a pod is Ready. */
export const isReady = (p: KubeObject) =>
  (p.status as Pod['status'])?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A ReplicaSet's status from its pods: replicas always, the other counts left out at 0, as the controller writes them. */
export function replicaSetStatus(store: Store, rs: KubeObject): Record<string, unknown> {
  const pods = store.list(rt('Pod'), rs.metadata.namespace).filter((p) => controlledBy(p, rs));
  const ready = pods.filter(isReady).length;
  return {
    replicas: pods.length,
    ...(pods.length > 0 && { fullyLabeledReplicas: pods.length }),
    ...(ready > 0 && { readyReplicas: ready, availableReplicas: ready }),
    observedGeneration: rs.metadata.generation ?? 1,
  };
}

/**
 * A Deployment's status as its controller writes it from its ReplicaSets' pods: counts (left out at 0),
 * Available while no more pods are missing than maxUnavailable (25 % of the replicas, rounded down, by
 * default) allows, and Progressing done, or past its deadline (600 s) for a seeded one still short of pods.
 */
export function deploymentStatus(store: Store, d: KubeObject, at: Date): Record<string, unknown> {
  const spec = (d.spec ?? {}) as ReplicaSpec;
  const wanted = spec.replicas ?? 1;
  const sets = store.list(rt('ReplicaSet'), d.metadata.namespace).filter((r) => controlledBy(r, d));
  // The newest ReplicaSet is the Deployment's current template: the highest revision the controller numbered.
  const revision = (r: KubeObject) => Number(r.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  const current = sets.reduce<KubeObject | undefined>((a, r) => (!a || revision(r) > revision(a) ? r : a), undefined);
  const podsOf = (rs: KubeObject) => store.list(rt('Pod'), d.metadata.namespace).filter((p) => controlledBy(p, rs));
  const pods = sets.flatMap(podsOf);
  const updated = current ? podsOf(current).length : 0;
  const ready = pods.filter(isReady).length;
  const unavailable = Math.max(0, wanted - ready);
  const maxUnavailable = Math.floor(wanted / 4);
  const when = timestamp(at);
  const rsName = current?.metadata.name ?? d.metadata.name;
  const counts = Object.fromEntries(
    Object.entries({
      replicas: pods.length,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: unavailable,
    }).filter(([, n]) => n > 0),
  );
  return {
    observedGeneration: d.metadata.generation ?? 1,
    ...counts,
    conditions: [
      unavailable <= maxUnavailable
        ? {
            type: 'Available',
            status: 'True',
            lastUpdateTime: when,
            lastTransitionTime: when,
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          }
        : {
            type: 'Available',
            status: 'False',
            lastUpdateTime: when,
            lastTransitionTime: when,
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
      unavailable === 0
        ? {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: when,
            lastTransitionTime: when,
            reason: 'NewReplicaSetAvailable',
            message: `ReplicaSet "${rsName}" has successfully progressed.`,
          }
        : {
            type: 'Progressing',
            status: 'False',
            lastUpdateTime: when,
            lastTransitionTime: when,
            reason: 'ProgressDeadlineExceeded',
            message: `ReplicaSet "${rsName}" has timed out progressing.`,
          },
    ],
  };
}

/** The node a daemon pod is for: where it is bound, else the node its affinity pins it to (GetTargetNodeName). */
function targetNode(pod: KubeObject): string | undefined {
  const spec = pod.spec as Pod['spec'];
  if (spec?.nodeName) return spec.nodeName;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms?.[0]?.matchFields?.find((f) => f.key === 'metadata.name' && f.operator === 'In')?.values?.[0];
}

/**
 * A DaemonSet's status as its controller counts it over `nodes`, the nodes it should run on: a node with its
 * pod is scheduled (a Pending pod pinned there too), ready and available when that pod is, updated when the
 * pod has the current revision; pods on other nodes are misscheduled. Counts at 0 are left out where the
 * API leaves them out (numberAvailable, numberUnavailable, updatedNumberScheduled).
 */
export function daemonSetStatus(
  store: Store,
  ds: KubeObject,
  nodes: readonly string[],
  hash: string,
): Record<string, unknown> {
  const pods = store.list(rt('Pod'), ds.metadata.namespace).filter((p) => controlledBy(p, ds));
  const byNode = new Map<string, KubeObject>();
  for (const p of pods) {
    const node = targetNode(p);
    if (node && !byNode.has(node)) byNode.set(node, p);
  }
  const wanted = new Set(nodes);
  let scheduled = 0;
  let ready = 0;
  let updated = 0;
  for (const node of wanted) {
    const pod = byNode.get(node);
    if (!pod) continue;
    scheduled++;
    if (isReady(pod)) ready++;
    if (pod.metadata.labels?.['controller-revision-hash'] === hash) updated++;
  }
  const misscheduled = [...byNode.keys()].filter((n) => !wanted.has(n)).length;
  return {
    currentNumberScheduled: scheduled,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: wanted.size,
    numberReady: ready,
    ...(ready > 0 && { numberAvailable: ready }),
    ...(wanted.size > ready && { numberUnavailable: wanted.size - ready }),
    ...(updated > 0 && { updatedNumberScheduled: updated }),
    observedGeneration: ds.metadata.generation ?? 1,
  };
}
