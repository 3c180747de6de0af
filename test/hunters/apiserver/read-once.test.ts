import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anonymousAccessHunter } from '../../../src/hunters/apiserver/anonymous.js';
import { bindCredentialHunter, bindServerHunter } from '../../../src/hunters/apiserver/bind-credentials.js';
import { credentialAccessHunter } from '../../../src/hunters/apiserver/credential-access.js';
import { insecurePortHunter } from '../../../src/hunters/apiserver/insecure-port.js';
import { workloadsHunter } from '../../../src/hunters/apiserver/workloads.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.144.5.0/24: workloads read once per API server. In the vulnerable lab the insecure port and
// anonymous callers may both list everything; in the default lab the deployer may list the pods of dev
// only, the reader those of every namespace.

// The identities' access surveys and the workloads hunter: the attack-path and secrets hunters read pods
// for their graph with each reader of RBAC, which is theirs to share (not yet).
const hunters = [
  insecurePortHunter,
  anonymousAccessHunter,
  bindCredentialHunter,
  bindServerHunter,
  credentialAccessHunter,
  workloadsHunter,
];

/** Who the lab answered each full read (pages of 250 objects) of `path` for. */
const fullReaders = (hunt: LabHunt, path: string) =>
  [
    ...new Set(
      hunt.requests.filter((r) => r.status === 200 && r.path.startsWith(`${path}?limit=250`)).map((r) => r.identity),
    ),
  ].sort();
const oneObjectReaders = (hunt: LabHunt, path: string) =>
  [...new Set(hunt.requests.filter((r) => r.path === `${path}?limit=1`).map((r) => r.identity))].sort();

describe('two identities that may read every workload', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.144.5.2', nodes: 1, etcd: 'off' });
    hunt = await huntLab(lab, {
      hunters,
      ports: [PORTS.apiserverInsecure, PORTS.apiserver],
      addresses: [lab.hosts[0].address],
    });
  });

  after(() => lab.stop());

  it('read each resource in full once; the other identity lists one object to show it may', () => {
    const readers = hunt.access.filter((a) => a.can['list pods']).map((a) => a.identity);
    assert.deepEqual(readers.sort(), ['anonymous', 'insecure-port']);
    for (const path of [
      '/api/v1/pods',
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/daemonsets',
      '/api/v1/configmaps',
    ]) {
      const full = fullReaders(hunt, path);
      assert.equal(full.length, 1, `${path} read in full by ${full.join(', ')}`);
      const shown = oneObjectReaders(hunt, path);
      assert.equal(shown.length, 1, `${path}: one object listed by ${shown.join(', ')}`);
      assert.notEqual(shown[0], full[0]);
    }
  });

  it('still reports every workload weakness of the lab', () => {
    // The vulnerable lab's privileged pod and its credential in plain sight, read once.
    assert.ok(hunt.of('KF-WORKLOAD-001').length > 0, 'a privileged workload');
    assert.ok(hunt.of('KF-WORKLOAD-006').length > 0, 'a credential in plain sight');
    assertOnlyReads(hunt);
  });
});

describe('an identity that read one namespace only', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.144.5.20', nodes: 1, etcd: 'off' });
    hunt = await huntLab(lab, {
      hunters,
      ports: [PORTS.apiserver],
      addresses: [lab.hosts[0].address],
      identities: [tokenIdentity(lab, 'deployer'), tokenIdentity(lab, 'reader')],
    });
  });

  after(() => lab.stop());

  it('does not spare another identity its read of every namespace', () => {
    assert.deepEqual(hunt.result.problems, []);
    assert.equal(lab.can('deployer', { verb: 'list', group: '', resource: 'pods' }), false);
    assert.equal(lab.can('deployer', { verb: 'list', group: '', resource: 'pods', namespace: 'dev' }), true);
    const reader = lab.credentials.reader.user;
    // Whichever ran first, the reader read every namespace's pods itself: the deployer's read of dev
    // stands for nobody else.
    assert.deepEqual(fullReaders(hunt, '/api/v1/pods'), [reader]);
  });
});
