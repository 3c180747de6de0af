import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { buildReport } from '../../../src/report/model.js';
import { reportSchema } from '../../../src/report/schema.js';
import { renderTable } from '../../../src/report/table.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.57.3.0/24: attack paths in a hunt of the default lab, with the lab admin's token as the
// identity that may read RBAC, and anonymous callers as a start (the multi-hop scenario of seed-paths.ts).

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.57.3.2', nodes: 1, etcd: 'off' });
  hunt = await huntLab(lab, {
    hunters: apiserverHunters,
    ports: [PORTS.apiserver],
    identities: [tokenIdentity(lab, 'admin'), tokenIdentity(lab, 'nobody')],
  });
});

after(() => lab.stop());

describe('attack paths in a hunt', () => {
  it('anonymous → token of dev/ci-bot → a pod in ops as ops/operator → cluster-admin, as a finding', () => {
    assert.deepEqual(hunt.result.problems, []);
    const [path, ...more] = hunt.of('KF-PATH-001', 'anonymous');
    assert.ok(path, 'a path to cluster-admin for anonymous');
    assert.equal(more.length, 0);
    assert.equal(path.object, 'anonymous → cluster-admin');
    assert.match(
      path.evidence,
      /^anonymous → cluster-admin in 3 steps \(computed from what admin read, not walked\): 1\. read-token → service account dev\/ci-bot: get secrets in namespace dev \(RoleBinding dev\/ci-secrets → Role ci-secrets\): token Secret dev\/ci-bot-\S+; 2\. create-pod-as → service account ops\/operator: create pods in namespace ops \(RoleBinding ops\/ci-bot → Role ci-deployer\); 3\. wildcard → cluster-admin: \* \* \(ClusterRoleBinding ops-operator → ClusterRole cluster-admin\)$/,
    );
    // The ground truth of each step.
    const ciBot = {
      name: 'system:serviceaccount:dev:ci-bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
    };
    assert.equal(lab.can('anonymous', { verb: 'get', group: '', resource: 'secrets', namespace: 'dev' }), true);
    assert.equal(lab.can(ciBot, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
    assert.equal(lab.can('anonymous', { verb: '*', group: '*', resource: '*' }), false);
  });

  it('never takes the decoy dev/ci-viewer for a way up, and finds no path for nobody', () => {
    // dev/ci-viewer's token (read by anonymous in dev) may create pods in staging: a node, never cluster-admin.
    for (const f of hunt.findings.filter((x) => x.kb === 'KF-PATH-001')) {
      assert.doesNotMatch(f.evidence, /ci-viewer|staging/, f.evidence);
    }
    assert.deepEqual(
      hunt.findings.filter((f) => f.kb.startsWith('KF-PATH-') && f.identity === 'nobody'),
      [],
    );
  });

  it('the admin is cluster-admin in one step, citing the finding that showed it', () => {
    const [path] = hunt.of('KF-PATH-001', 'admin');
    assert.match(path.evidence, /^admin → cluster-admin in 1 step .*: 1\. wildcard → cluster-admin: /);
    const shown = hunt.of('KF-API-009', 'admin')[0];
    assert.ok(path.evidence.includes(`[${shown.id}]`), 'the step cites KF-API-009');
    assert.ok(path.parents.includes(shown.id));
  });

  it('the report carries the paths: JSON steps with fingerprints of findings, numbered steps in Markdown and the table', () => {
    const report = buildReport(hunt.result);
    reportSchema.parse(report);
    const path = report.paths.find((p) => p.from === 'anonymous' && p.to === 'cluster-admin');
    assert.ok(path);
    assert.deepEqual(
      path.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    const admin = report.paths.find((p) => p.from === 'admin' && p.to === 'cluster-admin')!;
    const shown = report.findings.find((f) => f.kb === 'KF-API-009' && f.identity === 'admin')!;
    assert.deepEqual(admin.steps[0].findings, [shown.fingerprint]);
    const md = renderMarkdown(report);
    assert.match(md, /### Attack paths/);
    assert.match(md, /\*\*anonymous → cluster-admin \(3 steps, /);
    assert.match(md, /\n1\\?\. read-token → service account dev\/ci-bot: /);
    const table = renderTable(report, { color: false, quiet: false });
    assert.match(table, /attack paths \(\d+\), computed, not walked/);
    assert.match(table, /\n {4}2\. create-pod-as → service account ops\/operator: create pods in namespace ops/);
  });

  it('only reads, and shows no secret', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});
