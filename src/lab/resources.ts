/** One REST resource the lab's API server serves. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lower case: the URL segment and the RBAC resource name. */
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  verbs: readonly string[];
  shortNames?: readonly string[];
  categories?: readonly string[];
  subresources?: readonly Subresource[];
  /** Served from this Kubernetes minor version on. */
  since?: number;
  /** Served up to this Kubernetes minor version (removed after it). */
  until?: number;
  /** A review: create-only, answered and never stored. */
  review?: boolean;
  /** A custom resource, served because a CustomResourceDefinition names it (its OpenAPI schema, if any). */
  custom?: { schema?: Record<string, unknown>; crd?: string };
}

export interface Subresource {
  name: string;
  kind: string;
  verbs: readonly string[];
  group?: string;
  version?: string;
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const CREATE = ['create'] as const;
const STATUS = (kind: string): Subresource => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });

function core(r: Definition): ResourceType {
  return { group: '', version: 'v1', verbs: RW, ...r };
}
function grouped(group: string, version: string, r: Definition): ResourceType {
  return { group, version, verbs: RW, ...r };
}

const SCALE: Subresource = {
  name: 'scale',
  kind: 'Scale',
  verbs: ['get', 'patch', 'update'],
  group: 'autoscaling',
  version: 'v1',
};
const RBAC = 'rbac.authorization.k8s.io';

type Definition = Omit<ResourceType, 'group' | 'version' | 'verbs'> & { verbs?: readonly string[] };

/**
 * One resource under the version each Kubernetes minor serves it as: [version, since, until]. Real servers
 * serve the old and the new version side by side for a few releases; the lab serves one at a time, the
 * one kubectl would prefer.
 */
function byVersion(r: Definition, group: string, versions: [string, number, number?][]): ResourceType[] {
  return versions.map(([version, since, until]) => grouped(group, version, { ...r, since, until }));
}

function cronJobs(): ResourceType[] {
  const r: Definition = {
    resource: 'cronjobs',
    kind: 'CronJob',
    singular: 'cronjob',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: [STATUS('CronJob')],
  };
  return byVersion(r, 'batch', [
    ['v1beta1', 0, 20],
    ['v1', 21],
  ]);
}

function hpas(): ResourceType[] {
  const r: Definition = {
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    singular: 'horizontalpodautoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: [STATUS('HorizontalPodAutoscaler')],
  };
  // autoscaling/v1 stays served next to v2 (kubectl autoscale still writes v1).
  return byVersion(r, 'autoscaling', [
    ['v1', 0],
    ['v2', 23],
  ]);
}
const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

