import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import type { KfEvent } from '../../../src/core/events.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { buildReport } from '../../../src/report/model.js';
import { assertOnlyReads, huntLab, kubeconfigIdentity, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.144.4.0/24: what an identity may do in each namespace, from the namespace survey's rules
// reviews. The lab's team-a (a client certificate for user alice, so RBAC cannot tell the graph what it
// holds) is given, by a RoleBinding the test creates, the Role ops/ci-deployer: create pods in ops, where
// ops/operator is bound to cluster-admin. Its own namespace (team-a) allows no such thing.

let lab: Lab;
let hunt: LabHunt;
let dir: string;
let teamA: string;

const alice = { name: 'alice', groups: ['team-a', 'system:authenticated'] };

async function bindAliceInOps(): Promise<void> {
  const res = await fetch(
    `https://${lab.hosts[0].address}:${PORTS.apiserver}/apis/rbac.authorization.k8s.io/v1/namespaces/ops/rolebindings`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${lab.credentials.admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'alice-deploys', namespace: 'ops' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ci-deployer' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      }),
      // @ts-expect-error undici's dispatcher option: the lab's certificate is self-signed.
      dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
    },
  );
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.144.4.2', nodes: 1, etcd: 'off' });
  await bindAliceInOps();
  dir = mkdtempSync(join(tmpdir(), 'kf-namespace-rights-'));
  const identity = await kubeconfigIdentity(lab, 'team-a', dir);
  teamA = identity.name;
  hunt = await huntLab(lab, {
    hunters: apiserverHunters,
    ports: [PORTS.apiserver],
    addresses: [lab.hosts[0].address],
    // admin reads the RBAC objects the graph is built from.
    identities: [identity, tokenIdentity(lab, 'admin')],
  });
});

after(async () => {
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rights per namespace', () => {
  it('records what team-a may do in ops, from the rules review there', () => {
    assert.deepEqual(hunt.result.problems, []);
    assert.equal(lab.can(alice, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
    assert.equal(lab.can(alice, { verb: 'create', group: '', resource: 'pods', namespace: 'team-a' }), false);
    const access = hunt.access.find((a) => a.identity === teamA);
    assert.equal(access?.can['create pods'], false, 'its own namespace and cluster-wide: no');
    const ops = hunt.result.events.find(
      (e): e is KfEvent<'NamespaceAccess'> =>
        e.type === 'NamespaceAccess' && e.identity === teamA && e.namespace === 'ops',
    );
    assert.equal(ops?.can['create pods'], true);
    assert.equal(ops?.can['list secrets'], false);
    assert.equal(ops?.can['create pods/exec'], false);
    const rights = hunt.of('KF-API-006', teamA).find((f) => f.object === 'other namespaces');
    assert.match(rights?.evidence ?? '', /beyond namespace team-a .*list pods, create pods in ops\b/);
  });

  it('shows the right in the report’s access table, as a row of its own', () => {
    const report = buildReport(hunt.result);
    const row = report.access.rows.find((r) => r.check === 'create pods in namespace ops');
    assert.ok(row, report.access.rows.map((r) => r.check).join(', '));
    assert.equal(row.allowed[teamA], true);
  });

  it('gives team-a its path to cluster-admin through a pod in ops', () => {
    const [path, ...more] = hunt.of('KF-PATH-001', teamA);
    assert.ok(
      path,
      hunt.findings
        .filter((f) => f.kb.startsWith('KF-PATH'))
        .map((f) => f.object)
        .join('; '),
    );
    assert.equal(more.length, 0);
    // A client certificate's subject (CN alice, O team-a) is read by RBAC as the x509 authenticator reads it,
    // so the step rests on the RoleBinding; a start RBAC cannot name rests on its rules reviews (graph.test.ts).
    assert.match(
      path.evidence,
      /1\. create-pod-as → service account ops\/operator: create pods in namespace ops \(RoleBinding ops\/alice-deploys → Role ci-deployer\).*; 2\. wildcard → cluster-admin/,
    );
  });

  it('only reads and reviews', () => {
    assertOnlyReads(hunt);
  });
});
