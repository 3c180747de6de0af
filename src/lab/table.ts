import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

type Cell = string | number;
interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Column = [name: string, type: string, priority: number, cell: (o: KubeObject, now: number) => Cell];

/** Kubernetes' duration.HumanDuration: how `kubectl get` shows an age. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 730) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 === 0 || d >= 2920 ? `${y}y` : `${y}y${d % 365}d`;
}

const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined),
    o,
  );
const str = (v: unknown, none = '<none>') => (v === undefined || v === null || v === '' ? none : String(v));
const count = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v).length : 0);
const age = (o: KubeObject, now: number) => humanDuration(now - Date.parse(o.metadata.creationTimestamp ?? ''));
const selector = (v: unknown) =>
  v && typeof v === 'object' && count(v) > 0
    ? Object.entries(v as Record<string, string>)
        .map(([k, x]) => `${k}=${x}`)
        .join(',')
    : '<none>';

/** `RWO,ROX`: how kubectl abbreviates access modes. */
const accessModes = (v: unknown) =>
  ((v as string[]) ?? [])
    .map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' })[m] ?? m)
    .join(',');

const NAME: Column = ['Name', 'name', 0, (o) => o.metadata.name ?? ''];
const AGE: Column = ['Age', 'string', 0, age];

type Status = { name: string; ready?: boolean; restartCount?: number; state?: Record<string, { reason?: string }> };

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const statuses = (get(o, 'status', 'containerStatuses') as Status[] | undefined) ?? [];
  for (const s of statuses) {
    const waiting = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (waiting) return waiting;
  }
  return str(get(o, 'status', 'phase'), 'Unknown');
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    NAME,
    [
      'Ready',
      'string',
      0,
      (o) => {
        const s = (get(o, 'status', 'containerStatuses') as Status[] | undefined) ?? [];
        const total = ((get(o, 'spec', 'containers') as unknown[]) ?? []).length;
        return `${s.filter((x) => x.ready).length}/${total}`;
      },
    ],
    ['Status', 'string', 0, podStatus],
    [
      'Restarts',
      'string',
      0,
      (o) =>
        String(
          ((get(o, 'status', 'containerStatuses') as Status[]) ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0),
        ),
    ],
    AGE,
    ['IP', 'string', 1, (o) => str(get(o, 'status', 'podIP'))],
    ['Node', 'string', 1, (o) => str(get(o, 'spec', 'nodeName'))],
    ['Nominated Node', 'string', 1, (o) => str(get(o, 'status', 'nominatedNodeName'))],
    ['Readiness Gates', 'string', 1, () => '<none>'],
  ],
  Node: [
    NAME,
    [
      'Status',
      'string',
      0,
      (o) => {
        const ready = ((get(o, 'status', 'conditions') as { type: string; status: string }[]) ?? []).find(
          (c) => c.type === 'Ready',
        );
        const state = ready?.status === 'True' ? 'Ready' : 'NotReady';
        return get(o, 'spec', 'unschedulable') ? `${state},SchedulingDisabled` : state;
      },
    ],
    [
      'Roles',
      'string',
      0,
      (o) => {
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length));
        return roles.length ? roles.join(',') : '<none>';
      },
    ],
    AGE,
    ['Version', 'string', 0, (o) => str(get(o, 'status', 'nodeInfo', 'kubeletVersion'), '')],
    [
      'Internal-IP',
      'string',
      1,
      (o) =>
        str(
          ((get(o, 'status', 'addresses') as { type: string; address: string }[]) ?? []).find(
            (a) => a.type === 'InternalIP',
          )?.address,
        ),
    ],
    [
      'External-IP',
      'string',
      1,
      (o) =>
        str(
          ((get(o, 'status', 'addresses') as { type: string; address: string }[]) ?? []).find(
            (a) => a.type === 'ExternalIP',
          )?.address,
        ),
    ],
    ['OS-Image', 'string', 1, (o) => str(get(o, 'status', 'nodeInfo', 'osImage'))],
    ['Kernel-Version', 'string', 1, (o) => str(get(o, 'status', 'nodeInfo', 'kernelVersion'))],
    ['Container-Runtime', 'string', 1, (o) => str(get(o, 'status', 'nodeInfo', 'containerRuntimeVersion'))],
  ],
  Namespace: [NAME, ['Status', 'string', 0, (o) => str(get(o, 'status', 'phase'), '')], AGE],
  Secret: [
    NAME,
    ['Type', 'string', 0, (o) => str(get(o, 'type'), '')],
    ['Data', 'string', 0, (o) => String(count(o.data))],
    AGE,
  ],
  ServiceAccount: [NAME, ['Secrets', 'string', 0, (o) => String(((o.secrets as unknown[]) ?? []).length)], AGE],
  ConfigMap: [NAME, ['Data', 'string', 0, (o) => String(count(o.data) + count(o.binaryData))], AGE],
  Service: [
    NAME,
    ['Type', 'string', 0, (o) => str(get(o, 'spec', 'type'), 'ClusterIP')],
    ['Cluster-IP', 'string', 0, (o) => str(get(o, 'spec', 'clusterIP'))],
    ['External-IP', 'string', 0, () => '<none>'],
    [
      'Port(s)',
      'string',
      0,
      (o) =>
        ((get(o, 'spec', 'ports') as { port: number; nodePort?: number; protocol?: string }[]) ?? [])
          .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>',
    ],
    AGE,
    ['Selector', 'string', 1, (o) => selector(get(o, 'spec', 'selector'))],
  ],
  Endpoints: [
    NAME,
    [
      'Endpoints',
      'string',
      0,
      (o) => {
        const out: string[] = [];
        for (const s of (o.subsets as { addresses?: { ip: string }[]; ports?: { port: number }[] }[]) ?? []) {
          for (const a of s.addresses ?? []) for (const p of s.ports ?? []) out.push(`${a.ip}:${p.port}`);
        }
        return out.length ? out.join(',') : '<none>';
      },
    ],
    AGE,
  ],
  Deployment: [
    NAME,
    [
      'Ready',
      'string',
      0,
      (o) => `${Number(get(o, 'status', 'readyReplicas') ?? 0)}/${Number(get(o, 'spec', 'replicas') ?? 0)}`,
    ],
    ['Up-to-date', 'integer', 0, (o) => Number(get(o, 'status', 'updatedReplicas') ?? 0)],
    ['Available', 'integer', 0, (o) => Number(get(o, 'status', 'availableReplicas') ?? 0)],
    AGE,
  ],
  DaemonSet: [
    NAME,
    ['Desired', 'integer', 0, (o) => Number(get(o, 'status', 'desiredNumberScheduled') ?? 0)],
    ['Current', 'integer', 0, (o) => Number(get(o, 'status', 'currentNumberScheduled') ?? 0)],
    ['Ready', 'integer', 0, (o) => Number(get(o, 'status', 'numberReady') ?? 0)],
    [
      'Up-to-date',
      'integer',
      0,
      (o) => Number(get(o, 'status', 'updatedNumberScheduled') ?? get(o, 'status', 'currentNumberScheduled') ?? 0),
    ],
    ['Available', 'integer', 0, (o) => Number(get(o, 'status', 'numberAvailable') ?? 0)],
    ['Node Selector', 'string', 0, (o) => selector(get(o, 'spec', 'template', 'spec', 'nodeSelector'))],
    AGE,
  ],
  ReplicaSet: [
    NAME,
    ['Desired', 'integer', 0, (o) => Number(get(o, 'spec', 'replicas') ?? 1)],
    ['Current', 'integer', 0, (o) => Number(get(o, 'status', 'replicas') ?? 0)],
    ['Ready', 'integer', 0, (o) => Number(get(o, 'status', 'readyReplicas') ?? 0)],
    AGE,
  ],
  StatefulSet: [
    NAME,
    [
      'Ready',
      'string',
      0,
      (o) => `${Number(get(o, 'status', 'readyReplicas') ?? 0)}/${Number(get(o, 'spec', 'replicas') ?? 1)}`,
    ],
    AGE,
  ],
  Job: [
    NAME,
    [
      'Completions',
      'string',
      0,
      (o) => `${Number(get(o, 'status', 'succeeded') ?? 0)}/${Number(get(o, 'spec', 'completions') ?? 1)}`,
    ],
    [
      'Duration',
      'string',
      0,
      (o, now) => {
        const start = Date.parse(String(get(o, 'status', 'startTime') ?? ''));
        return Number.isNaN(start) ? '' : humanDuration(now - start);
      },
    ],
    AGE,
  ],
  CronJob: [
    NAME,
    ['Schedule', 'string', 0, (o) => str(get(o, 'spec', 'schedule'), '')],
    ['Suspend', 'boolean', 0, (o) => String(get(o, 'spec', 'suspend') ?? false)],
    ['Active', 'integer', 0, (o) => ((get(o, 'status', 'active') as unknown[]) ?? []).length],
    [
      'Last Schedule',
      'date',
      0,
      (o, now) => {
        const last = get(o, 'status', 'lastScheduleTime');
        return last ? humanDuration(now - Date.parse(String(last))) : '<none>';
      },
    ],
    AGE,
  ],
  PersistentVolume: [
    NAME,
    ['Capacity', 'string', 0, (o) => str(get(o, 'spec', 'capacity', 'storage'), '')],
    ['Access Modes', 'string', 0, (o) => accessModes(get(o, 'spec', 'accessModes'))],
    ['Reclaim Policy', 'string', 0, (o) => str(get(o, 'spec', 'persistentVolumeReclaimPolicy'), '')],
    ['Status', 'string', 0, (o) => str(get(o, 'status', 'phase'), '')],
    [
      'Claim',
      'string',
      0,
      (o) => {
        const ref = get(o, 'spec', 'claimRef') as { namespace?: string; name?: string } | undefined;
        return ref ? `${ref.namespace}/${ref.name}` : '';
      },
    ],
    ['StorageClass', 'string', 0, (o) => str(get(o, 'spec', 'storageClassName'), '')],
    ['Reason', 'string', 0, (o) => str(get(o, 'status', 'reason'), '')],
    AGE,
  ],
  PersistentVolumeClaim: [
    NAME,
    ['Status', 'string', 0, (o) => str(get(o, 'status', 'phase'), '')],
    ['Volume', 'string', 0, (o) => str(get(o, 'spec', 'volumeName'), '')],
    ['Capacity', 'string', 0, (o) => str(get(o, 'status', 'capacity', 'storage'), '')],
    ['Access Modes', 'string', 0, (o) => accessModes(get(o, 'status', 'accessModes'))],
    ['StorageClass', 'string', 0, (o) => str(get(o, 'spec', 'storageClassName'), '')],
    AGE,
  ],
  StorageClass: [
    NAME,
    ['Provisioner', 'string', 0, (o) => str(o.provisioner, '')],
    ['ReclaimPolicy', 'string', 0, (o) => str(o.reclaimPolicy, 'Delete')],
    ['VolumeBindingMode', 'string', 0, (o) => str(o.volumeBindingMode, 'Immediate')],
    ['AllowVolumeExpansion', 'string', 0, (o) => String(o.allowVolumeExpansion ?? false)],
    AGE,
  ],
  PriorityClass: [
    NAME,
    ['Value', 'integer', 0, (o) => Number(o.value ?? 0)],
    ['Global-Default', 'boolean', 0, (o) => String(o.globalDefault ?? false)],
    AGE,
  ],
  CertificateSigningRequest: [
    NAME,
    AGE,
    ['SignerName', 'string', 0, (o) => str(get(o, 'spec', 'signerName'), '')],
    ['Requestor', 'string', 0, (o) => str(get(o, 'spec', 'username'), '')],
    ['RequestedDuration', 'string', 0, (o) => str(get(o, 'spec', 'expirationSeconds'), '<none>')],
    [
      'Condition',
      'string',
      0,
      (o) => {
        const conditions = (get(o, 'status', 'conditions') as { type: string }[] | undefined) ?? [];
        return conditions.length ? conditions.map((c) => c.type).join(',') : 'Pending';
      },
    ],
  ],
  HorizontalPodAutoscaler: [
    NAME,
    [
      'Reference',
      'string',
      0,
      (o) => `${get(o, 'spec', 'scaleTargetRef', 'kind')}/${get(o, 'spec', 'scaleTargetRef', 'name')}`,
    ],
    ['Targets', 'string', 0, () => '<unknown>'],
    ['MinPods', 'string', 0, (o) => String(get(o, 'spec', 'minReplicas') ?? 1)],
    ['MaxPods', 'string', 0, (o) => String(get(o, 'spec', 'maxReplicas') ?? '')],
    ['Replicas', 'string', 0, (o) => String(get(o, 'status', 'currentReplicas') ?? 0)],
    AGE,
  ],
  ControllerRevision: [
    NAME,
    [
      'Controller',
      'string',
      0,
      (o) => {
        const ref = o.metadata.ownerReferences?.find((r) => r.controller);
        const group = ref?.apiVersion.includes('/') ? `.${ref.apiVersion.split('/')[0]}` : '';
        return ref ? `${ref.kind.toLowerCase()}${group}/${ref.name}` : '<none>';
      },
    ],
    ['Revision', 'integer', 0, (o) => Number(get(o, 'revision') ?? 0)],
    AGE,
  ],
  Lease: [NAME, ['Holder', 'string', 0, (o) => str(get(o, 'spec', 'holderIdentity'), '')], AGE],
  ClusterRole: [NAME, ['Created At', 'date', 0, (o) => str(o.metadata.creationTimestamp, '')]],
  Role: [NAME, ['Created At', 'date', 0, (o) => str(o.metadata.creationTimestamp, '')]],
  ClusterRoleBinding: [
    NAME,
    ['Role', 'string', 0, (o) => `${get(o, 'roleRef', 'kind')}/${get(o, 'roleRef', 'name')}`],
    AGE,
  ],
  RoleBinding: [NAME, ['Role', 'string', 0, (o) => `${get(o, 'roleRef', 'kind')}/${get(o, 'roleRef', 'name')}`], AGE],
  NetworkPolicy: [
    NAME,
    ['Pod-Selector', 'string', 0, (o) => selector(get(o, 'spec', 'podSelector', 'matchLabels'))],
    AGE,
  ],
};

const DEFAULT_COLUMNS: Column[] = [NAME, ['Created At', 'date', 0, (o) => str(o.metadata.creationTimestamp, '')]];

/**
 * The server-side printing `kubectl get` asks for (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`):
 * columns and cells like the real server's, with each row's object as metadata only unless asked otherwise.
 */
export function toTable(
  rt: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: string | null,
) {
  const columns = COLUMNS[rt.kind] ?? DEFAULT_COLUMNS;
  const now = Date.now();
  const columnDefinitions: TableColumnDefinition[] = columns.map(([name, type, priority]) => ({
    name,
    type: type === 'name' ? 'string' : type,
    format: type === 'name' ? 'name' : '',
    description: name === 'Name' ? 'Name must be unique within a namespace.' : `${name} of the ${rt.singular}.`,
    priority,
  }));
  const rows = objects.map((o) => {
    const row: Record<string, unknown> = { cells: columns.map(([, , , cell]) => cell(o, now)) };
    if (includeObject === 'Object') row.object = o;
    else if (includeObject !== 'None') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
    }
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion }, columnDefinitions, rows };
}

/** Whether the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}
