import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from 'kubernetes-types/rbac/v1.js';
import { EscalationGraph, type NamespaceFact, type PodFact } from '../../src/paths/graph.js';
import { namesAllowed, ruleAllows, type Who } from '../../src/paths/rbac.js';
import { STEPS } from '../../src/paths/steps.js';

// Each escalation step from one rule, on a small cluster of facts: which goal it reaches, and that a
// look-alike rule that does not escalate reaches none.

const RBAC = 'rbac.authorization.k8s.io';

/** The actions of the path from a user holding `rules` (cluster-wide) to `goal`, or undefined. */
function path(rules: PolicyRule[], goal: string, namespaced = false): string[] | undefined {
  const graph = new EscalationGraph({
    rbac: {
      clusterRoles: [
        { metadata: { name: 'r' }, rules },
        { metadata: { name: 'cluster-admin' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
      ],
      roles: [],
      clusterRoleBindings: [
        ...(namespaced
          ? []
          : [
              {
                metadata: { name: 'b' },
                roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'r' },
                subjects: [{ kind: 'User', name: 'eve' }],
              },
            ]),
        {
          metadata: { name: 'ops' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', namespace: 'ops', name: 'operator' }],
        },
      ],
      roleBindings: namespaced
        ? [
            {
              metadata: { name: 'b', namespace: 'app' },
              roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'r' },
              subjects: [{ kind: 'User', name: 'eve' }],
            },
          ]
        : [],
    },
    serviceAccounts: [
      { namespace: 'ops', name: 'operator' },
      { namespace: 'app', name: 'web' },
    ],
    tokenSecrets: [{ namespace: 'ops', name: 'operator-token', serviceAccount: 'operator' }],
    pods: [{ namespace: 'app', name: 'web-1', serviceAccount: 'web', node: 'n1', hostAccess: false }],
    starts: [{ name: 'eve', who: { user: 'eve', groups: ['system:authenticated'] } }],
  });
  return graph
    .paths()
    .find((p) => p.to === goal)
    ?.steps.map((s) => s.action);
}

const rule = (verbs: string[], resources: string[], apiGroups = [''], resourceNames?: string[]): PolicyRule => ({
  verbs,
  resources,
  apiGroups,
  ...(resourceNames && { resourceNames }),
});

const CERTS = 'certificates.k8s.io';
/** Create a CSR, approve it, and approve for the API server's client signer. */
const CSR_RULES = [
  rule(['create'], ['certificatesigningrequests'], [CERTS]),
  rule(['update'], ['certificatesigningrequests/approval'], [CERTS]),
  rule(['approve'], ['signers'], [CERTS], ['kubernetes.io/kube-apiserver-client']),
];

describe('escalation steps', () => {
  it('each known step reaches its goal', () => {
    assert.deepEqual(path([rule(['*'], ['*'], ['*'])], 'cluster-admin'), ['wildcard']);
    assert.deepEqual(path([rule(['get'], ['secrets'])], 'cluster-admin'), ['read-token', 'wildcard']);
    assert.deepEqual(path([rule(['create'], ['pods'])], 'cluster-admin'), ['create-pod-as', 'wildcard']);
    assert.deepEqual(path([rule(['create'], ['pods'])], 'root on a node'), ['create-pod-node']);
    assert.deepEqual(path([rule(['create'], ['serviceaccounts/token'])], 'cluster-admin'), [
      'token-request',
      'wildcard',
    ]);
    assert.deepEqual(path([rule(['patch'], ['deployments'], ['apps'])], 'cluster-admin'), [
      'workload-patch',
      'wildcard',
    ]);
    assert.deepEqual(
      path(
        [
          rule(['create'], ['clusterrolebindings'], [RBAC]),
          rule(['bind'], ['clusterroles'], [RBAC], ['cluster-admin']),
        ],
        'cluster-admin',
      ),
      ['bind'],
    );
    assert.deepEqual(path([rule(['escalate', 'update'], ['clusterroles'], [RBAC])], 'cluster-admin'), ['escalate']);
    assert.deepEqual(
      path([rule(['impersonate'], ['groups']), rule(['impersonate'], ['users'], [''], ['intern'])], 'cluster-admin'),
      ['impersonate'],
    );
    assert.deepEqual(path([rule(['impersonate'], ['serviceaccounts'])], 'cluster-admin'), [
      'impersonate-sa',
      'wildcard',
    ]);
    assert.deepEqual(
      path([rule(['get'], ['nodes/proxy'])], 'root on a node'),
      undefined,
      'nodes/proxy execs in pods: none here reaches its host',
    );
    assert.deepEqual(
      path([rule(['get'], ['pods/exec'])], 'cluster-admin'),
      undefined,
      'the web pod runs as web, who holds nothing',
    );
    assert.deepEqual(path(CSR_RULES, 'cluster-admin'), ['csr-approve', 'wildcard']);
    assert.deepEqual(
      path([rule(['create'], ['mutatingwebhookconfigurations'], ['admissionregistration.k8s.io'])], 'every Secret'),
      ['webhook'],
    );
    assert.deepEqual(path([rule(['list'], ['secrets'])], 'every Secret'), ['read-secrets']);
  });

  it('look-alikes that do not escalate reach nothing', () => {
    assert.equal(path([rule(['create'], ['clusterrolebindings'], [RBAC])], 'cluster-admin'), undefined, 'no bind');
    assert.equal(
      path([rule(['bind'], ['clusterroles'], [RBAC], ['view'])], 'cluster-admin'),
      undefined,
      'bind on view',
    );
    assert.equal(
      path([rule(['escalate'], ['clusterroles'], [RBAC])], 'cluster-admin'),
      undefined,
      'escalate without update',
    );
    assert.equal(path([rule(['impersonate'], ['groups'], [''], ['developers'])], 'cluster-admin'), undefined);
    assert.equal(
      path([rule(['impersonate'], ['groups'], [''], ['system:masters'])], 'cluster-admin'),
      undefined,
      'a group without a user to impersonate (Impersonate-Group requires Impersonate-User)',
    );
    assert.equal(path([rule(['get'], ['pods', 'configmaps'])], 'root on a node'), undefined);
    assert.equal(
      path([rule(['get'], ['secrets'])], 'cluster-admin', true),
      undefined,
      'secrets of app only: no token there',
    );
    assert.equal(path([rule(['create'], ['pods'])], 'cluster-admin', true), undefined, 'pods in app run as web only');
  });
});

describe('RBAC rules', () => {
  it('match as the authorizer does: wildcards, subresources, resource names', () => {
    const ask = { verb: 'create', group: '', resource: 'pods/exec' };
    assert.equal(ruleAllows(rule(['create'], ['pods']), ask), false, 'pods does not cover pods/exec');
    assert.equal(ruleAllows(rule(['create'], ['*/exec']), ask), true);
    assert.equal(ruleAllows(rule(['*'], ['*']), ask), true);
    assert.equal(ruleAllows(rule(['create'], ['pods/exec'], ['apps']), ask), false, 'another group');
    assert.equal(
      ruleAllows(rule(['get'], ['secrets'], [''], ['one']), { verb: 'get', group: '', resource: 'secrets' }),
      false,
    );
    assert.equal(
      ruleAllows(rule(['get'], ['secrets'], [''], ['one']), {
        verb: 'get',
        group: '',
        resource: 'secrets',
        name: 'one',
      }),
      true,
    );
  });
});

// The steps modelled on top of the first ones: namespaced bind and escalate, impersonating named users and
// groups, Secrets mounted by pods, the kubelet's own credentials and Pod Security Admission labels. Each on
// a small cluster where ops/operator is cluster-admin and its token Secret ops/operator-token is in `ops`.

interface Extra {
  /** Where eve's rules are bound: `*` (a ClusterRoleBinding), or a namespace (a RoleBinding to ClusterRole r). */
  at?: string;
  /** Bind eve's rules as a Role of the namespace `at` instead of a ClusterRole. */
  asRole?: boolean;
  roles?: Role[];
  clusterRoles?: ClusterRole[];
  clusterRoleBindings?: ClusterRoleBinding[];
  roleBindings?: RoleBinding[];
  pods?: PodFact[];
  namespaces?: NamespaceFact[];
  podSecurityAdmission?: boolean;
  who?: Who;
}

const ADMIN_RULES = [rule(['*'], ['*'], ['*'])];

function graphOf(rules: PolicyRule[], extra: Extra = {}): EscalationGraph {
  const at = extra.at ?? '*';
  const ref = { apiGroup: RBAC, kind: extra.asRole ? 'Role' : 'ClusterRole', name: 'r' };
  const eve = [{ kind: 'User', name: 'eve' }];
  return new EscalationGraph({
    rbac: {
      clusterRoles: [
        { metadata: { name: 'r' }, rules },
        { metadata: { name: 'cluster-admin' }, rules: ADMIN_RULES },
        { metadata: { name: 'admin' }, rules: [rule(['get', 'list'], ['secrets']), rule(['create'], ['pods'])] },
        { metadata: { name: 'view' }, rules: [rule(['get', 'list'], ['pods'])] },
        ...(extra.clusterRoles ?? []),
      ],
      roles: [...(extra.asRole ? [{ metadata: { name: 'r', namespace: at }, rules }] : []), ...(extra.roles ?? [])],
      clusterRoleBindings: [
        ...(at === '*' ? [{ metadata: { name: 'b' }, roleRef: ref, subjects: eve }] : []),
        {
          metadata: { name: 'ops' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', namespace: 'ops', name: 'operator' }],
        },
        ...(extra.clusterRoleBindings ?? []),
      ],
      roleBindings: [
        ...(at !== '*' ? [{ metadata: { name: 'b', namespace: at }, roleRef: ref, subjects: eve }] : []),
        ...(extra.roleBindings ?? []),
      ],
    },
    namespaces: extra.namespaces,
    podSecurityAdmission: extra.podSecurityAdmission,
    serviceAccounts: [
      { namespace: 'ops', name: 'operator' },
      { namespace: 'ops', name: 'default' },
      { namespace: 'app', name: 'web' },
    ],
    tokenSecrets: [{ namespace: 'ops', name: 'operator-token', serviceAccount: 'operator' }],
    pods: extra.pods ?? [{ namespace: 'app', name: 'web-1', serviceAccount: 'web', node: 'n1', hostAccess: false }],
    starts: [{ name: 'eve', who: extra.who ?? { user: 'eve', groups: ['system:authenticated'] } }],
  });
}

/** A way onto node n1: exec in app, into a pod there that reaches its host. */
const EXEC_IN_APP = [rule(['create'], ['pods/exec'])];
const HOST_POD_N1: PodFact = { namespace: 'app', name: 'agent', serviceAccount: 'web', node: 'n1', hostAccess: true };

const pathOf = (graph: EscalationGraph, goal: string) => graph.paths().find((p) => p.to === goal);
const actions = (graph: EscalationGraph, goal: string) => pathOf(graph, goal)?.steps.map((s) => s.action);
const binding = (name: string, role: string, subjects: Subject[]): ClusterRoleBinding => ({
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
  subjects,
});

describe('namespaced bind and escalate', () => {
  const bindAdmin = [rule(['create'], ['rolebindings'], [RBAC]), rule(['bind'], ['clusterroles'], [RBAC], ['admin'])];

  it('a RoleBinding to admin in ops gives its rights there: the operator token, then cluster-admin', () => {
    const graph = graphOf(bindAdmin, { at: 'ops' });
    const path = pathOf(graph, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [
        ['bind-role', "ClusterRole admin's rights in namespace ops"],
        ['read-token', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.equal(
      path!.steps[0].evidence,
      'create rolebindings in namespace ops (RoleBinding ops/b → ClusterRole r); bind clusterroles/admin in namespace ops (RoleBinding ops/b → ClusterRole r)',
    );
    assert.match(
      path!.steps[1].evidence,
      /^get secrets in namespace ops \(a RoleBinding it creates in ops → ClusterRole admin\): token Secret ops\/operator-token$/,
    );
  });

  it('bind on any ClusterRole is every right in the namespace; patching a RoleBinding counts as creating one', () => {
    const graph = graphOf([rule(['patch'], ['rolebindings'], [RBAC]), rule(['bind'], ['clusterroles'], [RBAC])], {
      at: 'ops',
    });
    assert.deepEqual(
      pathOf(graph, 'cluster-admin')?.steps.map((s) => [s.action, s.subject]),
      [
        ['bind-role', 'every right in namespace ops'],
        ['read-token', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
  });

  it('look-alikes reach nothing: no bind, bind on a harmless role, admin where no token lies', () => {
    assert.equal(
      actions(graphOf([rule(['create'], ['rolebindings'], [RBAC])], { at: 'ops' }), 'cluster-admin'),
      undefined,
    );
    assert.equal(
      actions(
        graphOf([rule(['create'], ['rolebindings'], [RBAC]), rule(['bind'], ['clusterroles'], [RBAC], ['view'])], {
          at: 'ops',
        }),
        'cluster-admin',
      ),
      undefined,
    );
    assert.equal(
      actions(graphOf(bindAdmin, { at: 'app' }), 'cluster-admin'),
      undefined,
      'admin in app: only web there',
    );
    assert.equal(
      actions(graphOf([rule(['bind'], ['clusterroles'], [RBAC], ['admin'])], { at: 'ops' }), 'cluster-admin'),
      undefined,
      'bind without a binding to write',
    );
  });

  it('escalate and update on a Role it is bound to is every right in the namespace', () => {
    const rules = [rule(['escalate', 'update'], ['roles'], [RBAC])];
    const graph = graphOf(rules, { at: 'ops', asRole: true });
    const path = pathOf(graph, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [
        ['escalate-role', 'every right in namespace ops'],
        ['read-token', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(path!.steps[0].evidence, /bound to Role ops\/r \(RoleBinding ops\/b → Role r\)/);
    assert.equal(
      actions(graphOf([rule(['escalate'], ['roles'], [RBAC])], { at: 'ops', asRole: true }), 'cluster-admin'),
      undefined,
      'no update',
    );
    assert.equal(
      actions(graphOf(rules, { at: 'ops' }), 'cluster-admin'),
      undefined,
      'bound to a ClusterRole only: no Role of its own to edit',
    );
    assert.equal(
      actions(
        graphOf([rule(['escalate'], ['roles'], [RBAC]), rule(['update'], ['roles'], [RBAC], ['other'])], {
          at: 'ops',
          asRole: true,
        }),
        'cluster-admin',
      ),
      undefined,
      'may update another Role, not its own',
    );
  });
});

describe('impersonating users and groups', () => {
  const boss = binding('boss', 'cluster-admin', [{ kind: 'User', name: 'boss' }]);
  const admins = binding('admins', 'cluster-admin', [{ kind: 'Group', name: 'admins' }]);

  it('a named user bound to cluster-admin, through its name or any name', () => {
    for (const names of [['boss'], undefined]) {
      const graph = graphOf([rule(['impersonate'], ['users'], [''], names)], { clusterRoleBindings: [boss] });
      const path = pathOf(graph, 'cluster-admin');
      assert.deepEqual(
        path?.steps.map((s) => [s.action, s.subject]),
        [
          ['impersonate', 'user boss'],
          ['wildcard', 'cluster-admin'],
        ],
      );
    }
    assert.equal(
      actions(
        graphOf([rule(['impersonate'], ['users'], [''], ['intern'])], { clusterRoleBindings: [boss] }),
        'cluster-admin',
      ),
      undefined,
      'another user',
    );
    assert.equal(
      actions(
        graphOf([rule(['impersonate'], ['users'], [''], ['boss'])], { at: 'ops', clusterRoleBindings: [boss] }),
        'cluster-admin',
      ),
      undefined,
      'users are cluster-scoped: a RoleBinding cannot grant impersonating them',
    );
  });

  it('a group bound to cluster-admin, or system:masters, with a user (or service account) to wear it', () => {
    const users = rule(['impersonate'], ['users'], [''], ['intern']);
    const graph = graphOf([rule(['impersonate'], ['groups'], [''], ['admins']), users], {
      clusterRoleBindings: [admins],
    });
    assert.deepEqual(
      pathOf(graph, 'cluster-admin')?.steps.map((s) => [s.action, s.subject]),
      [
        ['impersonate', 'group admins'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    const masters = graphOf([
      rule(['impersonate'], ['groups'], [''], ['system:masters']),
      rule(['impersonate'], ['serviceaccounts']),
    ]);
    const path = pathOf(masters, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [['impersonate', 'cluster-admin']],
    );
    assert.match(
      path!.steps[0].evidence,
      /impersonate groups\/system:masters .*: group system:masters bypasses authorization$/,
    );
    assert.equal(
      actions(
        graphOf([rule(['impersonate'], ['groups'], [''], ['admins'])], { clusterRoleBindings: [admins] }),
        'cluster-admin',
      ),
      undefined,
      'no user to impersonate',
    );
  });
});

describe("pods' mounted Secrets", () => {
  const backup: PodFact = {
    namespace: 'ops',
    name: 'backup',
    serviceAccount: 'default',
    node: 'n1',
    hostAccess: false,
    tokenMounted: false,
    secrets: ['operator-token', 'db'],
  };

  it('exec into a pod that mounts a token Secret: its account', () => {
    const graph = graphOf([rule(['create'], ['pods/exec'])], { at: 'ops', pods: [backup] });
    const path = pathOf(graph, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [
        ['exec', 'pod ops/backup'],
        ['mounted-secret', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.equal(path!.steps[1].evidence, 'pod ops/backup mounts Secret ops/operator-token, the token of ops/operator');
  });

  it('root on its node reads it too', () => {
    const graph = graphOf(EXEC_IN_APP, { at: 'app', pods: [backup, HOST_POD_N1] });
    assert.deepEqual(actions(graph, 'cluster-admin'), ['exec-node', 'node-secrets', 'wildcard']);
  });

  it('a pod mounting only other Secrets, or not its token, gives nothing', () => {
    const plain = { ...backup, secrets: ['db'] };
    assert.equal(
      actions(graphOf([rule(['create'], ['pods/exec'])], { at: 'ops', pods: [plain] }), 'cluster-admin'),
      undefined,
    );
    const operator = { ...plain, serviceAccount: 'operator' };
    assert.equal(
      actions(graphOf([rule(['create'], ['pods/exec'])], { at: 'ops', pods: [operator] }), 'cluster-admin'),
      undefined,
      'runs as operator, token not mounted',
    );
    assert.deepEqual(
      actions(
        graphOf([rule(['create'], ['pods/exec'])], { at: 'ops', pods: [{ ...operator, tokenMounted: true }] }),
        'cluster-admin',
      ),
      ['exec', 'wildcard'],
    );
  });
});

describe("the kubelet's own credentials", () => {
  const nodeUser = (name: string): Subject => ({ kind: 'User', name });
  const opsSecrets: Role = {
    metadata: { name: 'node-secrets', namespace: 'ops' },
    rules: [rule(['get'], ['secrets'])],
  };
  const opsPods: Role = { metadata: { name: 'node-pods', namespace: 'ops' }, rules: [rule(['create'], ['pods'])] };
  const roleBinding = (name: string, role: string, subjects: Subject[]): RoleBinding => ({
    metadata: { name, namespace: 'ops' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: role },
    subjects,
  });

  it('root on a node → system:node:NAME, with its rights as RBAC binds them', () => {
    const graph = graphOf(EXEC_IN_APP, {
      at: 'app',
      pods: [HOST_POD_N1],
      roles: [opsSecrets],
      roleBindings: [roleBinding('node-secrets', 'node-secrets', [nodeUser('system:node:n1')])],
    });
    const path = pathOf(graph, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [
        ['exec-node', 'root on node n1'],
        ['node-credentials', "system:node:n1 (the kubelet's credentials)"],
        ['read-token', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(path!.steps[1].evidence, /system:node:n1, groups system:nodes, system:authenticated/);
    assert.equal(
      actions(
        graphOf(EXEC_IN_APP, {
          at: 'app',
          pods: [HOST_POD_N1],
          roles: [opsSecrets],
          roleBindings: [roleBinding('node-secrets', 'node-secrets', [nodeUser('system:node:n2')])],
        }),
        'cluster-admin',
      ),
      undefined,
      'another node’s name: no pod runs on n2',
    );
  });

  it('NodeRestriction: a kubelet bound to create pods cannot create pods that mount an account', () => {
    const extra = {
      roles: [opsPods],
      roleBindings: [roleBinding('node-pods', 'node-pods', [{ kind: 'Group', name: 'system:nodes' }])],
    };
    assert.equal(
      actions(graphOf(EXEC_IN_APP, { ...extra, at: 'app', pods: [HOST_POD_N1] }), 'cluster-admin'),
      undefined,
    );
    assert.equal(
      actions(
        graphOf([], { ...extra, who: { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] } }),
        'cluster-admin',
      ),
      undefined,
      'a kubelet certificate as the start',
    );
    assert.deepEqual(
      actions(
        graphOf([], { ...extra, who: { user: 'mallory', groups: ['system:nodes', 'system:authenticated'] } }),
        'cluster-admin',
      ),
      ['create-pod-as', 'wildcard'],
      'not a node name: NodeRestriction does not apply',
    );
  });
});

describe('Pod Security Admission labels', () => {
  const create = [rule(['create'], ['pods'])];

  it('baseline or restricted forbid the privileged pod: no node, the namespace’s accounts still', () => {
    for (const level of ['baseline', 'restricted']) {
      const namespaces = [
        { name: 'ops', podSecurity: level },
        { name: 'app', podSecurity: level },
      ];
      assert.equal(actions(graphOf(create, { at: 'app', namespaces }), 'root on a node'), undefined, level);
      assert.deepEqual(
        actions(graphOf(create, { at: 'ops', namespaces }), 'cluster-admin'),
        ['create-pod-as', 'wildcard'],
        level,
      );
    }
  });

  it('privileged, no label, or labels not readable: the pod reaches a node, and the step says on what it rests', () => {
    const privileged = pathOf(
      graphOf(create, { at: 'ops', namespaces: [{ name: 'ops', podSecurity: 'privileged' }] }),
      'root on a node',
    );
    assert.match(privileged!.steps[0].evidence, /; namespace ops enforces privileged$/);
    const unlabelled = pathOf(graphOf(create, { at: 'ops', namespaces: [{ name: 'ops' }] }), 'root on a node');
    assert.match(unlabelled!.steps[0].evidence, /; namespace ops enforces no Pod Security level$/);
    const unread = pathOf(graphOf(create, { at: 'ops' }), 'root on a node');
    assert.match(unread!.steps[0].evidence, /; namespace labels not readable: assumed to admit it$/);
    const unknown = pathOf(graphOf(create, { at: 'ops', namespaces: [{ name: 'app' }] }), 'root on a node');
    assert.match(unknown!.steps[0].evidence, /; namespace ops not read: assumed to admit it$/);
  });

  it('a server older than 1.23 enforces no label', () => {
    const graph = graphOf(create, {
      at: 'app',
      namespaces: [{ name: 'app', podSecurity: 'restricted' }],
      podSecurityAdmission: false,
    });
    assert.match(
      pathOf(graph, 'root on a node')!.steps[0].evidence,
      /; the server predates Pod Security Admission \(1\.23\): no label forbids it$/,
    );
  });

  it('everywhere: one namespace that admits it is enough; none, and no node', () => {
    const open = pathOf(
      graphOf(create, {
        namespaces: [
          { name: 'ops', podSecurity: 'restricted' },
          { name: 'app', podSecurity: 'privileged' },
        ],
      }),
      'root on a node',
    );
    assert.match(open!.steps[0].evidence, /^create pods in every namespace .*; namespace app enforces privileged$/);
    const closed = graphOf(create, {
      namespaces: [
        { name: 'ops', podSecurity: 'restricted' },
        { name: 'app', podSecurity: 'baseline' },
      ],
    });
    assert.deepEqual(
      actions(closed, 'root on a node'),
      ['create-pod-as', 'wildcard', 'admin-node'],
      'only through ops/operator, cluster-admin',
    );
    assert.equal(
      actions(
        graphOf([rule(['patch'], ['deployments'], ['apps'])], {
          at: 'app',
          namespaces: [{ name: 'app', podSecurity: 'baseline' }],
        }),
        'root on a node',
      ),
      undefined,
      'a patched pod template meets the same admission',
    );
  });
});

describe('the steps registry', () => {
  it('gives each step one id, a title and a reference', () => {
    const steps = Object.values(STEPS);
    assert.equal(new Set(steps.map((s) => s.id)).size, steps.length);
    for (const s of steps) {
      assert.match(s.reference, /^https:\/\/kubernetes\.io\/docs\//, s.id);
      assert.ok(s.title.length > 10, s.id);
    }
  });
});

describe('names a rule allows', () => {
  it('lists resourceNames, `*` for a rule without them, and leaves other verbs out', () => {
    const grant = (rule: PolicyRule) => ({ namespace: '*', rule, via: 'v' });
    const names = namesAllowed(
      [
        grant(rule(['impersonate'], ['users'], [''], ['a', 'b'])),
        grant(rule(['get'], ['users'], [''], ['c'])),
        grant(rule(['impersonate'], ['groups'])),
      ],
      { verb: 'impersonate', group: '', resource: 'users' },
    );
    assert.deepEqual([...names.keys()], ['a', 'b']);
    assert.deepEqual(
      [...namesAllowed([grant(rule(['*'], ['*']))], { verb: 'bind', group: '', resource: 'roles' }).keys()],
      ['*'],
    );
  });
});

describe('client certificates through CSRs', () => {
  const masters = binding('masters-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]);
  const oncall = binding('oncall-admin', 'cluster-admin', [{ kind: 'User', name: 'oncall' }]);

  it('a certificate for a user bound to cluster-admin, or a service account: not system:masters', () => {
    const graph = graphOf(CSR_RULES, { clusterRoleBindings: [oncall] });
    const path = pathOf(graph, 'cluster-admin');
    assert.deepEqual(
      path?.steps.map((s) => [s.action, s.subject]),
      [
        ['csr-approve', 'user oncall'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(path!.steps[0].evidence, /approve signers\/kubernetes.io\/kube-apiserver-client .*: CN=oncall$/);
    // Only system:masters (refused by CertificateSubjectRestriction) or a service account left: the account.
    assert.deepEqual(
      pathOf(graphOf(CSR_RULES, { clusterRoleBindings: [masters] }), 'cluster-admin')?.steps.map((s) => s.subject),
      ['service account ops/operator', 'cluster-admin'],
    );
  });

  it('needs all three rights: the CSR, its approval, and approve on the client signer (or kubernetes.io/*)', () => {
    for (let i = 0; i < CSR_RULES.length; i++) {
      const rules = CSR_RULES.filter((_, j) => j !== i);
      assert.equal(actions(graphOf(rules), 'cluster-admin'), undefined, `without rule ${i}`);
    }
    const kubeletSigner = [
      ...CSR_RULES.slice(0, 2),
      rule(['approve'], ['signers'], [CERTS], ['kubernetes.io/kube-apiserver-client-kubelet']),
    ];
    assert.equal(actions(graphOf(kubeletSigner), 'cluster-admin'), undefined, 'another signer');
    const anySigner = [...CSR_RULES.slice(0, 2), rule(['approve'], ['signers'], [CERTS], ['kubernetes.io/*'])];
    assert.deepEqual(actions(graphOf(anySigner), 'cluster-admin'), ['csr-approve', 'wildcard']);
  });
});

describe("a kubelet's nodes/proxy and CSR rights, where RBAC grants them", () => {
  const nodes = { kind: 'Group', name: 'system:nodes' } as const;
  const hostPod: PodFact = { namespace: 'ops', name: 'agent', serviceAccount: 'default', node: 'n2', hostAccess: true };
  const webOnN1: PodFact = { namespace: 'app', name: 'web-1', serviceAccount: 'web', node: 'n1', hostAccess: false };
  const adminOnN2: PodFact = {
    namespace: 'ops',
    name: 'op',
    serviceAccount: 'operator',
    node: 'n2',
    hostAccess: false,
  };
  const kubelet = { user: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };

  it('nodes/proxy bound to system:nodes: from root on n1, the kubelet API of every node', () => {
    const graph = graphOf([], {
      who: kubelet,
      clusterRoles: [{ metadata: { name: 'node-proxy' }, rules: [rule(['get'], ['nodes/proxy'])] }],
      clusterRoleBindings: [binding('nodes-proxy', 'node-proxy', [nodes])],
      pods: [webOnN1, adminOnN2, hostPod],
    });
    // Exec in ops/op on n2 (its token: cluster-admin), and in the agent on n2 that reaches its host.
    assert.deepEqual(
      pathOf(graph, 'cluster-admin')?.steps.map((s) => [s.action, s.subject]),
      [
        ['nodes-proxy', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(pathOf(graph, 'cluster-admin')!.steps[0].evidence, /ClusterRoleBinding nodes-proxy.*: pod ops\/op$/);
    assert.deepEqual(
      pathOf(graph, 'root on a node')?.steps.map((s) => [s.action, s.subject]),
      [['nodes-proxy', 'root on node n2']],
    );
    assert.equal(
      actions(graphOf([], { who: kubelet, pods: [webOnN1, adminOnN2] }), 'cluster-admin'),
      undefined,
      'system:node by default: no nodes/proxy',
    );
  });

  it('CSR approval bound to system:nodes: the kubelet signs itself a certificate of any subject', () => {
    const graph = graphOf([], {
      who: kubelet,
      clusterRoles: [{ metadata: { name: 'csr-approver' }, rules: CSR_RULES }],
      clusterRoleBindings: [binding('nodes-approve', 'csr-approver', [nodes])],
    });
    assert.deepEqual(actions(graph, 'cluster-admin'), ['csr-approve', 'wildcard']);
    // Root on a node reaches the same through the kubelet's client certificate.
    const viaNode = graphOf(EXEC_IN_APP, {
      at: 'app',
      clusterRoles: [{ metadata: { name: 'csr-approver' }, rules: CSR_RULES }],
      clusterRoleBindings: [binding('nodes-approve', 'csr-approver', [nodes])],
      pods: [HOST_POD_N1],
    });
    assert.deepEqual(
      pathOf(viaNode, 'cluster-admin')?.steps.map((s) => s.action),
      ['exec-node', 'node-credentials', 'csr-approve', 'wildcard'],
    );
  });
});
