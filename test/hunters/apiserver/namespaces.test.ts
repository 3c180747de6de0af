import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.120.0.0/16: every identity surveyed in every namespace the hunt knows (127.120.1.0/24), and the
// same hunt with a budget of two namespaces per identity (127.120.2.0/24).

describe('every namespace, not only one’s own', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.120.1.2', nodes: 1, etcd: 'off' });
    hunt = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      identities: [tokenIdentity(lab, 'admin'), tokenIdentity(lab, 'nobody')],
    });
  });

  after(() => lab.stop());

  it('anonymous reads the Secrets of dev, which it may, and of no namespace it may not', () => {
    assert.deepEqual(hunt.result.problems, []);
    // The ground truth: anonymous may list the Secrets of dev only.
    assert.equal(lab.can('anonymous', { verb: 'list', group: '', resource: 'secrets', namespace: 'dev' }), true);
    assert.equal(lab.can('anonymous', { verb: 'list', group: '', resource: 'secrets', namespace: 'default' }), false);
    assert.equal(lab.can('anonymous', { verb: 'list', group: '', resource: 'secrets', namespace: 'ops' }), false);
    const [listed, ...more] = hunt.of('KF-API-007', 'anonymous');
    assert.ok(listed, 'anonymous listed Secrets');
    assert.equal(more.length, 0);
    assert.equal(listed.object, 'namespace dev');
    assert.match(listed.evidence, /^anonymous listed \d+ secrets in 1 namespace \(namespace dev\): /);
    const [tokens] = hunt.of('KF-API-008', 'anonymous');
    assert.ok(tokens, 'anonymous can read token Secrets');
    assert.match(tokens.evidence, /dev\/ci-bot-\S+ \(service account ci-bot\)/);
    assert.match(tokens.evidence, /read to hunt with their tokens in turn/);
    assert.doesNotMatch(tokens.evidence, /ops\/|staging\//);
  });

  it('follows dev/ci-bot’s token as a found credential, which may create pods in ops', () => {
    const ciBot = hunt.access.find((a) => /^found:dev\/ci-bot-/.test(a.identity));
    assert.ok(ciBot, `an ApiAccess for the token of dev/ci-bot: ${hunt.access.map((a) => a.identity).join(', ')}`);
    const sa = {
      name: 'system:serviceaccount:dev:ci-bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:dev', 'system:authenticated'],
    };
    assert.equal(lab.can(sa, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }), true);
  });

  it('surveys dev/ci-bot’s token, which arrived after the hunt settled, in every namespace in turn', () => {
    const ciBot = hunt.access.find((a) => /^found:dev\/ci-bot-/.test(a.identity))!;
    const ops = hunt.result.events.find(
      (e): e is KfEvent<'NamespaceAccess'> =>
        e.type === 'NamespaceAccess' && e.identity === ciBot.identity && e.namespace === 'ops',
    );
    assert.equal(ops?.publisher, 'apiserver-namespaces-late');
    assert.equal(ops?.can['create pods'], true, 'Role ops/ci-deployer');
    assert.equal(ops?.can['list secrets'], false);
  });

  it('nobody, who may read no Secret anywhere, reads none', () => {
    assert.deepEqual(hunt.of('KF-API-007', 'nobody'), []);
    assert.deepEqual(
      hunt.gaps.filter((g) => g.hunter === 'apiserver-namespaces'),
      [],
      'no namespace left out under the default budget',
    );
  });

  it('only reads and reviews, and shows no secret', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});

describe('the namespace budget', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.120.2.2', nodes: 1, etcd: 'off' });
    hunt = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      identities: [tokenIdentity(lab, 'admin')],
      config: { extra: { namespaceBudget: 2 } },
    });
  });

  after(() => lab.stop());

  it('surveys two namespaces per identity and reports the rest as a budget gap', () => {
    const gaps = hunt.gaps.filter((g) => g.hunter === 'apiserver-namespaces' && g.subject.includes('(anonymous)'));
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0].reason, 'budget');
    assert.match(gaps[0].detail, /^2 of \d+ namespaces surveyed \(at most 2 per identity\); not: /);
    // The namespaces left out were never asked about by anonymous.
    const left = /; not: (.*)$/.exec(gaps[0].detail)![1].replace(/, …$/, '').split(', ');
    assert.ok(left.length > 0);
    for (const ns of left) {
      const asked = hunt.requests.filter(
        (r) => r.identity === 'system:anonymous' && r.path.startsWith(`/api/v1/namespaces/${ns}/`),
      );
      assert.deepEqual(asked, [], `namespace ${ns}`);
    }
  });
});
