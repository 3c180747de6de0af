import type { Container, Namespace, Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import { ENFORCE_LABEL } from '../kubernetes/pod-security.js';
import { defaultPod, type NodeSlot, runPod } from './pods.js';
import { clusterRole, clusterRoleBinding, group, serviceAccount, user } from './seed-rbac.js';
import { tokenSecretName } from './seed-secrets.js';

// A multi-hop escalation, and a decoy that looks alike but does not escalate (attack-path tests):
//
//   anonymous may read the Secrets of `dev` (Role dev/ci-secrets), among them the token of dev/ci-bot;
//   dev/ci-bot may create pods in `ops` (Role ops/ci-deployer); ops/operator is bound to cluster-admin.
//   So: anonymous → token of dev/ci-bot → a pod in ops mounting ops/operator → cluster-admin.
//
//   The decoy: dev/ci-viewer's token is as readable, and it may create pods in `staging`, whose service
//   accounts hold only `view`: no way to cluster-admin. `staging` enforces Pod Security `restricted`, so
//   its pods reach no node either (the lab's admission refuses privileged pods there).
//
// Each further step has a scenario in `ops` (whose operator is cluster-admin) and a decoy in `staging`:
//
//   bind:        user ops-lead may create RoleBindings in ops and bind ClusterRole admin → admin in ops →
//                the operator's token Secret. Decoy: staging-lead, the same in staging.
//   escalate:    user ops-tuner may escalate and update Role ops/tuner, which it is bound to → every right
//                in ops. Decoy: staging-tuner may escalate Role staging/tuner but not update it.
//   impersonate: user helpdesk may impersonate user oncall-admin, bound to cluster-admin. Decoy:
//                helpdesk-lite may impersonate user jane and group developers (view).
//   mounted:     pod ops/backup (account ops/backup, token not mounted) mounts the operator's token
//                Secret; user ops-support may exec into pods in ops. Decoy: staging/report mounts
//                staging/builder's token (view); staging-support may exec there.
//   kubelet:     system:node:lab-node-1 may get the Secrets of ops (a RoleBinding a node agent once
//                needed): root on lab-node-1 → the operator's token. Decoy: group system:nodes may create
//                pods in ops, which NodeRestriction refuses (a kubelet creates only mirror pods).
//   bind everywhere: user ns-binder may create RoleBindings in every namespace and bind ClusterRole
//                admin (a ClusterRoleBinding) → admin in any namespace, ops included → the operator's
//                token. Decoy: ns-binder-view, the same with ClusterRole view (no Secret, no pod).
//   relabel:     user relabeler may create pods in staging (restricted) and patch namespace staging (a
//                RoleBinding there: the request for a namespace is in that namespace) → it drops the
//                label, then a privileged pod → root on a node. Decoy: relabeler-elsewhere may create
//                pods in staging and patch namespace dev only.
//   nodes/proxy: user node-proxy-one may get nodes/proxy on lab-node-1 only → the kubelet API there →
//                exec in ops/backup, which mounts the operator's token. Decoy: node-proxy-gone, the same
//                on a node long gone (lab-node-0).

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const RBAC = 'rbac.authorization.k8s.io';

export const PATH_NAMESPACES = ['ops', 'staging'];

/** Service accounts whose token Secrets the lab creates in every version (`kubernetes.io/service-account-token`). */
export const PATH_TOKEN_ACCOUNTS = ['dev/ci-bot', 'dev/ci-viewer', 'ops/operator', 'staging/builder'];

/** Users of the scenarios (no credential: tests ask the graph and `lab.can` about them). */
export const PATH_USERS = {
  opsLead: 'ops-lead',
  stagingLead: 'staging-lead',
  opsTuner: 'ops-tuner',
  stagingTuner: 'staging-tuner',
  helpdesk: 'helpdesk',
  helpdeskLite: 'helpdesk-lite',
  oncallAdmin: 'oncall-admin',
  opsSupport: 'ops-support',
  stagingSupport: 'staging-support',
  nsBinder: 'ns-binder',
  nsBinderView: 'ns-binder-view',
  relabeler: 'relabeler',
  relabelerElsewhere: 'relabeler-elsewhere',
  nodeProxyOne: 'node-proxy-one',
  nodeProxyGone: 'node-proxy-gone',
} as const;

const ACCOUNTS: [string, string][] = [
  ['dev', 'ci-bot'],
  ['dev', 'ci-viewer'],
  ['ops', 'operator'],
  ['ops', 'backup'],
  ['staging', 'builder'],
  ['staging', 'report'],
];

/** Pods of the scenarios take addresses high in the first node's range, clear of the other seeded pods. */
const POD_IPS = ['10.244.1.240', '10.244.1.241'];

/** A container `restricted` admits: non-root, no escalation, every capability dropped, the runtime's seccomp. */
const RESTRICTED: Container['securityContext'] = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  runAsUser: 65532,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/** A pod that mounts another account's token Secret, its own token not mounted. */
function mountingPod(namespace: string, name: string, owner: string, node: NodeSlot, ip: string, started: Date): Pod {
  const secretName = tokenSecretName(namespace, owner);
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      serviceAccountName: name,
      automountServiceAccountToken: false,
      nodeName: node.name,
      containers: [
        {
          name,
          image: 'registry.example/tools/kubectl:1.32',
          command: ['sleep', 'infinity'],
          securityContext: RESTRICTED,
          volumeMounts: [{ name: 'credentials', mountPath: '/var/run/credentials', readOnly: true }],
        },
      ],
      volumes: [{ name: 'credentials', secret: { secretName } }],
    },
  };
  return runPod(defaultPod(pod), node, ip, started);
}

