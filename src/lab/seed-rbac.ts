import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from 'kubernetes-types/rbac/v1.js';
import type { ProfileSettings } from './profiles.js';

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

export function clusterRole(name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole {
  return { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name, labels }, rules };
}

export function clusterRoleBinding(name: string, role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

export const group = (name: string): Subject => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name });
export const user = (name: string): Subject => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name });
export const serviceAccount = (namespace: string, name: string): Subject => ({
  kind: 'ServiceAccount',
  name,
  namespace,
});

const BOOTSTRAP = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

/**
 * The bootstrap `view` role as Kubernetes defines it (plugin/pkg/auth/authorizer/rbac/bootstrappolicy):
 * reads of the namespaced objects, no Secrets, and nothing cluster-scoped but namespaces (no nodes, no
 * volumes, no RBAC).
 */
const VIEW_RULES: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: [''],
    resources: [
      'bindings',
      'events',
      'limitranges',
      'namespaces/status',
      'pods/log',
      'pods/status',
      'replicationcontrollers/status',
      'resourcequotas',
      'resourcequotas/status',
    ],
    verbs: READ,
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  {
    apiGroups: ['apps'],
    resources: [
      'controllerrevisions',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'statefulsets',
      'statefulsets/scale',
      'statefulsets/status',
    ],
    verbs: READ,
  },
  {
    apiGroups: ['autoscaling'],
    resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
    verbs: READ,
  },
  { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'], verbs: READ },
];

const EDIT_RULES: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'configmaps',
      'endpoints',
      'pods',
      'pods/attach',
      'pods/exec',
      'pods/portforward',
      'secrets',
      'serviceaccounts',
      'services',
    ],
    verbs: [...READ, ...WRITE],
  },
  {
    apiGroups: ['apps'],
    resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'],
    verbs: [...READ, ...WRITE],
  },
  ...VIEW_RULES,
];

/** The cluster roles and bindings every cluster starts with (`kubernetes.io/bootstrapping: rbac-defaults`). */
function bootstrap(minor: number): (ClusterRole | ClusterRoleBinding)[] {
  return [
    clusterRole(
      'cluster-admin',
      [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
      BOOTSTRAP,
    ),
    clusterRole(
      'admin',
      [
        ...EDIT_RULES,
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'roles'], verbs: [...READ, ...WRITE] },
      ],
      BOOTSTRAP,
    ),
    clusterRole('edit', EDIT_RULES, BOOTSTRAP),
    clusterRole('view', VIEW_RULES, BOOTSTRAP),
    clusterRole(
      'system:discovery',
      [
        {
          nonResourceURLs: [
            '/api',
            '/api/*',
            '/apis',
            '/apis/*',
            '/healthz',
            '/livez',
            '/openapi',
            '/openapi/*',
            '/readyz',
            '/version',
            '/version/',
          ],
          verbs: ['get'],
        },
      ],
      BOOTSTRAP,
    ),
    clusterRole(
      'system:public-info-viewer',
      [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] }],
      BOOTSTRAP,
    ),
    clusterRole(
      'system:basic-user',
      [
        {
          apiGroups: ['authorization.k8s.io'],
          resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
          verbs: ['create'],
        },
        // SelfSubjectReview came with 1.26: older bootstrap policies do not name it.
        ...(minor >= 26
          ? [{ apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] }]
          : []),
      ],
      BOOTSTRAP,
    ),
    clusterRole(
      'system:auth-delegator',
      [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
      BOOTSTRAP,
    ),
    clusterRole(
      'system:monitoring',
      [
        {
          nonResourceURLs: ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/readyz', '/readyz/*'],
          verbs: ['get'],
        },
      ],
      BOOTSTRAP,
    ),
    clusterRole(
      'system:kubelet-api-admin',
      [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'proxy'] },
        { apiGroups: [''], resources: ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats'], verbs: ['*'] },
      ],
      BOOTSTRAP,
    ),
    clusterRoleBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterRoleBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterRoleBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', [
      group('system:authenticated'),
      group('system:unauthenticated'),
    ]),
    clusterRoleBinding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
  ];
}

/** The roles that make the lab's named identities what they are (see identities.ts). */
function identityRbac(): (ClusterRole | ClusterRoleBinding | Role | RoleBinding)[] {
  const podDeployer: Role = {
    apiVersion: RBAC_API,
    kind: 'Role',
    metadata: { name: 'pod-deployer', namespace: 'dev' },
    rules: [
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ],
  };
  const deployerBinding: RoleBinding = {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name: 'deployer', namespace: 'dev' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-deployer' },
    subjects: [serviceAccount('dev', 'deployer')],
  };
  const teamReader: Role = {
    apiVersion: RBAC_API,
    kind: 'Role',
    metadata: { name: 'team-a-reader', namespace: 'team-a' },
    rules: [{ apiGroups: [''], resources: ['pods', 'secrets'], verbs: ['get', 'list'] }],
  };
  const teamBinding: RoleBinding = {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name: 'alice', namespace: 'team-a' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'team-a-reader' },
    subjects: [user('alice')],
  };
  return [
    clusterRoleBinding('lab-admin', 'cluster-admin', [serviceAccount('kube-system', 'lab-admin')]),
    clusterRole('lab-reader', [
      { apiGroups: [''], resources: ['namespaces', 'nodes', 'pods', 'services'], verbs: READ },
      // What the operational-risk checks read (issue 17); still no Secrets.
      { apiGroups: [''], resources: ['persistentvolumes', 'persistentvolumeclaims', 'events'], verbs: READ },
      // The DNS checks read the Corefile and kube-proxy's configuration (ConfigMaps); Secrets stay out.
      { apiGroups: [''], resources: ['configmaps'], verbs: READ },
      { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], verbs: READ },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: READ },
      { apiGroups: ['scheduling.k8s.io'], resources: ['priorityclasses'], verbs: READ },
      // Who may do what: the DaemonSets' service accounts (KF-OPS-014) and the attack paths.
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'],
        verbs: ['get', 'list'],
      },
    ]),
    clusterRoleBinding('lab-reader', 'lab-reader', [serviceAccount('default', 'reader')]),
    clusterRoleBinding('developers-view', 'view', [group('developers')]),
    podDeployer,
    deployerBinding,
    teamReader,
    teamBinding,
  ];
}

/** Every RBAC object of the profile. */
export function rbacObjects(
  settings: ProfileSettings,
  minor: number,
): (ClusterRole | ClusterRoleBinding | Role | RoleBinding)[] {
  const out: (ClusterRole | ClusterRoleBinding | Role | RoleBinding)[] = [...bootstrap(minor), ...identityRbac()];
  if (settings.apiserver.anonymousClusterAdmin) {
    out.push(clusterRoleBinding('anonymous-cluster-admin', 'cluster-admin', [user('system:anonymous')]));
  }
  if (settings.dashboard) {
    out.push(
      clusterRoleBinding('kubernetes-dashboard', 'cluster-admin', [
        serviceAccount('kubernetes-dashboard', 'kubernetes-dashboard'),
      ]),
    );
  }
  return out;
}
