import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { Identity } from '../../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { buildReport } from '../../../src/report/model.js';
import { assertNoSecrets, assertOnlyReads, createAsAdmin, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.148.1.0/24: a path computed again with rights learned later replaces the longer one. bob holds
// an opaque token (the API server's token file): nothing in it names him, so his rights are only what his
// access survey answers. A ClusterRole the test binds lets him create pods everywhere: from the survey
// alone (cluster-wide `create pods`), his way to cluster-admin is root on a node, then a cluster-admin token
// a pod there holds (3 steps); once the namespace survey knows he may create pods in each namespace, it is
// a pod that mounts a cluster-admin service account (2 steps). The report must hold the 2-step path, once.

const BOB_TOKEN = 'bob-opaque-token-0123456789abcdef';
let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({
    profile: 'default',
    base: '127.148.1.2',
    nodes: 1,
    etcd: 'off',
    staticTokens: [{ token: BOB_TOKEN, user: 'bob', groups: ['builders'] }],
  });
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await createAsAdmin(lab, `${rbac}/clusterroles`, {
    metadata: { name: 'pod-maker' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['create'] }],
  });
  await createAsAdmin(lab, `${rbac}/clusterrolebindings`, {
    metadata: { name: 'bob-makes-pods' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-maker' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
  });
  hunt = await huntLab(lab, {
    hunters: apiserverHunters,
    ports: [PORTS.apiserver],
    addresses: [lab.hosts[0].address],
    // admin reads the RBAC objects the graph is built from.
    identities: [
      new Identity('bob', 'token', undefined, { token: BOB_TOKEN, trust: { tls: 'unverified' } }),
      tokenIdentity(lab, 'admin'),
    ],
  });
});

after(async () => {
  await lab.stop();
});

describe('a shorter path learned later', () => {
  it('lets bob create pods everywhere, and knows it only from his reviews', () => {
    assert.deepEqual(hunt.result.problems, []);
    const bob = { name: 'bob', groups: ['builders', 'system:authenticated'] };
    assert.equal(lab.can(bob, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
    const access = hunt.access.find((a) => a.identity === 'bob');
    assert.equal(access?.can['create pods'], true);
    const ops = hunt.result.events.find(
      (e): e is KfEvent<'NamespaceAccess'> =>
        e.type === 'NamespaceAccess' && e.identity === 'bob' && e.namespace === 'ops',
    );
    assert.equal(ops?.can['create pods'], true);
  });

  it('holds the 2-step path to cluster-admin through a pod, once, in the events and the report', () => {
    const paths = hunt.result.events.filter(
      (e): e is KfEvent<'AttackPath'> => e.type === 'AttackPath' && e.from === 'bob' && e.to === 'cluster-admin',
    );
    assert.equal(paths.length, 1);
    // A pod in a namespace where a cluster-admin service account lives (kube-system or ops, both 2 steps).
    assert.deepEqual(
      paths[0].steps.map((s) => s.action),
      ['create-pod-as', 'wildcard'],
    );
    assert.match(paths[0].steps[0].evidence, /^create pods in namespace \S+ \(SelfSubjectRulesReview\)/);
    const [finding, ...more] = hunt.of('KF-PATH-001', 'bob');
    assert.equal(more.length, 0);
    assert.match(finding.evidence, /in 2 steps .*1\. create-pod-as → service account /);
    const report = buildReport(hunt.result);
    const shown = report.paths.filter((p) => p.from === 'bob' && p.to === 'cluster-admin');
    assert.equal(shown.length, 1);
    assert.equal(shown[0].steps.length, 2);
  });

  it('only reads and reviews, and shows no secret', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});
