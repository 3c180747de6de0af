import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { PATH_USERS } from '../../src/lab/seed-paths.js';
import { type AttackPath, EscalationGraph, type PathFacts, type StartFact } from '../../src/paths/graph.js';
import { labFacts } from '../helpers/lab-facts.js';

// Block 127.150.3.0/24: the steps of changing a namespace's Pod Security labels and of nodes/proxy limited
// to named nodes, on the lab's scenario and its decoys (seed-paths.ts), each checked against lab.can.

const U = PATH_USERS;
let lab: Lab;
let facts: PathFacts;
let paths: AttackPath[];

const as = (name: string) => ({ name, groups: ['system:authenticated'] });
const start = (name: string): StartFact => ({ name, who: { user: name, groups: ['system:authenticated'] } });
const steps = (from: string, to: AttackPath['to']) =>
  paths.find((p) => p.from === from && p.to === to)?.steps.map((s) => [s.action, s.subject]);

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.150.3.2', nodes: 1, etcd: 'off' });
  facts = await labFacts(
    lab,
    [U.relabeler, U.relabelerElsewhere, U.nodeProxyOne, U.nodeProxyGone].map((n) => start(n)),
  );
  paths = new EscalationGraph(facts).paths();
});

after(() => lab.stop());

describe('changing a namespace’s Pod Security labels', () => {
  it('relabeler: create pods in restricted staging and patch namespace staging → root on a node', () => {
    assert.equal(lab.can(as(U.relabeler), { verb: 'create', group: '', resource: 'pods', namespace: 'staging' }), true);
    // A request for namespaces/staging is in namespace staging (the API server's request info): the
    // RoleBinding in staging allows it.
    const patch = { verb: 'patch', group: '', resource: 'namespaces', namespace: 'staging', name: 'staging' };
    assert.equal(lab.can(as(U.relabeler), patch), true);
    assert.equal(facts.namespaces?.find((n) => n.name === 'staging')?.podSecurity, 'restricted');
    assert.deepEqual(steps(U.relabeler, 'root on a node'), [['namespace-relabel', 'root on a node']]);
    const evidence = paths.find((p) => p.from === U.relabeler && p.to === 'root on a node')!.steps[0].evidence;
    assert.match(
      evidence,
      /^create pods in namespace staging \(RoleBinding staging\/relabeler → Role relabeler\); patch namespaces\/staging/,
    );
    assert.match(evidence, /namespace staging enforces restricted, a label it may change$/);
  });

  it('relabeler-elsewhere: may patch namespace dev only, and creates pods in staging only: no node', () => {
    const patch = (ns: string) => ({ verb: 'patch', group: '', resource: 'namespaces', namespace: ns, name: ns });
    assert.equal(lab.can(as(U.relabelerElsewhere), patch('dev')), true);
    assert.equal(lab.can(as(U.relabelerElsewhere), patch('staging')), false);
    assert.equal(
      lab.can(as(U.relabelerElsewhere), { verb: 'create', group: '', resource: 'pods', namespace: 'dev' }),
      false,
    );
    assert.equal(steps(U.relabelerElsewhere, 'root on a node'), undefined);
    assert.deepEqual(
      paths.filter((p) => p.from === U.relabelerElsewhere),
      [],
    );
  });

  it('a workload patch in staging with patch on namespace staging reaches a node; without it, not', async () => {
    const withRole = async (verbs: string[]) => {
      const f = await labFacts(lab, [start('patcher')]);
      f.rbac.roles.push({
        metadata: { name: 'patcher', namespace: 'staging' },
        rules: [
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['patch'] },
          { apiGroups: [''], resources: ['namespaces'], verbs },
        ],
      });
      f.rbac.roleBindings.push({
        metadata: { name: 'patcher', namespace: 'staging' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patcher' },
        subjects: [{ kind: 'User', name: 'patcher', apiGroup: 'rbac.authorization.k8s.io' }],
      });
      return new EscalationGraph(f).paths().find((p) => p.to === 'root on a node');
    };
    const node = await withRole(['get', 'update']);
    assert.deepEqual(
      node?.steps.map((s) => s.action),
      ['namespace-relabel'],
    );
    assert.match(node!.steps[0].evidence, /^patch deployments in namespace staging .*; update namespaces\/staging /);
    assert.equal(await withRole(['get', 'list', 'watch']), undefined, 'reading the labels changes nothing');
  });

  it('a server that predates Pod Security, or labels not read: the ordinary create-pod step, no relabel', () => {
    const old = new EscalationGraph({ ...facts, podSecurityAdmission: false }).paths();
    assert.deepEqual(
      old.find((p) => p.from === U.relabeler && p.to === 'root on a node')?.steps.map((s) => s.action),
      ['create-pod-node'],
    );
  });
});