/** Everything the lab's API server serves, in discovery order. */
export const RESOURCES: readonly ResourceType[] = [
  core({
    resource: 'namespaces',
    kind: 'Namespace',
    singular: 'namespace',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    subresources: [STATUS('Namespace'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
  }),
  core({
    resource: 'nodes',
    kind: 'Node',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    subresources: [
      STATUS('Node'),
      { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
    ],
  }),
  core({
    resource: 'pods',
    kind: 'Pod',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      STATUS('Pod'),
    ],
  }),
  core({ resource: 'secrets', kind: 'Secret', singular: 'secret', namespaced: true }),
  core({
    resource: 'serviceaccounts',
    kind: 'ServiceAccount',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [{ name: 'token', kind: 'TokenRequest', verbs: ['create'], group: AUTHN, version: 'v1' }],
  }),
  core({ resource: 'configmaps', kind: 'ConfigMap', singular: 'configmap', namespaced: true, shortNames: ['cm'] }),
  core({
    resource: 'services',
    kind: 'Service',
    singular: 'service',
    namespaced: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [
      { name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
      STATUS('Service'),
    ],
  }),
  core({ resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  core({ resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] }),
  core({
    resource: 'persistentvolumes',
    kind: 'PersistentVolume',
    singular: 'persistentvolume',
    namespaced: false,
    shortNames: ['pv'],
    subresources: [STATUS('PersistentVolume')],
  }),
  core({
    resource: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    singular: 'persistentvolumeclaim',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: [STATUS('PersistentVolumeClaim')],
  }),
  grouped('apps', 'v1', {
    resource: 'controllerrevisions',
    kind: 'ControllerRevision',
    singular: 'controllerrevision',
    namespaced: true,
  }),
  grouped('apps', 'v1', {
    resource: 'daemonsets',
    kind: 'DaemonSet',
    singular: 'daemonset',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [STATUS('DaemonSet')],
  }),
  grouped('apps', 'v1', {
    resource: 'deployments',
    kind: 'Deployment',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [SCALE, STATUS('Deployment')],
  }),
  grouped('apps', 'v1', {
    resource: 'replicasets',
    kind: 'ReplicaSet',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [SCALE, STATUS('ReplicaSet')],
  }),
  grouped('apps', 'v1', {
    resource: 'statefulsets',
    kind: 'StatefulSet',
    singular: 'statefulset',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: [SCALE, STATUS('StatefulSet')],
  }),
  grouped('batch', 'v1', {
    resource: 'jobs',
    kind: 'Job',
    singular: 'job',
    namespaced: true,
    categories: ['all'],
    subresources: [STATUS('Job')],
  }),
  ...cronJobs(),
  ...hpas(),
  grouped('policy', 'v1beta1', {
    resource: 'podsecuritypolicies',
    kind: 'PodSecurityPolicy',
    singular: 'podsecuritypolicy',
    namespaced: false,
    shortNames: ['psp'],
    until: 24,
  }),
  grouped('storage.k8s.io', 'v1', {
    resource: 'storageclasses',
    kind: 'StorageClass',
    singular: 'storageclass',
    namespaced: false,
    shortNames: ['sc'],
  }),
  grouped('apiextensions.k8s.io', 'v1', {
    resource: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    singular: 'customresourcedefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: [STATUS('CustomResourceDefinition')],
  }),
  grouped('admissionregistration.k8s.io', 'v1', {
    resource: 'mutatingwebhookconfigurations',
    kind: 'MutatingWebhookConfiguration',
    singular: 'mutatingwebhookconfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  grouped('admissionregistration.k8s.io', 'v1', {
    resource: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    singular: 'validatingwebhookconfiguration',
    namespaced: false,
    categories: ['api-extensions'],
  }),
  grouped('coordination.k8s.io', 'v1', { resource: 'leases', kind: 'Lease', singular: 'lease', namespaced: true }),
  ...byVersion(
    { resource: 'endpointslices', kind: 'EndpointSlice', singular: 'endpointslice', namespaced: true },
    'discovery.k8s.io',
    [
      ['v1beta1', 17, 20],
      ['v1', 21],
    ],
  ),
  ...byVersion(
    { resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] },
    'events.k8s.io',
    [
      ['v1beta1', 0, 18],
      ['v1', 19],
    ],
  ),
  ...byVersion(
    {
      resource: 'certificatesigningrequests',
      kind: 'CertificateSigningRequest',
      singular: 'certificatesigningrequest',
      namespaced: false,
      shortNames: ['csr'],
      subresources: [
        { name: 'approval', kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] },
        STATUS('CertificateSigningRequest'),
      ],
    },
    'certificates.k8s.io',
    [
      ['v1beta1', 0, 18],
      ['v1', 19],
    ],
  ),
  grouped('scheduling.k8s.io', 'v1', {
    resource: 'priorityclasses',
    kind: 'PriorityClass',
    singular: 'priorityclass',
    namespaced: false,
    shortNames: ['pc'],
  }),
  grouped('networking.k8s.io', 'v1', {
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    singular: 'networkpolicy',
    namespaced: true,
    shortNames: ['netpol'],
  }),
  grouped(RBAC, 'v1', {
    resource: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    singular: 'clusterrolebinding',
    namespaced: false,
  }),
  grouped(RBAC, 'v1', { resource: 'clusterroles', kind: 'ClusterRole', singular: 'clusterrole', namespaced: false }),
  grouped(RBAC, 'v1', { resource: 'rolebindings', kind: 'RoleBinding', singular: 'rolebinding', namespaced: true }),
  grouped(RBAC, 'v1', { resource: 'roles', kind: 'Role', singular: 'role', namespaced: true }),
  grouped(AUTHZ, 'v1', {
    resource: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    singular: 'selfsubjectaccessreview',
    namespaced: false,
    verbs: CREATE,
    review: true,
  }),
  grouped(AUTHZ, 'v1', {
    resource: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    singular: 'selfsubjectrulesreview',
    namespaced: false,
    verbs: CREATE,
    review: true,
  }),
  grouped(AUTHZ, 'v1', {
    resource: 'subjectaccessreviews',
    kind: 'SubjectAccessReview',
    singular: 'subjectaccessreview',
    namespaced: false,
    verbs: CREATE,
    review: true,
  }),
  // Beta (on by default) in 1.27, GA in 1.28; the alpha of 1.26 needed a feature gate.
  ...byVersion(
    {
      resource: 'selfsubjectreviews',
      kind: 'SelfSubjectReview',
      singular: 'selfsubjectreview',
      namespaced: false,
      verbs: CREATE,
      review: true,
    },
    AUTHN,
    [
      ['v1beta1', 27, 27],
      ['v1', 28],
    ],
  ),
  grouped(AUTHN, 'v1', {
    resource: 'tokenreviews',
    kind: 'TokenReview',
    singular: 'tokenreview',
    namespaced: false,
    verbs: CREATE,
    review: true,
  }),
];

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** `pods`, `deployments.apps`: how error messages name a resource. */
export function qualified(r: ResourceType): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** The resources served by a server of the given minor version. */
export function servedResources(minor: number): ResourceType[] {
  return RESOURCES.filter((r) => (r.since ?? 0) <= minor && minor <= (r.until ?? Number.POSITIVE_INFINITY));
}

/** One entry per stored resource (a resource served under several versions is one table in the store). */
export const STORED: readonly ResourceType[] = RESOURCES.filter(
  (r, i) => RESOURCES.findIndex((x) => x.group === r.group && x.resource === r.resource) === i,
);

/** The API groups (not the core group), in discovery order, each with its versions (the preferred first). */
export function apiGroupVersions(resources: readonly ResourceType[]): { group: string; versions: string[] }[] {
  const seen = new Map<string, string[]>();
  for (const r of resources) {
    if (!r.group) continue;
    const versions = seen.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    seen.set(r.group, versions);
  }
  return [...seen].map(([group, versions]) => ({ group, versions: versions.sort(preferred) }));
}

/** Kubernetes' version priority: GA before beta before alpha, higher numbers first. */
function preferred(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    return [m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  return y[0] - x[0] || y[1] - x[1] || y[2] - x[2];
}

/** Every group version served (not the core group), in discovery order. */
export function apiGroups(resources: readonly ResourceType[]): { group: string; version: string }[] {
  return apiGroupVersions(resources).flatMap((g) => g.versions.map((version) => ({ group: g.group, version })));
}

export function findResource(
  resources: readonly ResourceType[],
  group: string,
  version: string,
  resource: string,
): ResourceType | undefined {
  return resources.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function resourceOfKind(resources: readonly ResourceType[], kind: string): ResourceType {
  const found = resources.find((r) => r.kind === kind);
  if (!found) throw new Error(`the lab serves no kind ${kind}`);
  return found;
}
