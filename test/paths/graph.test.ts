import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { PATH_USERS } from '../../src/lab/seed-paths.js';
import { type AttackPath, EscalationGraph, kubeletWho, type PathFacts, type StartFact } from '../../src/paths/graph.js';
import { ANONYMOUS, serviceAccountWho } from '../../src/paths/rbac.js';
import { labFacts as labFactsOf } from '../helpers/lab-facts.js';

// Block 127.57.2.0/24: attack paths computed from the default lab's objects, each step checked against the
// lab's RBAC (lab.can), the multi-hop scenario of seed-paths.ts and its decoy.

let lab: Lab;
let facts: PathFacts;

const labFacts = (starts: StartFact[]) => labFactsOf(lab, starts);

const sa = (ns: string, name: string) => serviceAccountWho(ns, name);
/** The same service account as the lab's authorizer takes a user. */
const user = (ns: string, name: string) => {
  const who = serviceAccountWho(ns, name);
  return { name: who.user, groups: who.groups };
};
const pathOf = (paths: AttackPath[], from: string, to: AttackPath['to']) =>
  paths.find((p) => p.from === from && p.to === to);

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.57.2.2', nodes: 1, etcd: 'off' });
  facts = await labFacts([
    { name: 'anonymous', who: ANONYMOUS },
    { name: 'ci-viewer', who: sa('dev', 'ci-viewer') },
    { name: 'deployer', who: sa('dev', 'deployer') },
    { name: 'nobody', who: sa('default', 'nobody') },
    ...Object.values(PATH_USERS).map((name) => ({ name, who: { user: name, groups: ['system:authenticated'] } })),
    { name: 'kubelet', who: kubeletWho('lab-node-1') },
  ]);
});

after(() => lab.stop());

