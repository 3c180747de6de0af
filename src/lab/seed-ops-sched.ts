import { CronExpressionParser } from 'cron-parser';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import type { Namespace, PersistentVolume, PersistentVolumeClaim, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { BULK_LABEL } from './seed-bulk.js';
import { OPS_NAMESPACE } from './seed-ops.js';
import { type KubeObject, stableUid } from './store.js';
import { templateHash } from './workloads.js';

// The scheduling situations of issue 17 (6 and 7), each next to a decoy that looks alike but is safe, in
// namespace `fleet` with the other operational risks (seed-ops.ts). Reported live by apiserver-workloads'
// ops checks (src/hunters/ops/scheduling.ts); the same situations as manifests are in
// test/fixtures/ops/scheduling.yaml. `--pending-pods N` adds a pile of N unschedulable pods (pendingPile).
//
//   KF-OPS-010  PersistentVolume/local-ledger-0: a local volume whose node affinity names ip-10-0-9-14, a
//               node that is gone; its claim fleet/data-ledger-0 and the pod ledger-0 Pending on it.
//               decoy PersistentVolume/local-archive-0: a local volume on the first lab node, claimed.
//   KF-OPS-011  fleet/gpu-trainer: nodeSelector accelerator=nvidia-a100, which no node has (2 pods Pending);
//               fleet/nightly-reindex CronJob: required affinity to hostname ip-10-0-9-14 (gone).
//               decoys fleet/cpu-trainer (nodeSelector kubernetes.io/arch=amd64: its pod runs), fleet/gpu-trainer-idle
//               (the same selector, scaled to zero) and fleet/weekly-reindex (hostname NotIn the gone one).
//   KF-OPS-012  fleet/batch-workers: 25 pods Pending, each asking for 48 CPUs no node has free.
//               decoy fleet/batch-small: 3 pods Pending, under the threshold (20).
//   KF-OPS-013  fleet/sync-inventory CronJob: every 5 minutes, concurrencyPolicy Allow.
//               decoys fleet/sync-prices (every 5 minutes, Forbid) and fleet/sync-report (Allow, every 30).
//
// The CronJobs were last scheduled when their schedule last came round before the lab started
// (status.lastScheduleTime); as every seeded object, they are a picture: the lab's CronJob controller does
// not fire them (src/lab/workloads.ts), so a lab's state stays what it was until a client changes it.

/** A node that is gone: what the stranded volume and the pinned CronJob name. */
export const GONE_NODE = 'ip-10-0-9-14';

const NONROOT: PodSpec['securityContext'] = { runAsNonRoot: true, runAsUser: 10001 };
const meta = (name: string, labels: Record<string, string> = { app: name }) => ({
  name,
  namespace: OPS_NAMESPACE,
  labels,
});
const spec = (name: string, extra: Partial<PodSpec> = {}, cpu = '100m'): PodSpec => ({
  securityContext: NONROOT,
  containers: [{ name, image: `registry.example/${name}:2.3.0`, resources: { requests: { cpu, memory: '256Mi' } } }],
  ...extra,
});
const hostnameAffinity = (operator: 'In' | 'NotIn', node: string): PodSpec['affinity'] => ({
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator, values: [node] }] }],
    },
  },
});
const unscheduled = (message: string): Pod['status'] => ({
  phase: 'Pending',
  qosClass: 'Burstable',
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
});

