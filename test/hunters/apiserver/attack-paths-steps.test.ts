import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Identity } from '../../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { call } from '../../lab/call.js';
import {
  assertNoSecrets,
  assertOnlyReads,
  huntApiAs,
  huntLab,
  kubeconfigIdentity,
  type LabHunt,
  tokenIdentity,
} from '../lab-hunt.js';

// Block 127.145.3.0/24: the further escalation steps in a hunt of the default lab (seed-paths.ts) with the
// lab admin's token as the reader: namespaces' Pod Security labels read (staging enforces restricted), a
// pod that mounts another account's token Secret (ops/backup), found tokens as starts. Then client
// certificates as starts (127.145.3.20, the vulnerable lab): the kubelet's own, taken from its node's disk,
// kubernetes-admin's (system:masters) and jane's (developers).

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

describe('client certificates as starts: their subject is who the server takes them for', () => {
  let vulnerable: Lab;
  let certs: LabHunt;
  let dir: string;

  before(async () => {
    vulnerable = await startLab({ profile: 'vulnerable', base: '127.145.3.20', nodes: 1, etcd: 'off' });
    dir = await mkdtemp(join(tmpdir(), 'kf-paths-'));
    // Root on lab-node-1 (the vulnerable kubelet runs commands in default/debug-tools, the host's / at /host).
    const node = `https://${vulnerable.hosts[1].address}:${PORTS.kubelet}`;
    const cmd = encodeURIComponent('cat /host/var/lib/kubelet/pki/kubelet-client-current.pem');
    const pem = (await call(`${node}/run/default/debug-tools/shell?cmd=${cmd}`, { method: 'POST' })).text;
    const blocks = pem.match(/-----BEGIN [^-]+-----[^-]+-----END [^-]+-----\n?/g) ?? [];
    const clientCert = blocks.find((b) => b.includes('CERTIFICATE'));
    const clientKey = blocks.find((b) => b.includes('PRIVATE KEY'));
    assert.ok(clientCert && clientKey, pem.slice(0, 200));
    const kubelet = new Identity('kubelet', 'found', undefined, {
      clientCert,
      clientKey,
      trust: { tls: 'unverified' },
    });
    certs = await huntLab(vulnerable, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      identities: [
        kubelet,
        await kubeconfigIdentity(vulnerable, 'kubernetes-admin', dir),
        await kubeconfigIdentity(vulnerable, 'jane', dir),
      ],
    });
  });

  after(async () => {
    await vulnerable.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the kubelet's certificate: system:node:lab-node-1, reading ops' Secrets, never creating a pod", () => {
    const [path] = certs.of('KF-PATH-001', 'kubelet');
    assert.ok(
      path,
      certs.findings
        .filter((f) => f.kb.startsWith('KF-PATH'))
        .map((f) => `${f.identity} ${f.object}`)
        .join('\n'),
    );
    assert.match(
      path.evidence,
      /^kubelet → cluster-admin in 2 steps .*: 1\. read-token → service account ops\/operator: get secrets in namespace ops \(RoleBinding ops\/kubelet-secrets → Role kubelet-secrets\): token Secret ops\/operator-token-\w+; 2\. wildcard → /,
    );
    for (const f of certs.findings.filter((x) => x.kb.startsWith('KF-PATH-') && x.identity === 'kubelet')) {
      assert.doesNotMatch(f.evidence, /: 1\. create-pod/, 'NodeRestriction: its own pods mount nothing');
    }
  });

  it('kubernetes-admin is cluster-admin through system:masters; jane (developers, view) reaches nothing', () => {
    const [admin] = certs.of('KF-PATH-001', 'kubernetes-admin@lab');
    assert.ok(admin);
    assert.match(admin.evidence, /1\. wildcard → cluster-admin: in group system:masters, which bypasses authorization/);
    assert.deepEqual(
      certs.findings.filter((f) => f.kb.startsWith('KF-PATH-') && f.identity === 'jane@lab').map((f) => f.object),
      [],
    );
  });
});

describe('a reader that may not list namespaces', () => {
  let quiet: Lab;
  let blind: LabHunt;

  before(async () => {
    quiet = await startLab({ profile: 'default', base: '127.145.3.40', nodes: 1, etcd: 'off' });
    // default/nobody gets every read the graph needs except namespaces.
    const admin = quiet.credentials.admin.token!;
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'graph-reader' },
      rules: [
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'],
          verbs: ['get', 'list'],
        },
        { apiGroups: [''], resources: ['serviceaccounts', 'pods', 'secrets'], verbs: ['get', 'list'] },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'graph-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'graph-reader' },
      subjects: [{ kind: 'ServiceAccount', namespace: 'default', name: 'nobody' }],
    };
    for (const [path, body] of [
      ['clusterroles', role],
      ['clusterrolebindings', binding],
    ] as const) {
      const res = await call(`${quiet.apiServer}/apis/rbac.authorization.k8s.io/v1/${path}`, {
        method: 'POST',
        body,
        token: admin,
      });
      assert.equal(res.status, 201, res.text);
    }
    blind = await huntApiAs(quiet, 'nobody');
  });

  after(() => quiet.stop());

  it('says so as a gap, and a pod then counts as reaching a node, the step saying it is assumed', () => {
    const nobody = { name: 'system:serviceaccount:default:nobody', groups: ['system:authenticated'] };
    assert.equal(quiet.can(nobody, { verb: 'list', group: '', resource: 'namespaces' }), false);
    const gap = blind.gaps.find(
      (g) => g.hunter === 'apiserver-attack-paths' && g.subject === 'list namespaces (nobody)',
    );
    assert.ok(gap, blind.gaps.map((g) => `${g.hunter} ${g.subject}`).join('\n'));
    assert.equal(gap.reason, 'skipped');
    const [node] = blind.of('KF-PATH-002', 'anonymous');
    assert.ok(
      node,
      blind.findings
        .filter((f) => f.kb.startsWith('KF-PATH'))
        .map((f) => f.evidence)
        .join('\n'),
    );
    assert.match(
      node.evidence,
      /2\. create-pod-node → root on a node: create pods in namespace \w+ .*; namespace labels not readable: assumed to admit it$/,
    );
  });
});
