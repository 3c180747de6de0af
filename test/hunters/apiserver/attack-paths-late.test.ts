import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { huntApiAs, type LabHunt } from '../lab-hunt.js';

// Block 127.150.5.0/24: a token found later is a step of the identity that read it. Hunting the default lab
// as `reader` (it may list RBAC objects and pods, not Secrets nor service accounts), the graph holds no
// token Secret: anonymous's way through the token of dev/ci-bot it reads (Role dev/ci-secrets) is known
// only from the secrets it was seen reading (KF-API-008 and the found Credentials), after its first paths.

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.150.5.2', nodes: 1, etcd: 'off' });
  hunt = await huntApiAs(lab, 'reader');
});

after(() => lab.stop());

const pathsOf = (from: string) =>
  hunt.result.events.filter((e): e is KfEvent<'AttackPath'> => e.type === 'AttackPath' && e.from === from);

describe('a token read later', () => {
  it('gives anonymous the paths through the tokens it read, citing the finding that showed them', () => {
    assert.deepEqual(hunt.result.problems, []);
    const anonymous = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
    assert.equal(lab.can(anonymous, { verb: 'get', group: '', resource: 'secrets', namespace: 'dev' }), true);
    assert.equal(lab.can('reader', { verb: 'list', group: '', resource: 'secrets' }), false, 'the reader lists none');
    const [read] = hunt.of('KF-API-008', 'anonymous');
    assert.ok(read, 'anonymous was seen reading token Secrets');
    const admin = pathsOf('anonymous').filter((p) => p.to === 'cluster-admin');
    assert.equal(admin.length, 1, 'one path per goal: a recomputation replaces, never adds');
    assert.deepEqual(
      admin[0].steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    assert.ok(admin[0].steps[0].findings.includes(read.id), 'the first step cites KF-API-008');
    // The reader lists no service account: ops/operator is known from the binding that names it.
    assert.match(
      admin[0].steps[1].evidence,
      /named by ClusterRoleBinding ops-operator \(service accounts not listed\)$/,
    );
    const ciBot = { name: 'system:serviceaccount:dev:ci-bot', groups: ['system:serviceaccounts'] };
    assert.equal(lab.can(ciBot, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
    const [finding, ...more] = hunt.of('KF-PATH-001', 'anonymous');
    assert.equal(more.length, 0);
    assert.match(finding.evidence, /in 3 steps/);
  });

  it('the decoy token (dev/ci-viewer: pods in staging, whose accounts hold view) is read too and leads nowhere', () => {
    assert.ok(
      hunt.result.events.some((e) => e.type === 'Credential' && e.name.startsWith('found:dev/ci-viewer-token')),
    );
    for (const p of pathsOf('anonymous')) {
      assert.ok(
        !p.steps.some((s) => s.subject.includes('ci-viewer') || s.subject.includes('staging/')),
        JSON.stringify(p),
      );
    }
    assert.deepEqual(
      pathsOf(
        'found:' +
          hunt.result.events
            .find(
              (e): e is KfEvent<'Credential'> =>
                e.type === 'Credential' && e.name.startsWith('found:dev/ci-viewer-token'),
            )!
            .name.slice(6),
      ).filter((p) => p.to === 'cluster-admin'),
      [],
    );
  });
});
