import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OpsObject } from '../../../src/hunters/ops/objects.js';
import {
  manifestUnjudged,
  NOT_SERVED,
  opsUnjudged,
  unjudgedLine,
  unjudgedOf,
} from '../../../src/hunters/ops/unjudged.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { huntApiAs, type LabHunt } from '../lab-hunt.js';

// What the operational checks could not judge for want of reads: one line per identity and server.
// Loopback block 127.147.0.0/16 (127.147.1.0/24 here).

const node: OpsObject = { kind: 'Node', item: { metadata: { name: 'n1' } } };
const daemonSet: OpsObject = { kind: 'DaemonSet', item: { metadata: { name: 'agent', namespace: 'kube-system' } } };
const everywhere = (...kinds: string[]) => new Map(kinds.map((k) => [k, 'all namespaces']));
/** The workload kinds and HPAs, read everywhere: the lines below are about the rest. */
const WORKLOADS = ['Deployment', 'StatefulSet', 'CronJob', 'Pod', 'HorizontalPodAutoscaler'];
const deployment: OpsObject = { kind: 'Deployment', item: { metadata: { name: 'web', namespace: 'dev' } } };

describe('manifestUnjudged: what manifests without Nodes or RBAC objects keep from being judged', () => {
  const spec = { containers: [{ name: 'a', image: 'reg/a:1' }] };
  const ds: OpsObject = { kind: 'DaemonSet', item: { metadata: { name: 'agent' }, spec: { template: { spec } } } };
  const deploy: OpsObject = { kind: 'Deployment', item: { metadata: { name: 'web' }, spec: { template: { spec } } } };
  const role: OpsObject = { kind: 'ClusterRoleBinding', item: { metadata: { name: 'b' } } };

  it('without Nodes the scheduling checks, one by one, and the fit of the DaemonSets; without RBAC the watchers', () => {
    assert.equal(
      unjudgedLine(manifestUnjudged([deploy, ds, ds])),
      'not judged: the nodes (no manifest is a Node): volumes on gone nodes (KF-OPS-010), work no node can run (KF-OPS-011), ' +
        'whether the pods of 2 DaemonSets fit what is free on each node (KF-OPS-004); ' +
        'the RBAC objects (no manifest is one): whether 2 DaemonSets may list or watch pods cluster-wide (KF-OPS-014)',
    );
    assert.deepEqual(manifestUnjudged([deploy, ds, node, role]), [], 'Nodes and an RBAC object among them');
    assert.deepEqual(manifestUnjudged([role]), [], 'nothing a check places on a node');
    assert.deepEqual(
      manifestUnjudged([{ kind: 'PersistentVolume', item: {} }]).map((u) => u.checks.length),
      [2],
    );
  });

  it("a selection keeps only its checks' parts; a part left without checks goes", () => {
    const all = manifestUnjudged([deploy, ds]);
    assert.equal(
      unjudgedLine(unjudgedOf(all, new Set(['KF-OPS-004']))),
      'not judged: the nodes (no manifest is a Node): whether the pods of 1 DaemonSet fit what is free on each node (KF-OPS-004)',
    );
    assert.deepEqual(unjudgedOf(all, new Set(['KF-OPS-001'])), []);
    // A check naming several ids stays while one of them is selected.
    assert.equal(
      unjudgedOf([{ need: 'x', checks: ['agents (KF-OPS-002, KF-OPS-004)'] }], new Set(['KF-OPS-004'])).length,
      1,
    );
  });
});