describe('nodes/proxy on named nodes', () => {
  it('node-proxy-one: the kubelet API of lab-node-1 only → exec in its pods → cluster-admin', () => {
    const proxy = (node: string) => ({ verb: 'get', group: '', resource: 'nodes', subresource: 'proxy', name: node });
    assert.equal(lab.can(as(U.nodeProxyOne), proxy('lab-node-1')), true);
    assert.equal(lab.can(as(U.nodeProxyOne), proxy('lab-node-2')), false);
    const admin = paths.find((p) => p.from === U.nodeProxyOne && p.to === 'cluster-admin');
    assert.ok(admin, 'a path to cluster-admin');
    assert.equal(admin.steps[0].action, 'nodes-proxy-named');
    assert.match(
      admin.steps[0].evidence,
      /^get nodes\/proxy\/lab-node-1 \(ClusterRoleBinding node-proxy-one → ClusterRole lab-node-1-proxy\): pod .* on lab-node-1/,
    );
    assert.equal(admin.steps.at(-1)?.subject, 'cluster-admin');
    // Every pod the path goes through runs on lab-node-1.
    const pods = (lab as unknown as { store?: unknown }) && facts.pods;
    for (const s of admin.steps) {
      for (const [, at] of s.evidence.matchAll(/pod ([\w.-]+\/[\w.-]+)/g)) {
        const [ns, name] = at.split('/');
        assert.equal(pods.find((p) => p.namespace === ns && p.name === name)?.node, 'lab-node-1', at);
      }
    }
  });

  it('node-proxy-gone: a rule naming a node that is not there reaches nothing', () => {
    assert.equal(
      lab.can(as(U.nodeProxyGone), {
        verb: 'get',
        group: '',
        resource: 'nodes',
        subresource: 'proxy',
        name: 'lab-node-0',
      }),
      true,
    );
    assert.deepEqual(
      paths.filter((p) => p.from === U.nodeProxyGone),
      [],
    );
  });

  it('reaches only the named node’s pods: a cluster-admin token mounted on another node is out of reach', () => {
    const two: PathFacts = {
      rbac: {
        roles: [],
        roleBindings: [],
        clusterRoles: [
          { metadata: { name: 'cluster-admin' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
          {
            metadata: { name: 'n2-proxy' },
            rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'], resourceNames: ['n2'] }],
          },
        ],
        clusterRoleBindings: [
          {
            metadata: { name: 'a' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
            subjects: [{ kind: 'ServiceAccount', namespace: 'x', name: 'admin' }],
          },
          {
            metadata: { name: 'p' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'n2-proxy' },
            subjects: [{ kind: 'User', name: 'u' }],
          },
        ],
      },
      serviceAccounts: [
        { namespace: 'x', name: 'admin' },
        { namespace: 'x', name: 'web' },
      ],
      tokenSecrets: [],
      pods: [
        { namespace: 'x', name: 'admin-pod', serviceAccount: 'admin', node: 'n1', hostAccess: false },
        { namespace: 'x', name: 'web', serviceAccount: 'web', node: 'n2', hostAccess: false },
      ],
      namespaces: [{ name: 'x' }],
      starts: [start('u')],
    };
    assert.deepEqual(new EscalationGraph(two).paths(), [], 'n2 runs only web, which holds nothing');
    two.pods[1] = { ...two.pods[1], hostAccess: true };
    const found = new EscalationGraph(two).paths();
    // Root on n2 through the host-reaching pod; not n1, where the admin's pod runs.
    assert.deepEqual(
      found.map((p) => [p.to, p.steps.map((s) => [s.action, s.subject])]),
      [['root on a node', [['nodes-proxy-named', 'root on node n2']]]],
    );
  });
});
