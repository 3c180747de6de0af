import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClusterRole, ClusterRoleBinding } from 'kubernetes-types/rbac/v1.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { PATH_USERS } from '../../src/lab/seed-paths.js';
import { type AttackPath, EscalationGraph, type PathFacts, type StartFact } from '../../src/paths/graph.js';
import { labFacts } from '../helpers/lab-facts.js';

// Block 127.150.2.0/24: a right to bind a role in every namespace is one edge for all of them, with the
// same path at 3,000 namespaces as at a handful (lab.can the ground truth), and nothing cluster-scoped.

const EXTRA = 3000;
const RBAC = 'rbac.authorization.k8s.io';
const U = PATH_USERS;
let small: Lab;
let large: Lab;

before(async () => {
  small = await startLab({ profile: 'default', base: '127.150.2.2', nodes: 1, etcd: 'off' });
  large = await startLab({
    profile: 'default',
    base: '127.150.2.66',
    nodes: 1,
    etcd: 'off',
    scale: { namespaces: EXTRA },
  });
});

after(async () => {
  await small?.stop();
  await large?.stop();
});

const as = (name: string) => ({ name, groups: ['system:authenticated'] });
const start = (name: string): StartFact => ({ name, who: { user: name, groups: ['system:authenticated'] } });
const STARTS = [start(U.nsBinder), start(U.nsBinderView)];
const shape = (paths: AttackPath[]) => paths.map((p) => [p.from, p.to, p.steps.map((s) => [s.action, s.subject])]);

describe('binding a role in every namespace', () => {
  it('ns-binder: one bind-role edge stands for every namespace, the same path at 3,000 namespaces', async () => {
    // The ground truth, in a namespace only the large lab has and in ops.
    for (const ns of ['a-bulk-03000', 'ops']) {
      assert.equal(
        large.can(as(U.nsBinder), { verb: 'create', group: RBAC, resource: 'rolebindings', namespace: ns }),
        true,
      );
      assert.equal(
        large.can(as(U.nsBinder), {
          verb: 'bind',
          group: RBAC,
          resource: 'clusterroles',
          name: 'admin',
          namespace: ns,
        }),
        true,
      );
    }
    assert.equal(
      large.can(as(U.nsBinder), { verb: 'bind', group: RBAC, resource: 'clusterroles', name: 'cluster-admin' }),
      false,
    );
    const few = new EscalationGraph(await labFacts(small, STARTS));
    const many = new EscalationGraph(await labFacts(large, STARTS));
    assert.ok((many.facts.namespaces?.length ?? 0) > EXTRA, 'the large lab lists its namespaces');
    const paths = many.paths();
    assert.deepEqual(shape(paths), shape(few.paths()), 'the same paths at any number of namespaces');
    const admin = paths.find((p) => p.from === U.nsBinder && p.to === 'cluster-admin');
    assert.deepEqual(
      admin?.steps.map((s) => [s.action, s.subject]),
      [
        ['bind-role', "ClusterRole admin's rights in every namespace"],
        ['read-token', 'service account kube-system/lab-admin'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    const labAdmin = { name: 'system:serviceaccount:kube-system:lab-admin', groups: ['system:serviceaccounts'] };
    assert.equal(large.can(labAdmin, { verb: '*', group: '*', resource: '*' }), true);
    assert.equal(
      large.can(as(U.nsBinder), { verb: 'get', group: '', resource: 'secrets', namespace: 'kube-system' }),
      false,
      'not before the binding',
    );
    assert.match(
      admin.steps[0].evidence,
      /^create rolebindings in every namespace \(ClusterRoleBinding ns-binder → ClusterRole admin-binder\); bind clusterroles\/admin in every namespace/,
    );
    // The decoy: view in every namespace reads no Secret and creates no pod.
    assert.deepEqual(
      paths.filter((p) => p.from === U.nsBinderView),
      [],
    );
    assert.equal(
      large.can(as(U.nsBinderView), { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }),
      false,
    );
    // The graph stays small: the bind-role edges do not grow with the namespaces, and the whole graph
    // grows by the few hub edges each namespace has (its service accounts, tokens, pods), nothing more.
    const a = few.edgeCount();
    const b = many.edgeCount();
    assert.equal(b.byStep['bind-role'], a.byStep['bind-role'], JSON.stringify({ few: a.byStep, many: b.byStep }));
    assert.ok(b.byStep['bind-role'] <= 10, `bind-role edges: ${b.byStep['bind-role']}`);
    const added = (many.facts.namespaces?.length ?? 0) - (few.facts.namespaces?.length ?? 0);
    assert.ok(b.edges - a.edges <= 5 * added, `${b.edges - a.edges} edges more for ${added} namespaces`);
  });

  it('the rights of a RoleBinding in every namespace stay namespaced: a bound ClusterRole of nodes/proxy gives nothing', async () => {
    const facts: PathFacts = await labFacts(small, [start('proxier'), start('admin-everywhere')]);
    const role = (name: string, rules: ClusterRole['rules']): ClusterRole => ({ metadata: { name }, rules });
    const binding = (user: string, roleName: string): ClusterRoleBinding => ({
      metadata: { name: user },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'User', name: user, apiGroup: RBAC }],
    });
    facts.rbac.clusterRoles.push(
      role('node-proxier', [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }]),
      role('proxier-binder', [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['node-proxier'] },
      ]),
      role('any-binder', [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'] },
      ]),
    );
    facts.rbac.clusterRoleBindings.push(
      binding('proxier', 'proxier-binder'),
      binding('admin-everywhere', 'any-binder'),
    );
    const paths = new EscalationGraph(facts).paths();
    assert.deepEqual(
      shape(paths.filter((p) => p.from === 'proxier')),
      [],
      'nodes are not namespaced: a RoleBinding grants no nodes/proxy',
    );
    // Every right in every namespace is not `*` cluster-wide: cluster-admin only through a namespace's token.
    assert.deepEqual(
      paths.find((p) => p.from === 'admin-everywhere' && p.to === 'cluster-admin')?.steps.map((s) => s.action),
      ['bind-role', 'read-token', 'wildcard'],
    );
  });
});
