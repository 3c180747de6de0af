import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.145.3.0/24: the further escalation steps in a hunt of the default lab (seed-paths.ts) with the
// lab admin's token as the reader: namespaces' Pod Security labels read (staging enforces restricted), a
// pod that mounts another account's token Secret (ops/backup), found tokens as starts.

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.145.3.2', nodes: 1, etcd: 'off' });
  hunt = await huntLab(lab, {
    hunters: apiserverHunters,
    ports: [PORTS.apiserver],
    identities: [tokenIdentity(lab, 'admin'), tokenIdentity(lab, 'deployer')],
  });
});

after(() => lab.stop());

describe('the further steps in a hunt', () => {
  it('reports ops/backup, which mounts the operator token Secret, and not staging/report (view only)', () => {
    assert.deepEqual(hunt.result.problems, []);
    const [backup, ...more] = hunt.of('KF-WORKLOAD-007').filter((f) => f.object === 'ops/Pod/backup');
    assert.ok(
      backup,
      hunt
        .of('KF-WORKLOAD-007')
        .map((f) => f.object)
        .join(', '),
    );
    assert.equal(more.length, 0);
    assert.match(
      backup.evidence,
      /^pod ops\/backup mounts Secret ops\/operator-token-\w+, the token of service account ops\/operator, which reaches cluster-admin in 1 step, .*: 1\. wildcard → cluster-admin: /,
    );
    assert.ok(!hunt.of('KF-WORKLOAD-007').some((f) => f.object === 'staging/Pod/report'));
  });

  it('the found token of dev/ci-viewer reaches no node: staging enforces restricted; dev/ci-bot’s does, through ops', () => {
    const found = (account: string) =>
      hunt.findings.filter((f) => f.kb.startsWith('KF-PATH-') && f.identity?.includes(`dev/${account}-token`));
    const bot = found('ci-bot').find((f) => f.kb === 'KF-PATH-002');
    assert.ok(
      bot,
      hunt.findings
        .filter((f) => f.kb.startsWith('KF-PATH-'))
        .map((f) => `${f.identity} ${f.kb}`)
        .join('\n'),
    );
    assert.match(
      bot.evidence,
      /1\. create-pod-node → root on a node: create pods in namespace ops \(RoleBinding ops\/ci-bot → Role ci-deployer\); namespace ops enforces no Pod Security level/,
    );
    // The found token is a start of its own (its requests are in the lab's log), with no path.
    assert.ok(hunt.requests.some((r) => r.identity === 'system:serviceaccount:dev:ci-viewer'));
    assert.deepEqual(
      found('ci-viewer').map((f) => f.kb),
      [],
      'pods in staging only, which admission refuses privileged',
    );
  });

  it('the deployer, allowed pods in dev, reaches cluster-admin through the ci-bot account it may mount', () => {
    const [path] = hunt.of('KF-PATH-001', 'deployer');
    assert.ok(path);
    assert.match(
      path.evidence,
      /^deployer → cluster-admin in 3 steps .*: 1\. create-pod-as → service account dev\/ci-bot: .*; 2\. create-pod-as → service account ops\/operator: .*; 3\. wildcard → cluster-admin: /,
    );
    const ciBot = {
      name: 'system:serviceaccount:dev:ci-bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
    };
    assert.equal(lab.can('deployer', { verb: 'create', group: '', resource: 'pods', namespace: 'dev' }), true);
    assert.equal(lab.can(ciBot, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
  });

  it('only reads, and shows no secret', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});
