// The known Kubernetes escalation steps, each documented once: what the step is, the right it needs, and
// where it is described. graph.ts turns rights into edges with these ids; reports print the title.

export interface EscalationStep {
  id: string;
  /** What the attacker does, in one line, as reports print it. */
  title: string;
  reference: string;
}

const RBAC_GOOD = 'https://kubernetes.io/docs/concepts/security/rbac-good-practices/';

export const STEPS = {
  wildcard: {
    id: 'wildcard',
    title: 'holds every verb on every resource (`*`): cluster-admin',
    reference: `${RBAC_GOOD}#least-privilege`,
  },
  readToken: {
    id: 'read-token',
    title: "reads a service account's token Secret and authenticates as it",
    reference: 'https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token',
  },
  readSecrets: {
    id: 'read-secrets',
    title: 'lists Secrets in every namespace',
    reference: `${RBAC_GOOD}#listing-secrets`,
  },
  createPodAs: {
    id: 'create-pod-as',
    title: 'creates a pod that mounts the service account of its namespace, and reads its token',
    reference: `${RBAC_GOOD}#workload-creation`,
  },
  createPodNode: {
    id: 'create-pod-node',
    title:
      'creates a privileged, hostPath `/` pod on the node (no Pod Security level seen to forbid it in the namespace)',
    reference: 'https://kubernetes.io/docs/concepts/security/pod-security-admission/',
  },
  exec: {
    id: 'exec',
    title: "execs into a running pod (pods/exec) and takes its service account's token",
    reference: `${RBAC_GOOD}#workload-creation`,
  },
  namespaceRelabel: {
    id: 'namespace-relabel',
    title:
      "changes the namespace's Pod Security labels (patch or update on the namespace), then creates a privileged, hostPath `/` pod on the node (or patches a workload to run one)",
    reference:
      'https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces',
  },
  execNode: {
    id: 'exec-node',
    title: 'execs into a privileged or host-mounting pod: root on its node',
    reference: `${RBAC_GOOD}#workload-creation`,
  },
  tokenRequest: {
    id: 'token-request',
    title: 'requests a token for the service account (serviceaccounts/token create)',
    reference: `${RBAC_GOOD}#token-request`,
  },
  workloadPatch: {
    id: 'workload-patch',
    title: "patches a workload's pod template to run as the service account (or privileged)",
    reference: `${RBAC_GOOD}#workload-creation`,
  },
  bindRole: {
    id: 'bind-role',
    title: 'binds itself to a role in the namespace (create rolebindings, and bind on the role)',
    reference:
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update',
  },
  escalateRole: {
    id: 'escalate-role',
    title: 'adds any right to a Role it is bound to in the namespace (escalate, and update on roles)',
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-creation-or-update',
  },
  bind: {
    id: 'bind',
    title: 'creates a ClusterRoleBinding to cluster-admin (create clusterrolebindings and bind)',
    reference:
      'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-binding-creation-or-update',
  },
  escalate: {
    id: 'escalate',
    title: 'grants itself any right by editing a ClusterRole it is bound to (escalate)',
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#restrictions-on-role-creation-or-update',
  },
  impersonate: {
    id: 'impersonate',
    title: 'impersonates a user or a group (impersonate users, groups) and acts with its rights',
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/user-impersonation/',
  },
  impersonateSa: {
    id: 'impersonate-sa',
    title: 'impersonates the service account (impersonate serviceaccounts)',
    reference: `${RBAC_GOOD}#impersonate-verb`,
  },
  nodesProxy: {
    id: 'nodes-proxy',
    title: 'reaches the kubelet API through nodes/proxy and runs commands in any pod of any node',
    reference: `${RBAC_GOOD}#access-to-proxy-subresource-of-nodes`,
  },
  nodesProxyNamed: {
    id: 'nodes-proxy-named',
    title: 'reaches the kubelet API of the nodes its nodes/proxy rule names, and runs commands in their pods',
    reference: `${RBAC_GOOD}#access-to-proxy-subresource-of-nodes`,
  },
  csrApprove: {
    id: 'csr-approve',
    title:
      'creates and approves a CSR for a client certificate naming any user or group but system:masters, and acts as it',
    reference: `${RBAC_GOOD}#csrs-and-certificate-issuing`,
  },
  webhook: {
    id: 'webhook',
    title: 'registers an admission webhook that receives every object written, Secrets included',
    reference: `${RBAC_GOOD}#control-admission-webhooks`,
  },
  mountedSecret: {
    id: 'mounted-secret',
    title: 'reads a service-account token Secret the pod mounts (volume or env) and authenticates as its account',
    reference: `${RBAC_GOOD}#workload-creation`,
  },
  nodeSecrets: {
    id: 'node-secrets',
    title: 'as root on the node, reads the service-account token Secrets its pods mount',
    reference: 'https://kubernetes.io/docs/concepts/security/multi-tenancy/#node-isolation',
  },
  nodeCredentials: {
    id: 'node-credentials',
    title: "as root on the node, uses the kubelet's own credentials (system:node:NAME, group system:nodes)",
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/node/',
  },
  nodeTokens: {
    id: 'node-tokens',
    title: 'as root on the node, reads the tokens of the pods that run there',
    reference: 'https://kubernetes.io/docs/concepts/security/multi-tenancy/#node-isolation',
  },
  etcdSecrets: {
    id: 'etcd-secrets',
    title:
      "reads every Secret from etcd's client API, which answers without a client certificate (a range under /registry/secrets/)",
    reference: 'https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters',
  },
  etcdToken: {
    id: 'etcd-token',
    title:
      "reads a service account's token Secret from etcd (/registry/secrets/NAMESPACE/NAME), which answers without a client certificate, and authenticates as it",
    reference: 'https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters',
  },
  kubeletExec: {
    id: 'kubelet-exec',
    title: "runs commands in the node's pods through its kubelet API, which lets anonymous callers (/run, /exec)",
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/',
  },
  dashboard: {
    id: 'dashboard',
    title: "uses the Kubernetes Dashboard without logging in (skip-login), which acts with its pod's service account",
    reference: 'https://kubernetes.io/docs/tasks/access-application-cluster/web-ui-dashboard/',
  },
  adminHolds: {
    id: 'admin-holds',
    title: 'as cluster-admin, reads every Secret',
    reference: 'https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles',
  },
  adminNode: {
    id: 'admin-node',
    title: 'as cluster-admin, creates a privileged pod on any node',
    reference: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/',
  },
} as const satisfies Record<string, EscalationStep>;

export type StepId = (typeof STEPS)[keyof typeof STEPS]['id'];