/** A Deployment, its ReplicaSet and `pending` of its pods that no node took, one at a time. */
function* pendingDeployment(
  name: string,
  replicas: number,
  podSpec: PodSpec,
  pending: number,
  message: string,
  namespace = OPS_NAMESPACE,
  labels: Record<string, string> = {},
): Generator<KubeObject> {
  const template = { metadata: { labels: { app: name, ...labels } }, spec: podSpec };
  const hash = templateHash(template);
  const rs = `${name}-${hash}`;
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(name, { app: name, ...labels }), namespace, generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: name } }, template },
    status: { observedGeneration: 1, replicas, unavailableReplicas: replicas, updatedReplicas: replicas },
  };
  const replicaSet: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rs,
      namespace,
      labels: { ...template.metadata.labels, 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name,
          uid: stableUid(`deployments/${namespace}/${name}`),
          controller: true,
        },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: name, 'pod-template-hash': hash } },
      // The Deployment controller adds the hash to the ReplicaSet's template: its pods carry it.
      template: { ...template, metadata: { labels: { ...template.metadata.labels, 'pod-template-hash': hash } } },
    },
    status: { replicas, observedGeneration: 1 },
  };
  yield deployment as unknown as KubeObject;
  yield replicaSet as unknown as KubeObject;
  const owner = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: rs,
    uid: stableUid(`replicasets/${namespace}/${rs}`),
  };
  for (let i = 1; i <= pending; i++) {
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs}-${String(i).padStart(5, '0')}`,
        namespace,
        labels: { ...template.metadata.labels, 'pod-template-hash': hash },
        ownerReferences: [{ ...owner, controller: true }],
      },
      spec: podSpec,
      status: unscheduled(message),
    };
    yield pod as unknown as KubeObject;
  }
}

/** When a schedule last came round before `now`, as the CronJob controller records it. */
function lastRunOf(schedule: string, now: Date): string {
  const last = CronExpressionParser.parse(schedule, { currentDate: now, tz: 'UTC' }).prev().toDate();
  return last.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function cronJob(
  name: string,
  schedule: string,
  concurrencyPolicy: 'Allow' | 'Forbid',
  now: Date,
  extra: Partial<PodSpec> = {},
): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta(name),
    spec: {
      schedule,
      concurrencyPolicy,
      jobTemplate: {
        spec: {
          template: { metadata: { labels: { app: name } }, spec: spec(name, { restartPolicy: 'Never', ...extra }) },
        },
      },
    },
    status: { lastScheduleTime: lastRunOf(schedule, now) },
  };
}

function localVolume(name: string, node: string, claim: string): [PersistentVolume, PersistentVolumeClaim] {
  return [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, finalizers: ['kubernetes.io/pv-protection'] },
      spec: {
        capacity: { storage: '50Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local',
        volumeMode: 'Filesystem',
        local: { path: '/mnt/disks/ssd0' },
        claimRef: { kind: 'PersistentVolumeClaim', namespace: OPS_NAMESPACE, name: claim, apiVersion: 'v1' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
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
        name: claim,
        namespace: OPS_NAMESPACE,
        annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'volume.kubernetes.io/selected-node': node },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '50Gi' } },
        storageClassName: 'local',
        volumeMode: 'Filesystem',
        volumeName: name,
      },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '50Gi' } },
    },
  ];
}

/** The ledger StatefulSet, whose one replica waits for its volume on the gone node. */
function ledger(nodes: number): KubeObject[] {
  const podSpec = spec('ledger', {
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-ledger-0' } }],
  });
  const set: StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { ...meta('ledger'), generation: 1 },
    spec: {
      replicas: 1,
      serviceName: 'ledger',
      selector: { matchLabels: { app: 'ledger' } },
      template: { metadata: { labels: { app: 'ledger' } }, spec: spec('ledger') },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: 'local',
            resources: { requests: { storage: '50Gi' } },
          },
        },
      ],
    },
    status: { observedGeneration: 1, replicas: 1, readyReplicas: 0, currentReplicas: 1, updatedReplicas: 1 },
  };
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'ledger-0',
      namespace: OPS_NAMESPACE,
      labels: { app: 'ledger', 'statefulset.kubernetes.io/pod-name': 'ledger-0' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          name: 'ledger',
          uid: stableUid(`statefulsets/${OPS_NAMESPACE}/ledger`),
          controller: true,
        },
      ],
    },
    spec: podSpec,
    status: unscheduled(`0/${nodes} nodes are available: ${nodes} node(s) had volume node affinity conflict.`),
  };
  return [set, pod] as unknown as KubeObject[];
}

/**
 * The situations and their decoys, for a lab of `nodes` nodes whose first worker node is `firstNode`,
 * starting at `started` (when its CronJobs last ran is counted back from it).
 */
export function schedulingScenarioObjects(firstNode: string, nodes: number, started: Date): KubeObject[] {
  const noSelector = `0/${nodes} nodes are available: ${nodes} node(s) didn't match Pod's node affinity/selector.`;
  const noCpu = `0/${nodes} nodes are available: ${nodes} Insufficient cpu.`;
  const gpu = spec('gpu-trainer', { nodeSelector: { accelerator: 'nvidia-a100' } });
  return [
    ...localVolume('local-ledger-0', GONE_NODE, 'data-ledger-0'),
    ...ledger(nodes),
    ...localVolume('local-archive-0', firstNode, 'data-archive-0'),
    ...pendingDeployment('gpu-trainer', 2, gpu, 2, noSelector),
    ...pendingDeployment('gpu-trainer-idle', 0, gpu, 0, noSelector),
    ...pendingDeployment(
      'cpu-trainer',
      1,
      // 25m: its pod runs on every lab, a one-node one included (50m CPU left there once the agents run).
      spec('cpu-trainer', { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }, '25m'),
      0,
      '',
    ),
    cronJob('nightly-reindex', '0 3 1 * *', 'Forbid', started, {
      affinity: hostnameAffinity('In', GONE_NODE),
    }),
    cronJob('weekly-reindex', '0 3 * * 0', 'Forbid', started, {
      affinity: hostnameAffinity('NotIn', GONE_NODE),
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    }),
    ...pendingDeployment('batch-workers', 25, spec('batch-workers', {}, '48'), 25, noCpu),
    ...pendingDeployment('batch-small', 3, spec('batch-small', {}, '48'), 3, noCpu),
    cronJob('sync-inventory', '*/5 * * * *', 'Allow', started),
    cronJob('sync-prices', '*/5 * * * *', 'Forbid', started),
    cronJob('sync-report', '*/30 * * * *', 'Allow', started),
  ] as KubeObject[];
}

/** Where `--pending-pods` puts its pile, and how many owners share it. */
export const PENDING_NAMESPACE = 'a-bulk-pending';
export const PENDING_OWNERS = 3;

/**
 * `--pending-pods N`: N pods Pending under a few Deployments (PENDING_OWNERS at most, the pods dealt
 * round) whose node selector no node has, as a cluster looks after a node pool was removed under them.
 * Labelled as bulk objects: left out of etcd and the container runtime, like the other scale options'.
 */
export function* pendingPileObjects(count: number, nodes: number): Generator<KubeObject> {
  if (count <= 0) return;
  const labels = { [BULK_LABEL]: 'true' };
  const namespace: Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: PENDING_NAMESPACE, labels: { ...labels, 'kubernetes.io/metadata.name': PENDING_NAMESPACE } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
  yield namespace as KubeObject;
  const owners = Math.min(PENDING_OWNERS, count);
  const message = `0/${nodes} nodes are available: ${nodes} node(s) didn't match Pod's node affinity/selector.`;
  for (let i = 0; i < owners; i++) {
    const share = Math.floor(count / owners) + (i < count % owners ? 1 : 0);
    const name = `a-bulk-pending-${i + 1}`;
    const podSpec = { ...spec(name), nodeSelector: { 'node.example/pool': `retired-${i + 1}` } };
    yield* pendingDeployment(name, share, podSpec, share, message, PENDING_NAMESPACE, labels);
  }
}
