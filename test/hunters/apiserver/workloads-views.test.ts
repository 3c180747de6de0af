import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { Identity } from '../../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { createAsAdmin, huntApiAs, huntLab, type LabHunt } from '../lab-hunt.js';

// Block 127.149.0.0/16: the operational checks of identities that share each other's reads. Pods,
// controllers, ConfigMaps, nodes and the other kinds the checks read are read once per server (the first
// complete read stands for every identity that may list them too); the checks are judged on each distinct
// view of the server, whoever read its parts. Before, an identity that used any read of another returned
// without judging: when bob (who may list the workloads but not the HPAs, nodes or volumes) read first,
// reader (who may read them all) judged nothing, and the checks bob could not judge were never judged.

const BOB_TOKEN = 'bob-opaque-token-workload-lister';
let lab: Lab;

/** reader's token, presented only once bob's workload reads have reported: bob reads first, always. */
function readerAfterBob(): AnyHunter {
  return defineHunter({
    id: 'test-reader-after-bob',
    title: "presents reader's token once bob's reads have reported a workload weakness",
    mode: 'passive',
    on: 'Finding',
    when: (f) => f.kb.startsWith('KF-WORKLOAD-'),
    subject: () => 'once',
    async hunt(_finding, ctx) {
      ctx.publish('Credential', {
        name: 'reader',
        source: 'token',
        secret: { token: lab.credentials.reader.token, trust: { tls: 'unverified' } },
      });
    },
  }) as AnyHunter;
}

const opsOf = (hunt: LabHunt) =>
  hunt.findings
    .filter((f) => f.kb.startsWith('KF-OPS-'))
    .map((f) => `${f.kb} ${f.object}`)
    .sort();
const opsGaps = (hunt: LabHunt) =>
  hunt.gaps.filter((g) => g.subject.startsWith('operational checks')).map((g) => `${g.subject}: ${g.detail}`);

before(async () => {
  lab = await startLab({
    profile: 'default',
    base: '127.149.1.2',
    nodes: 1,
    etcd: 'off',
    staticTokens: [{ token: BOB_TOKEN, user: 'bob', groups: [] }],
  });
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  await createAsAdmin(lab, `${rbac}/clusterroles`, {
    metadata: { name: 'workload-lister' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'configmaps'], verbs: ['get', 'list'] },
      { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets'], verbs: ['get', 'list'] },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get', 'list'] },
    ],
  });
  await createAsAdmin(lab, `${rbac}/clusterrolebindings`, {
    metadata: { name: 'bob-lists-workloads' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'workload-lister' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
  });
});

after(async () => {
  await lab.stop();
});

describe('the operational checks of identities that share reads', () => {
  let alone: LabHunt;
  let both: LabHunt;
  before(async () => {
    alone = await huntApiAs(lab, 'reader');
    both = await huntLab(lab, {
      hunters: [readerAfterBob(), ...apiserverHunters],
      ports: [PORTS.apiserver],
      addresses: [lab.hosts[0].address],
      identities: [new Identity('bob', 'token', undefined, { token: BOB_TOKEN, trust: { tls: 'unverified' } })],
    });
  });

  it('judges every check reader can judge, though bob read the workloads first', () => {
    assert.deepEqual(both.result.problems, []);
    assert.ok(
      both.access.some((a) => a.identity === 'reader'),
      'reader was bound and surveyed',
    );
    const expected = opsOf(alone);
    // The lab seeds all nine situations: the ones on HPAs, nodes and volumes need reader's rights.
    for (const kb of ['KF-OPS-001', 'KF-OPS-004', 'KF-OPS-010', 'KF-OPS-011']) {
      assert.ok(
        expected.some((f) => f.startsWith(`${kb} `)),
        `${kb} as reader alone`,
      );
    }
    assert.deepEqual(opsOf(both), expected);
  });

  it("names what bob could not read, and reader's view leaves nothing unjudged", () => {
    assert.deepEqual(
      opsGaps(alone).filter((g) => !g.startsWith('operational checks (found:')),
      [],
    );
    // (Found tokens are identities too, with views of their own: only bob's and reader's are asked about.)
    const [bob, ...more] = opsGaps(both).filter((g) => !g.startsWith('operational checks (found:'));
    assert.deepEqual(more, [], 'one line for bob, none for reader');
    assert.match(bob, /^operational checks \(bob\): /);
    for (const missing of [
      /the HorizontalPodAutoscalers of every namespace \(not listable\): .*KF-OPS-001/,
      /the nodes \(not listable\): .*KF-OPS-010/,
    ]) {
      assert.match(bob, missing);
    }
  });

  it('reads the workloads once: reader only shows, with one object, that it may list them', () => {
    const lists = (who: string, resource: string) =>
      both.requests.filter(
        (r) =>
          r.identity === who &&
          r.method === 'GET' &&
          // Full objects, not the access survey's one page of Table rows.
          !r.accept?.includes('as=Table') &&
          new RegExp(`/${resource}\\?limit=(\\d+)`).test(r.path) &&
          !r.path.includes('limit=1&') &&
          !r.path.endsWith('limit=1'),
      ).length;
    const reader = 'system:serviceaccount:default:reader';
    for (const resource of ['pods', 'deployments', 'daemonsets', 'configmaps']) {
      assert.ok(lists('bob', resource) > 0, `bob read ${resource}`);
      assert.equal(
        lists(reader, resource),
        0,
        `reader did not read ${resource} again: ${both.requests.filter((r) => r.identity === reader && r.path.includes(resource)).map((r) => r.path)}`,
      );
    }
    assert.ok(lists(reader, 'nodes') > 0, 'reader read the nodes bob may not list');
  });
});

describe('identities whose views are the same reads', () => {
  it('are judged once: the second says whose judging stands for it', async () => {
    const debug: string[] = [];
    const token = (name: 'reader' | 'admin') =>
      new Identity(name, 'token', undefined, { token: lab.credentials[name].token, trust: { tls: 'unverified' } });
    const hunt = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      addresses: [lab.hosts[0].address],
      identities: [token('reader'), token('admin')],
      hooks: { onDebug: (line) => debug.push(line) },
    });
    assert.deepEqual(hunt.result.problems, []);
    const once = debug.filter((l) => /operational checks judged on the same reads as/.test(l));
    assert.equal(once.length, 1, once.join('\n'));
    assert.match(once[0], /: (reader|admin): operational checks judged on the same reads as (admin|reader)'s$/);
    assert.deepEqual(opsOf(hunt), opsOf(await huntApiAs(lab, 'reader')));
  });
});
