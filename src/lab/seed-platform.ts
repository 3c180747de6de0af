import { controllerRef } from './owners.js';
import type { NodeSlot } from './pods.js';
import { groupVersion, type ResourceType } from './resources.js';
import type { KubeObject } from './store.js';
import { stableUid } from './store.js';

// The platform objects a kubeadm cluster in use holds besides its workloads: the ReplicaSets its
// Deployments' pods belong to, a local StorageClass with a PersistentVolume pinned to a node (node
// affinity) and the claim bound to it, the built-in PriorityClasses, node and leader-election Leases,
// and the `kubernetes` EndpointSlice.

export interface PlatformContext {
  /** The seeded workloads (Deployments and their pods among them). */
  workloads: KubeObject[];
  nodes: NodeSlot[];
  controlPlane: string;
  resources: readonly ResourceType[];
  started: Date;
}

type Labels = Record<string, string>;

/** The ReplicaSet behind each seeded pod owned by one, with its Deployment's template. */
function replicaSets(ctx: PlatformContext): KubeObject[] {
  const out = new Map<string, KubeObject>();
  const deployments = ctx.workloads.filter((o) => o.kind === 'Deployment');
  for (const pod of ctx.workloads.filter((o) => o.kind === 'Pod')) {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
    if (!ref) continue;
    const ns = pod.metadata.namespace ?? '';
    const key = `${ns}/${ref.name}`;
    const existing = out.get(key);
    if (existing) {
      const spec = existing.spec as { replicas: number };
      spec.replicas++;
      (existing.status as { replicas: number }).replicas++;
      continue;
    }
    const deployment = deployments.find(
      (d) => d.metadata.namespace === ns && ref.name.startsWith(`${d.metadata.name}-`),
    );
    const spec = (deployment?.spec ?? {}) as { selector?: unknown; template?: { metadata?: { labels?: Labels } } };
    const hash = ref.name.slice((deployment?.metadata.name ?? '').length + 1);
    out.set(key, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: ref.name,
        namespace: ns,
        labels: { ...spec.template?.metadata?.labels, 'pod-template-hash': hash },
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: deployment
          ? [
              controllerRef(
                'Deployment',
                deployment.metadata.name ?? '',
                stableUid(`deployments/${ns}/${deployment.metadata.name}`),
              ),
            ]
          : undefined,
        generation: 1,
      },
      spec: { replicas: 1, selector: spec.selector, template: spec.template },
      status: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 },
    });
  }
  // Status counts follow the pods counted above.
  for (const rs of out.values()) {
    const s = rs.status as Record<string, number>;
    s.fullyLabeledReplicas = s.readyReplicas = s.availableReplicas = s.replicas;
  }
  return [...out.values()];
}

function storage(ctx: PlatformContext): KubeObject[] {
  const node = ctx.nodes[0];
  const pv = `local-data-${node.name}`;
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubernetes.io/no-provisioner',
      reclaimPolicy: 'Retain',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pv, finalizers: ['kubernetes.io/pv-protection'] },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local',
        volumeMode: 'Filesystem',
        local: { path: '/mnt/disks/data' },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', apiVersion: 'v1' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.name] }] },
            ],
          },
        },
      },
      status: { phase: 'Bound' },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data',
        namespace: 'default',
        annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/selected-node': node.name },
        finalizers: ['kubernetes.io/pvc-protection'],
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '10Gi' } },
        storageClassName: 'local',
        volumeMode: 'Filesystem',
        volumeName: pv,
      },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
    },
  ];
}

function priorityClasses(): KubeObject[] {
  const pc = (name: string, value: number, description: string): KubeObject => ({
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name },
    value,
    globalDefault: false,
    description,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  return [
    pc('system-cluster-critical', 2_000_000_000, 'Used for system critical pods that must run in the cluster.'),
    pc('system-node-critical', 2_000_001_000, 'Used for system critical pods that must not be moved from their node.'),
  ];
}

function leases(ctx: PlatformContext): KubeObject[] {
  const renew = `${ctx.started.toISOString().slice(0, 19)}.000000Z`;
  const lease = (namespace: string, name: string, holder: string, seconds: number): KubeObject => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace },
    spec: { holderIdentity: holder, leaseDurationSeconds: seconds, renewTime: renew },
  });
  return [
    ...ctx.nodes.map((n) => lease('kube-node-lease', n.name, n.name, 40)),
    lease('kube-system', 'kube-controller-manager', `lab-control-plane_${stableUid('kcm')}`, 15),
    lease('kube-system', 'kube-scheduler', `lab-control-plane_${stableUid('sched')}`, 15),
  ];
}

function endpointSlices(ctx: PlatformContext): KubeObject[] {
  const rt = ctx.resources.find((r) => r.kind === 'EndpointSlice');
  if (!rt) return [];
  return [
    {
      apiVersion: groupVersion(rt),
      kind: 'EndpointSlice',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: {
          'kubernetes.io/service-name': 'kubernetes',
          'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ctx.controlPlane], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    },
  ];
}

/** The platform objects to seed, each under the version this lab serves its kind as. */
export function platformObjects(ctx: PlatformContext): KubeObject[] {
  return [...replicaSets(ctx), ...storage(ctx), ...priorityClasses(), ...leases(ctx), ...endpointSlices(ctx)];
}
