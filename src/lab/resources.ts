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
  /** A review: create-only, answered and never stored. */
  review?: boolean;
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

function core(r: Omit<ResourceType, 'group' | 'version' | 'verbs'> & { verbs?: readonly string[] }): ResourceType {
  return { group: '', version: 'v1', verbs: RW, ...r };
}
function grouped(
  group: string,
  version: string,
  r: Omit<ResourceType, 'group' | 'version' | 'verbs'> & { verbs?: readonly string[] },
): ResourceType {
  return { group, version, verbs: RW, ...r };
}

const RBAC = 'rbac.authorization.k8s.io';
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
    subresources: [STATUS('Service')],
  }),
  core({ resource: 'endpoints', kind: 'Endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  core({ resource: 'events', kind: 'Event', singular: 'event', namespaced: true, shortNames: ['ev'] }),
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
    subresources: [STATUS('Deployment')],
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
  grouped(AUTHN, 'v1', {
    resource: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    singular: 'selfsubjectreview',
    namespaced: false,
    verbs: CREATE,
    review: true,
    since: 28,
  }),
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
  return RESOURCES.filter((r) => (r.since ?? 0) <= minor);
}

/** The API groups (not the core group), in discovery order, each with its one version. */
export function apiGroups(resources: readonly ResourceType[]): { group: string; version: string }[] {
  const seen = new Map<string, string>();
  for (const r of resources) if (r.group && !seen.has(r.group)) seen.set(r.group, r.version);
  return [...seen].map(([group, version]) => ({ group, version }));
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