describe('attack paths on the default lab', () => {
  let paths: AttackPath[];
  before(() => {
    paths = new EscalationGraph(facts).paths();
  });

  it('anonymous → token of dev/ci-bot → a pod in ops as ops/operator → cluster-admin', () => {
    const path = pathOf(paths, 'anonymous', 'cluster-admin');
    assert.ok(path, 'a path to cluster-admin');
    assert.deepEqual(
      path.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(
      path.steps[0].evidence,
      /^get secrets in namespace dev \(RoleBinding dev\/ci-secrets → Role ci-secrets\): token Secret dev\/ci-bot-\S+$/,
    );
    assert.match(path.steps[1].evidence, /create pods in namespace ops \(RoleBinding ops\/ci-bot → Role ci-deployer\)/);
    assert.match(path.steps[2].evidence, /ClusterRoleBinding ops-operator → ClusterRole cluster-admin/);
    // Each step is what the lab's RBAC allows.
    assert.equal(lab.can('anonymous', { verb: 'get', group: '', resource: 'secrets', namespace: 'dev' }), true);
    assert.equal(lab.can('anonymous', { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }), false);
    assert.equal(
      lab.can(user('dev', 'ci-bot'), { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }),
      true,
    );
    assert.equal(
      lab.can(user('dev', 'ci-bot'), { verb: 'create', group: '', resource: 'pods', namespace: 'dev' }),
      false,
    );
    assert.equal(lab.can(user('ops', 'operator'), { verb: '*', group: '*', resource: '*' }), true);
    assert.equal(
      lab.can('anonymous', { verb: '*', group: '*', resource: '*' }),
      false,
      'anonymous is not admin itself',
    );
  });

  it('anonymous reaches every Secret through ops/operator, and a node through a pod it may create', () => {
    const secrets = pathOf(paths, 'anonymous', 'every Secret');
    assert.deepEqual(
      secrets?.steps.map((s) => s.action),
      // ops/operator lists Secrets everywhere itself (cluster-admin's rules): no need to say "as cluster-admin".
      ['read-token', 'create-pod-as', 'read-secrets'],
    );
    const node = pathOf(paths, 'anonymous', 'root on a node');
    assert.deepEqual(
      node?.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-node', 'root on a node'],
      ],
    );
  });

  it('the decoy dev/ci-viewer, as readable and allowed pods in staging, reaches no cluster-admin, nor a node', () => {
    assert.equal(pathOf(paths, 'ci-viewer', 'cluster-admin'), undefined);
    assert.equal(pathOf(paths, 'ci-viewer', 'every Secret'), undefined);
    // staging enforces Pod Security `restricted`: its pods reach no node (the lab refuses them, test/lab/admission).
    assert.equal(pathOf(paths, 'ci-viewer', 'root on a node'), undefined);
    // Ground truth: it may create pods in staging, whose service accounts hold no right to escalate.
    assert.equal(
      lab.can(user('dev', 'ci-viewer'), { verb: 'create', group: '', resource: 'pods', namespace: 'staging' }),
      true,
    );
    for (const who of [user('staging', 'builder'), user('staging', 'default'), user('dev', 'ci-viewer')]) {
      assert.equal(lab.can(who, { verb: '*', group: '*', resource: '*' }), false);
      assert.equal(lab.can(who, { verb: 'list', group: '', resource: 'secrets' }), false);
      assert.equal(lab.can(who, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), false);
    }
    for (const step of pathOf(paths, 'anonymous', 'cluster-admin')!.steps) {
      assert.doesNotMatch(step.subject, /ci-viewer|staging/);
    }
  });

  it('an identity that may do nothing dangerous has no path', () => {
    assert.deepEqual(
      paths.filter((p) => p.from === 'nobody'),
      [],
    );
    assert.equal(lab.can('nobody', { verb: 'create', group: '', resource: 'pods', namespace: 'default' }), false);
  });

  it('the deployer reaches a node by creating a pod in dev', () => {
    const node = pathOf(paths, 'deployer', 'root on a node');
    assert.deepEqual(
      node?.steps.map((s) => s.action),
      ['create-pod-node'],
    );
    assert.match(
      node!.steps[0].evidence,
      /create pods in namespace dev \(RoleBinding dev\/deployer → Role pod-deployer\)/,
    );
    assert.equal(lab.can('deployer', { verb: 'create', group: '', resource: 'pods', namespace: 'dev' }), true);
  });

  it('ranks token Secrets by what their service account can do: cluster-admin first, the decoy after ci-bot', () => {
    const ranked = new EscalationGraph(facts).rankTokens().map((t) => `${t.namespace}/${t.serviceAccount}`);
    assert.equal(ranked[0], 'kube-system/lab-admin');
    assert.ok(ranked.indexOf('dev/ci-bot') < ranked.indexOf('dev/ci-viewer'), ranked.join(' '));
    assert.ok(ranked.indexOf('dev/ci-bot') < ranked.indexOf('default/nobody'), ranked.join(' '));
  });

  it('gives the same paths and ranks with 5,000 empty namespaces more (their hubs lead nowhere, and are left out)', () => {
    const empty = Array.from({ length: 5000 }, (_, i) => ({ name: `empty-${i}` }));
    const crowded = new EscalationGraph({ ...facts, namespaces: [...(facts.namespaces ?? []), ...empty] });
    assert.deepEqual(crowded.paths(), paths);
    assert.deepEqual(crowded.rankTokens(), new EscalationGraph(facts).rankTokens());
    assert.ok(paths.length > 5, 'the lab has paths to compare');
  });
});

