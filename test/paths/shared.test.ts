import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { PATH_USERS } from '../../src/lab/seed-paths.js';
import { EscalationGraph, type PathFacts, type StartFact } from '../../src/paths/graph.js';
import { ANONYMOUS, serviceAccountWho } from '../../src/paths/rbac.js';
import { labFacts } from '../helpers/lab-facts.js';

// Block 127.150.1.0/24: one graph per server and reader serves every start (graph.paths(starts)), with the
// same paths as a graph built for those starts alone, whatever the order the starts come in.

let lab: Lab;
let facts: PathFacts;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.150.1.2', nodes: 1, etcd: 'off' });
  facts = await labFacts(lab, []);
});

after(() => lab.stop());

const fresh = (starts: StartFact[]) => new EscalationGraph({ ...facts, starts }).paths();
const who = (name: string) => ({ user: name, groups: ['system:authenticated'] });
/** A user as the lab's authorizer takes it. */
const asLab = (name: string) => ({ name, groups: ['system:authenticated'] });
const accountAsLab = (ns: string, name: string) => {
  const w = serviceAccountWho(ns, name);
  return { name: w.user, groups: w.groups };
};

describe('one graph for every start', () => {
  it('gives each batch of starts the paths a graph built for them alone gives', () => {
    // The ground truth the paths below rest on: helpdesk may impersonate oncall-admin, a cluster-admin.
    assert.equal(
      lab.can(asLab(PATH_USERS.helpdesk), { verb: 'impersonate', group: '', resource: 'users', name: 'oncall-admin' }),
      true,
    );
    assert.equal(lab.can(asLab(PATH_USERS.oncallAdmin), { verb: '*', group: '*', resource: '*' }), true);
    const shared = new EscalationGraph({ ...facts, starts: [] });
    const ranked = shared.rankTokens();
    const batches: StartFact[][] = [
      [{ name: 'anonymous', who: ANONYMOUS }],
      // Survey answers only: reaches hubs every graph has, so the searches already made are kept.
      [{ name: 'alice', namespaces: { ops: { 'create pods': true } } }],
      // Reaches identities nobody had reached (a user through impersonation): the searches are redone.
      [
        { name: 'helpdesk', who: who(PATH_USERS.helpdesk) },
        { name: 'deployer', who: serviceAccountWho('dev', 'deployer') },
      ],
      [{ name: 'lite', who: who(PATH_USERS.helpdeskLite) }],
    ];
    let some = 0;
    for (const starts of batches) {
      const paths = shared.paths(starts);
      assert.deepEqual(paths, fresh(starts), starts.map((s) => s.name).join(', '));
      some += paths.length;
    }
    assert.ok(some >= 6, `the batches hold paths (${some})`);
    assert.ok(
      shared.paths([{ name: 'helpdesk', who: who(PATH_USERS.helpdesk) }]).some((p) => p.to === 'cluster-admin'),
      'helpdesk → oncall-admin → cluster-admin',
    );
    assert.deepEqual(shared.paths([{ name: 'lite', who: who(PATH_USERS.helpdeskLite) }]), [], 'the decoy: nothing');
    // The starts' edges leave every other node's distance as it was: the ranking does not move.
    assert.deepEqual(shared.rankTokens(), ranked);
  });

  it('makes a start again from what is known of it now: rights learned later replace the earlier', () => {
    // ops/operator is cluster-admin; dev/ci-bot may create pods in ops (the lab's multi-hop scenario).
    assert.equal(
      lab.can(accountAsLab('dev', 'ci-bot'), { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }),
      true,
    );
    const shared = new EscalationGraph({ ...facts, starts: [] });
    const before: StartFact = { name: 'bob', namespaces: { staging: { 'create pods': true } } };
    assert.deepEqual(shared.paths([before]), fresh([before]));
    assert.equal(
      shared.paths([before]).find((p) => p.to === 'cluster-admin'),
      undefined,
      'pods in staging run as view-only accounts',
    );
    const later: StartFact = {
      name: 'bob',
      namespaces: { staging: { 'create pods': true }, dev: { 'list secrets': true } },
    };
    const paths = shared.paths([later]);
    assert.deepEqual(paths, fresh([later]));
    assert.deepEqual(
      paths.find((p) => p.to === 'cluster-admin')?.steps.map((s) => [s.action, s.subject]),
      [
        ['read-token', 'service account dev/ci-bot'],
        ['create-pod-as', 'service account ops/operator'],
        ['wildcard', 'cluster-admin'],
      ],
    );
    // And back: what a start no longer says is no longer an edge.
    assert.deepEqual(shared.paths([before]), fresh([before]));
  });
});