/** Pod Security levels the scenario's namespaces enforce (`staging` refuses privileged pods). */
const ENFORCED: Record<string, string> = { staging: 'restricted' };

export function pathScenarioObjects(node: NodeSlot, started: Date): (Namespace | ServiceAccount | Pod)[] {
  return [
    ...PATH_NAMESPACES.map(
      (name): Namespace => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, ...(ENFORCED[name] && { labels: { [ENFORCE_LABEL]: ENFORCED[name] } }) },
      }),
    ),
    mountingPod('ops', 'backup', 'operator', node, POD_IPS[0], started),
    mountingPod('staging', 'report', 'builder', node, POD_IPS[1], started),
    ...ACCOUNTS.map(
      ([namespace, name]): ServiceAccount => ({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace },
      }),
    ),
  ];
}

function role(namespace: string, name: string, resource: string, verbs: string[]): Role {
  return rulesRole(namespace, name, [{ apiGroups: [''], resources: [resource], verbs }]);
}

function rulesRole(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: RBAC_API, kind: 'Role', metadata: { name, namespace }, rules };
}

/** The scenario's RBAC for one step in `ops` and its decoy in `staging`, by the users named in PATH_USERS. */
function stepsRbac(): (Role | RoleBinding | ClusterRole | ClusterRoleBinding)[] {
  const U = PATH_USERS;
  const out: (Role | RoleBinding | ClusterRole | ClusterRoleBinding)[] = [];
  for (const [ns, lead, tuner, support] of [
    ['ops', U.opsLead, U.opsTuner, U.opsSupport],
    ['staging', U.stagingLead, U.stagingTuner, U.stagingSupport],
  ] as const) {
    out.push(
      rulesRole(ns, 'rolebinder', [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create', 'get', 'list'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['admin'] },
      ]),
      roleBinding(ns, lead, { kind: 'Role', name: 'rolebinder' }, [user(lead)]),
      // Every right in a namespace includes its own labels (namespaces/NAME is asked in NAME), so every
      // right in restricted staging still reaches a node: the decoy may escalate but edit no Role.
      rulesRole(ns, 'tuner', [
        {
          apiGroups: [RBAC],
          resources: ['roles'],
          verbs: ns === 'ops' ? ['escalate', 'get', 'update'] : ['escalate', 'get'],
        },
      ]),
      roleBinding(ns, tuner, { kind: 'Role', name: 'tuner' }, [user(tuner)]),
      rulesRole(ns, 'pod-exec', [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
      ]),
      roleBinding(ns, support, { kind: 'Role', name: 'pod-exec' }, [user(support)]),
    );
  }
  out.push(
    clusterRole('oncall-impersonator', [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [U.oncallAdmin] },
    ]),
    clusterRoleBinding(U.helpdesk, 'oncall-impersonator', [user(U.helpdesk)]),
    clusterRoleBinding(U.oncallAdmin, 'cluster-admin', [user(U.oncallAdmin)]),
    clusterRole('developer-impersonator', [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['jane'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['developers'] },
    ]),
    clusterRoleBinding(U.helpdeskLite, 'developer-impersonator', [user(U.helpdeskLite)]),
    ...[
      [U.nsBinder, 'admin'],
      [U.nsBinderView, 'view'],
    ].flatMap(([name, role]) => [
      clusterRole(`${role}-binder`, [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create', 'get', 'list'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [role] },
      ]),
      clusterRoleBinding(name, `${role}-binder`, [user(name)]),
    ]),
    rulesRole('staging', 'relabeler', [
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'get', 'list'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'], resourceNames: ['staging'] },
    ]),
    roleBinding('staging', U.relabeler, { kind: 'Role', name: 'relabeler' }, [user(U.relabeler)]),
    role('staging', 'pod-creator', 'pods', ['create', 'get', 'list']),
    roleBinding('staging', U.relabelerElsewhere, { kind: 'Role', name: 'pod-creator' }, [user(U.relabelerElsewhere)]),
    clusterRole('dev-relabeler', [
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'patch'], resourceNames: ['dev'] },
    ]),
    clusterRoleBinding(U.relabelerElsewhere, 'dev-relabeler', [user(U.relabelerElsewhere)]),
    ...[
      [U.nodeProxyOne, 'lab-node-1'],
      [U.nodeProxyGone, 'lab-node-0'],
    ].flatMap(([name, node]) => [
      clusterRole(`${node}-proxy`, [
        { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'], resourceNames: [node] },
      ]),
      clusterRoleBinding(name, `${node}-proxy`, [user(name)]),
    ]),
    role('ops', 'kubelet-secrets', 'secrets', ['get']),
    roleBinding('ops', 'kubelet-secrets', { kind: 'Role', name: 'kubelet-secrets' }, [user('system:node:lab-node-1')]),
    role('ops', 'kubelet-pods', 'pods', ['create']),
    roleBinding('ops', 'kubelet-pods', { kind: 'Role', name: 'kubelet-pods' }, [group('system:nodes')]),
  );
  return out;
}