describe('attack paths from what the survey saw', () => {
  it('uses ApiAccess answers and read tokens when RBAC objects were not readable', () => {
    const graph = new EscalationGraph({
      rbac: { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] },
      serviceAccounts: [{ namespace: 'prod', name: 'deployer' }],
      tokenSecrets: [],
      pods: [],
      starts: [
        {
          name: 'anonymous',
          tokensRead: [{ secret: 'prod/deployer-token', serviceAccount: 'prod/deployer', findings: ['f8'] }],
        },
        { name: 'admin', can: { '* *': true }, canFindings: ['f9'] },
      ],
    });
    const paths = graph.paths();
    assert.deepEqual(
      paths.map((p) => [p.from, p.to, p.steps.map((s) => s.action).join(' ')]),
      [
        ['admin', 'cluster-admin', 'wildcard'],
        ['admin', 'root on a node', 'wildcard admin-node'],
        ['admin', 'every Secret', 'wildcard admin-holds'],
      ],
      'a read token leads nowhere when its account is not known to hold anything',
    );
    assert.deepEqual(paths[0].steps[0].findings, ['f9']);
  });
});

describe('the further steps on the default lab (seed-paths.ts), each against lab.can', () => {
  let paths: AttackPath[];
  const human = (name: string) => ({ name, groups: ['system:authenticated'] });
  const steps = (from: string, to: AttackPath['to']) =>
    pathOf(paths, from, to)?.steps.map((s) => [s.action, s.subject]);
  const RBAC_GROUP = 'rbac.authorization.k8s.io';
  before(() => {
    paths = new EscalationGraph(facts).paths();
  });

  it('ops-lead binds admin in ops, reads the operator token: cluster-admin; staging-lead, the same in staging, nothing', () => {
    assert.deepEqual(steps('ops-lead', 'cluster-admin'), [
      ['bind-role', "ClusterRole admin's rights in namespace ops"],
      ['read-token', 'service account ops/operator'],
      ['wildcard', 'cluster-admin'],
    ]);
    const lead = human('ops-lead');
    assert.equal(
      lab.can(lead, { verb: 'create', group: RBAC_GROUP, resource: 'rolebindings', namespace: 'ops' }),
      true,
    );
    assert.equal(
      lab.can(lead, { verb: 'bind', group: RBAC_GROUP, resource: 'clusterroles', name: 'admin', namespace: 'ops' }),
      true,
    );
    assert.equal(
      lab.can(lead, { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }),
      false,
      'not by itself',
    );
    assert.equal(
      lab.can(human('ops-lead'), {
        verb: 'bind',
        group: RBAC_GROUP,
        resource: 'clusterroles',
        name: 'cluster-admin',
        namespace: 'ops',
      }),
      false,
    );
    assert.deepEqual(
      paths.filter((p) => p.from === 'staging-lead'),
      [],
    );
    assert.equal(
      lab.can(human('staging-lead'), {
        verb: 'bind',
        group: RBAC_GROUP,
        resource: 'clusterroles',
        name: 'admin',
        namespace: 'staging',
      }),
      true,
      'the decoy may bind as much, where nothing is worth it',
    );
  });

  it('ops-tuner escalates its own Role in ops; staging-tuner nothing', () => {
    assert.deepEqual(steps('ops-tuner', 'cluster-admin'), [
      ['escalate-role', 'every right in namespace ops'],
      ['read-token', 'service account ops/operator'],
      ['wildcard', 'cluster-admin'],
    ]);
    const tuner = human('ops-tuner');
    assert.equal(
      lab.can(tuner, { verb: 'escalate', group: RBAC_GROUP, resource: 'roles', namespace: 'ops', name: 'tuner' }),
      true,
    );
    assert.equal(
      lab.can(tuner, { verb: 'update', group: RBAC_GROUP, resource: 'roles', namespace: 'ops', name: 'tuner' }),
      true,
    );
    // The decoy may escalate its Role but not edit it; every right in staging would reach a node, through
    // the namespace's own labels (relabel-proxy.test.ts).
    const decoy = human('staging-tuner');
    assert.equal(
      lab.can(decoy, { verb: 'escalate', group: RBAC_GROUP, resource: 'roles', namespace: 'staging', name: 'tuner' }),
      true,
    );
    assert.equal(
      lab.can(decoy, { verb: 'update', group: RBAC_GROUP, resource: 'roles', namespace: 'staging', name: 'tuner' }),
      false,
    );
    assert.deepEqual(
      paths.filter((p) => p.from === 'staging-tuner'),
      [],
    );
  });

  it('helpdesk impersonates oncall-admin: cluster-admin; helpdesk-lite impersonates jane and developers: nothing', () => {
    assert.deepEqual(steps('helpdesk', 'cluster-admin'), [
      ['impersonate', 'user oncall-admin'],
      ['wildcard', 'cluster-admin'],
    ]);
    assert.equal(
      lab.can(human('helpdesk'), { verb: 'impersonate', group: '', resource: 'users', name: 'oncall-admin' }),
      true,
    );
    assert.equal(
      lab.can(human('helpdesk'), { verb: 'impersonate', group: '', resource: 'users', name: 'jane' }),
      false,
    );
    assert.equal(lab.can(human('oncall-admin'), { verb: '*', group: '*', resource: '*' }), true);
    assert.deepEqual(
      paths.filter((p) => p.from === 'helpdesk-lite'),
      [],
    );
    assert.equal(
      lab.can(human('helpdesk-lite'), { verb: 'impersonate', group: '', resource: 'groups', name: 'developers' }),
      true,
    );
    assert.equal(
      lab.can(
        { name: 'jane', groups: ['developers', 'system:authenticated'] },
        { verb: 'list', group: '', resource: 'secrets' },
      ),
      false,
    );
  });

  it('ops-support execs into ops/backup, which mounts the operator token; staging-support reaches view only', () => {
    assert.deepEqual(steps('ops-support', 'cluster-admin'), [
      ['exec', 'pod ops/backup'],
      ['mounted-secret', 'service account ops/operator'],
      ['wildcard', 'cluster-admin'],
    ]);
    assert.equal(
      lab.can(human('ops-support'), {
        verb: 'create',
        group: '',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'ops',
      }),
      true,
    );
    assert.equal(
      lab.can(human('ops-support'), { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }),
      false,
    );
    assert.deepEqual(
      paths.filter((p) => p.from === 'staging-support'),
      [],
    );
    assert.equal(lab.can(user('staging', 'builder'), { verb: 'list', group: '', resource: 'secrets' }), false);
  });

  it("the kubelet of lab-node-1 reads ops' Secrets as bound, and never creates pods (NodeRestriction)", () => {
    const kubelet = pathOf(paths, 'kubelet', 'cluster-admin');
    assert.deepEqual(
      kubelet?.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(kubelet!.steps[0].evidence, /RoleBinding ops\/kubelet-secrets → Role kubelet-secrets/);
    // Its own first step is never a pod it creates (later ones, as the operator, may be).
    for (const p of paths.filter((x) => x.from === 'kubelet')) {
      assert.ok(!p.steps[0].action.startsWith('create-pod'), JSON.stringify(p));
    }
    const node = { name: 'system:node:lab-node-1', groups: ['system:nodes', 'system:authenticated'] };
    assert.equal(lab.can(node, { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }), true);
    assert.equal(
      lab.can(node, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }),
      true,
      'RBAC allows; admission refuses',
    );
  });

  it('root on lab-node-1 reads the token ops/backup mounts: any pod on the node is cluster-admin', () => {
    // An identity whose survey allowed creating pods (no RBAC objects known for it): a node, then the token.
    const graph = new EscalationGraph({ ...facts, starts: [{ name: 'survey', can: { 'create pods': true } }] });
    assert.deepEqual(
      graph
        .paths()
        .find((p) => p.to === 'cluster-admin')
        ?.steps.map((s) => [s.action, s.subject]),
      [
        ['create-pod-node', 'root on node lab-node-1'],
        ['node-secrets', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
  });
});

describe('a survey’s cluster-wide create pods and Pod Security', () => {
  const survey = { name: 'survey', can: { 'create pods': true } };
  const nodePath = (f: PathFacts) =>
    new EscalationGraph({ ...f, starts: [survey] }).paths().find((p) => p.to === 'root on a node');

  it('reaches a node when a namespace read admits a privileged pod, and names it', () => {
    const steps = nodePath(facts)?.steps;
    assert.equal(steps?.[0].action, 'create-pod-node');
    assert.match(
      steps![0].evidence,
      /^SelfSubjectAccessReview of create pods allowed; namespace \S+ enforces (no Pod Security level|privileged)$/,
    );
  });

  it('reaches none when every namespace enforces baseline or restricted', () => {
    const guarded = facts.namespaces!.map((n, i) => ({ ...n, podSecurity: i % 2 ? 'baseline' : 'restricted' }));
    assert.equal(nodePath({ ...facts, namespaces: guarded }), undefined);
  });

  it('reaches one when the namespaces were not readable, or the server predates Pod Security', () => {
    assert.match(nodePath({ ...facts, namespaces: undefined })!.steps[0].evidence, /namespace labels not readable/);
    const guarded = facts.namespaces!.map((n) => ({ ...n, podSecurity: 'restricted' }));
    assert.match(
      nodePath({ ...facts, namespaces: guarded, podSecurityAdmission: false })!.steps[0].evidence,
      /predates Pod Security Admission/,
    );
  });
});

describe('attack paths from rights per namespace', () => {
  it('takes a start’s rights in single namespaces (its rules reviews there) when its RBAC is not known', async () => {
    // The ground truth: ops/operator is cluster-admin; staging/builder holds only view.
    assert.equal(lab.can(user('ops', 'operator'), { verb: '*', group: '*', resource: '*' }), true);
    assert.equal(lab.can(user('staging', 'builder'), { verb: 'list', group: '', resource: 'secrets' }), false);
    const graph = new EscalationGraph(
      await labFacts([
        { name: 'alice', namespaces: { ops: { 'create pods': true }, dev: { 'create pods': false } } },
        { name: 'bob', namespaces: { staging: { 'create pods': true, 'get secrets': false } } },
        { name: 'carol', namespaces: { dev: { 'list secrets': true } } },
        { name: 'dave', can: {}, namespaces: {} },
      ]),
    );
    const paths = graph.paths();
    const admin = pathOf(paths, 'alice', 'cluster-admin');
    assert.deepEqual(
      admin?.steps.map((s) => [s.action, s.subject]),
      [
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.match(admin.steps[0].evidence, /^create pods in namespace ops \(SelfSubjectRulesReview\)/);
    assert.equal(pathOf(paths, 'bob', 'cluster-admin'), undefined, 'pods in staging run as view-only accounts');
    // staging enforces Pod Security restricted: the pods bob may create there hold no way onto a node.
    assert.equal(pathOf(paths, 'bob', 'root on a node'), undefined);
    assert.deepEqual(
      pathOf(paths, 'alice', 'root on a node')?.steps.map((s) => [s.action, s.evidence]),
      [
        [
          'create-pod-node',
          'create pods in namespace ops (SelfSubjectRulesReview); namespace ops enforces no Pod Security level',
        ],
      ],
    );
    // Listing the Secrets of dev reads the token of dev/ci-bot, which may create pods in ops.
    assert.deepEqual(
      pathOf(paths, 'carol', 'cluster-admin')?.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.deepEqual(
      paths.filter((p) => p.from === 'dave'),
      [],
    );
  });

  it('leaves them to RBAC when the start’s own RBAC is known', async () => {
    const graph = new EscalationGraph(
      await labFacts([{ name: 'nobody', who: sa('default', 'nobody'), namespaces: { ops: { 'create pods': true } } }]),
    );
    assert.deepEqual(graph.paths(), [], 'RBAC, which grants nobody anything, decides');
  });
});