describe('opsUnjudged: what was missing, and every check it kept from being judged', () => {
  it('an identity that read everything leaves nothing unjudged', () => {
    const listed = everywhere('Node', 'PersistentVolume', 'ConfigMap', 'DaemonSet', ...WORKLOADS);
    assert.deepEqual(opsUnjudged([node, daemonSet, deployment], listed, []), []);
  });

  it('kinds the server does not serve leave nothing unjudged', () => {
    const listed = new Map([
      ...everywhere('Node', 'PersistentVolume', 'ConfigMap', 'DaemonSet', ...WORKLOADS),
      ['CronJob', NOT_SERVED],
      ['HorizontalPodAutoscaler', NOT_SERVED],
    ]);
    assert.deepEqual(opsUnjudged([node, daemonSet, deployment], listed, []), []);
  });

  it('workloads read in one namespace, HPAs not at all: the checks elsewhere and the HPA check are named', () => {
    const listed = new Map([
      ...everywhere('Node', 'PersistentVolume', 'ConfigMap', 'DaemonSet', 'StatefulSet', 'CronJob'),
      ['Deployment', 'namespace dev'],
      ['Pod', 'namespace dev'],
    ]);
    assert.equal(
      unjudgedLine(opsUnjudged([node, daemonSet, deployment], listed, [])),
      'not judged: the HorizontalPodAutoscalers of every namespace (not listable): autoscaled workloads whose applied configuration sets replicas (KF-OPS-001); ' +
        'the Deployments (listed only in namespace dev), Pods (listed only in namespace dev) of every namespace: their checks outside what was read (KF-OPS-001, KF-OPS-002, KF-OPS-003, KF-OPS-005, KF-OPS-007, KF-OPS-011, KF-OPS-012, KF-OPS-013)',
    );
  });

  it('ConfigMaps and DaemonSets read in kube-system only: the Corefile is judged, the agents elsewhere are not', () => {
    const listed = new Map([
      ...everywhere('Node', 'PersistentVolume', ...WORKLOADS),
      ['ConfigMap', 'namespace kube-system'],
      ['DaemonSet', 'namespace kube-system'],
    ]);
    assert.equal(
      unjudgedLine(opsUnjudged([node, daemonSet], listed, [])),
      'not judged: the DaemonSets of every namespace (listed only in namespace kube-system): per-node agents elsewhere (KF-OPS-002, KF-OPS-004, KF-OPS-014)',
    );
  });

  it('read in its own namespace only: the DNS checks are named with where it read', () => {
    const listed = new Map([...everywhere('Node', 'PersistentVolume', ...WORKLOADS), ['ConfigMap', 'namespace dev']]);
    assert.equal(
      unjudgedLine(opsUnjudged([node], listed, [])),
      "not judged: kube-system's ConfigMaps (listed only in namespace dev): CoreDNS's Corefile (KF-OPS-006), kube-proxy's IPVS UDP timeout (KF-OPS-008); " +
        'the DaemonSets of every namespace (not listable): a node-local DNS cache in a large cluster (KF-OPS-009), per-node agents (KF-OPS-002, KF-OPS-004, KF-OPS-014)',
    );
  });

  it('an empty node list is said as such; the DaemonSets without RBAC are counted', () => {
    const listed = everywhere('Node', 'ConfigMap', 'DaemonSet', ...WORKLOADS);
    assert.equal(
      unjudgedLine(opsUnjudged([daemonSet], listed, ['clusterroles'])),
      'not judged: the nodes (the node list is empty): volumes on gone nodes (KF-OPS-010) and work no node can run (KF-OPS-011), ' +
        'whether the pods of 1 DaemonSet fit what is free on each node (KF-OPS-004); ' +
        'clusterroles (not listable): whether 1 DaemonSet may list or watch pods cluster-wide (KF-OPS-014)',
    );
  });
});

describe('an identity that may read pods in its namespace only, against the lab', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.147.1.2', nodes: 1, etcd: 'off' });
    hunt = await huntApiAs(lab, 'deployer');
  });
  after(async () => {
    await lab?.stop();
  });

  it('gets one operational-checks gap naming every check it could not judge, and no DNS finding', () => {
    const ops = hunt.gaps.filter((g) => g.subject.startsWith('operational checks ('));
    const mine = ops.filter((g) => g.subject === 'operational checks (deployer)');
    assert.equal(mine.length, 1, JSON.stringify(ops.map((g) => g.subject)));
    assert.equal(mine[0].reason, 'skipped');
    assert.match(mine[0].detail, /^not judged: the nodes \(not listable\): .*KF-OPS-011\)/);
    assert.match(
      mine[0].detail,
      /kube-system's ConfigMaps \((not listable|listed only in namespace dev)\): CoreDNS's Corefile \(KF-OPS-006\)/,
    );
    assert.match(mine[0].detail, /a node-local DNS cache in a large cluster \(KF-OPS-009\)/);
    // Every identity gets at most one such line per server.
    assert.equal(new Set(ops.map((g) => `${g.subject} ${g.port}`)).size, ops.length);
    for (const kb of ['KF-OPS-006', 'KF-OPS-008', 'KF-OPS-009']) assert.deepEqual(hunt.of(kb, 'deployer'), [], kb);
  });
});
