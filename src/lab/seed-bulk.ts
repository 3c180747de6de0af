import type { Namespace, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { ClusterRole } from 'kubernetes-types/rbac/v1.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import type { KubeObject, Store } from './store.js';

// A lab the size of a real cluster, on demand: extra pods on every node, Secrets, namespaces and roles,
// all ordinary and all named so that they sort before the lab's own objects in every list (`a-bulk…`
// before `default`, `kube-system`, `cluster-admin`): whatever is interesting comes last, as a hunter that
// stops early would miss it. Deterministic: the same seed gives the same objects.

/** How much to add; every count defaults to 0. */
export interface LabScale {
  /** Extra pods on each node (in namespace `a-bulk`). */
  podsPerNode?: number;
  /** Extra Opaque Secrets (in namespace `a-bulk`). */
  secrets?: number;
  /** Extra, empty namespaces `a-bulk-00001`… */
  namespaces?: number;
  /** Extra ClusterRoles `a-bulk-role-00001`…, each allowing to read one kind of object. */
  roles?: number;
  /** Pods Pending under a few owners whose node selector no node has (seed-ops-sched.ts, `--pending-pods`). */
  pendingPods?: number;
  /** Node objects served by the API only (no kubelet listens for them); see seed-bulk-workloads.ts. */
  apiNodes?: number;
  /** Deployments, DaemonSets, StatefulSets, Jobs and CronJobs spread over namespaces (seed-bulk-workloads.ts). */
  workloads?: number;
  /** Pods of those workloads, in all (default 10 per workload), on the API-only nodes when there are any. */
  workloadPods?: number;
  /** Seed of the few choices made at random (images, resources read by the roles). Default 1. */
  seed?: number;
}

/** The label every added object carries: the lab leaves them out of etcd and out of the container runtime. */
export const BULK_LABEL = 'lab.kubeferret.io/bulk';
export const BULK_NAMESPACE = 'a-bulk';

export function isBulk(o: { metadata?: { labels?: Record<string, string> } }): boolean {
  return o.metadata?.labels?.[BULK_LABEL] === 'true';
}

/** mulberry32: a small, fast, seeded generator (uniform in [0, 1)). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const IMAGES = ['registry.k8s.io/pause:3.9', 'nginx:1.25', 'redis:7.2', 'busybox:1.36', 'python:3.12-slim'];
const READABLE = ['pods', 'services', 'configmaps', 'deployments', 'events', 'endpoints'];
const labels = { [BULK_LABEL]: 'true' };
const pad = (n: number) => String(n).padStart(6, '0');

/** Whether any object is to be added. */
export function wantsBulk(scale: LabScale | undefined): boolean {
  return !!scale && [scale.podsPerNode, scale.secrets, scale.namespaces, scale.roles].some((n) => (n ?? 0) > 0);
}

/** The added objects, namespaces first, generated one at a time (a lab of 100,000 pods builds no array). */
export function* bulkObjects(
  scale: LabScale,
  nodes: readonly { name: string; address: string; index: number }[],
  started: Date,
): Generator<KubeObject> {
  const random = seeded(scale.seed ?? 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const namespace = (name: string): Namespace => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...labels, 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
  yield namespace(BULK_NAMESPACE) as KubeObject;
  for (let i = 1; i <= (scale.namespaces ?? 0); i++) yield namespace(`${BULK_NAMESPACE}-${pad(i)}`) as KubeObject;
  for (let i = 1; i <= (scale.secrets ?? 0); i++) {
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `a-bulk-secret-${pad(i)}`, namespace: BULK_NAMESPACE, labels },
      type: 'Opaque',
      data: { setting: Buffer.from(`value ${i}`).toString('base64') },
    };
    yield secret as KubeObject;
  }
  for (let i = 1; i <= (scale.roles ?? 0); i++) {
    const role: ClusterRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `a-bulk-role-${pad(i)}`, labels },
      rules: [{ apiGroups: ['', 'apps'], resources: [pick(READABLE)], verbs: ['get', 'list', 'watch'] }],
    };
    yield role as KubeObject;
  }
  const startTime = `${started.toISOString().slice(0, 19)}Z`;
  for (const node of nodes) {
    for (let i = 1; i <= (scale.podsPerNode ?? 0); i++) {
      const name = `a-bulk-pod-${node.index + 1}-${pad(i)}`;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: BULK_NAMESPACE, labels: { ...labels, app: 'bulk' } },
        spec: {
          nodeName: node.name,
          serviceAccountName: 'default',
          containers: [{ name: 'app', image: pick(IMAGES), resources: {} }],
        },
        status: { phase: 'Running', hostIP: node.address, startTime },
      };
      yield pod as KubeObject;
    }
  }
}

/** Adds the objects `scale` asks for to the store (before the lab's controllers watch it). */
export function seedBulk(
  store: Store,
  scale: LabScale,
  nodes: readonly { name: string; address: string }[],
  created: Date,
): void {
  const slots = nodes.map((n, index) => ({ name: n.name, address: n.address, index }));
  for (const o of bulkObjects(scale, slots, created))
    store.create(resourceOfKind(RESOURCES, o.kind ?? ''), o, { created });
}