function roleBinding(
  namespace: string,
  name: string,
  ref: { kind: string; name: string },
  subjects: RoleBinding['subjects'],
): RoleBinding {
  return {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: RBAC, ...ref },
    subjects,
  };
}

export function pathScenarioRbac(): (Role | RoleBinding | ClusterRole | ClusterRoleBinding)[] {
  return [
    ...stepsRbac(),
    role('dev', 'ci-secrets', 'secrets', ['get', 'list']),
    roleBinding('dev', 'ci-secrets', { kind: 'Role', name: 'ci-secrets' }, [user('system:anonymous')]),
    role('ops', 'ci-deployer', 'pods', ['create', 'get', 'list']),
    roleBinding('ops', 'ci-bot', { kind: 'Role', name: 'ci-deployer' }, [serviceAccount('dev', 'ci-bot')]),
    clusterRoleBinding('ops-operator', 'cluster-admin', [serviceAccount('ops', 'operator')]),
    role('staging', 'ci-deployer', 'pods', ['create', 'get', 'list']),
    roleBinding('staging', 'ci-viewer', { kind: 'Role', name: 'ci-deployer' }, [serviceAccount('dev', 'ci-viewer')]),
    roleBinding('staging', 'view', { kind: 'ClusterRole', name: 'view' }, [
      serviceAccount('staging', 'builder'),
      serviceAccount('staging', 'default'),
    ]),
  ];
}
