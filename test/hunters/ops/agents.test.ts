import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import {
  CRASH_LOOP_PULLS_PER_HOUR,
  crowdingAgents,
  Fleet,
  MANY_REPLICAS,
  podRequests,
  pullStampedes,
  watchingAgents,
} from '../../../src/hunters/ops/agents.js';
import { opsFindings } from '../../../src/hunters/ops/checks.js';
import type { OpsObject } from '../../../src/hunters/ops/objects.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { CRASH_RESTARTS, STOREFRONT_REPLICAS } from '../../../src/lab/seed-ops-agents.js';
import { serviceAccountUser } from '../../../src/lab/users.js';
import {
  assertNoSecrets,
  assertOnlyReads,
  createAsAdmin,
  huntApiAs,
  huntLab,
  kubeconfigIdentity,
  type LabHunt,
} from '../lab-hunt.js';

// Block 127.142.0.0/16: the per-node agents and large fleets (issue 17, situations 2, 3 and 4): pure on
// objects, then live through the API against the lab's seeded situations and their decoys
// (src/lab/seed-ops-agents.ts), as the reader.

const HOUR = 3_600_000;
const NOW = Date.parse('2026-01-10T12:00:00Z');
const ago = (hours: number) => new Date(NOW - hours * HOUR).toISOString();

// biome-ignore lint/suspicious/noExplicitAny: objects as a server or a manifest may hold anything
const obj = (kind: string, name: string, rest: Record<string, any> = {}): OpsObject => ({
  kind,
  item: { ...rest, metadata: { name, namespace: 'ns', ...rest.metadata } } as OpsObject['item'],
});
const container = (image: string, cpu?: string, extra: object = {}) => ({
  name: 'c',
  image,
  ...(cpu && { resources: { requests: { cpu, memory: '100Mi' } } }),
  ...extra,
});
const daemonSet = (name: string, spec: object, nodes = 3) =>
  obj('DaemonSet', name, { spec: { template: { spec } }, status: { desiredNumberScheduled: nodes } });
const podOf = (
  owner: { kind: string; name: string },
  name: string,
  status: object,
  spec: object = { containers: [container('x')] },
  labels?: Record<string, string>,
) =>
  obj('Pod', name, {
    metadata: { ownerReferences: [{ kind: owner.kind, name: owner.name, controller: true }], labels },
    spec,
    status,
  });
const node = (name: string, cpu: string, extra: { labels?: object; taints?: object[]; pods?: string } = {}) => ({
  kind: 'Node',
  item: {
    metadata: { name, labels: extra.labels ?? {} },
    spec: { taints: extra.taints ?? [] },
    status: { allocatable: { cpu, memory: '8Gi', pods: extra.pods ?? '110' } },
  },
});

describe('requests as the scheduler adds them up', () => {
  it('containers and sidecars together, or the largest one-off init container, plus the overhead', () => {
    assert.deepEqual(
      podRequests({
        containers: [container('a', '500m'), container('b', '250m')],
        initContainers: [
          { name: 'migrate', image: 'm', resources: { requests: { cpu: '2' } } },
          { name: 'proxy', image: 'p', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
        ],
        overhead: { cpu: '10m' },
      }),
      { cpu: 2010, memory: 200 * 1024 ** 2, pods: 1 },
    );
    assert.deepEqual(podRequests(undefined), { cpu: 0, memory: 0, pods: 1 });
    // Garbage is read as no request, not as a number.
    assert.deepEqual(podRequests({ containers: [{ name: 'x', resources: { requests: { cpu: 'lots' } } }] } as never), {
      cpu: 0,
      memory: 0,
      pods: 1,
    });
  });
});

describe('pull stampedes (KF-OPS-002)', () => {
  it("estimates pulls per hour from each pod's restarts since it started, and the crash-looping ceiling", () => {
    const ds = daemonSet('shipper', { containers: [container('reg/shipper:latest')] });
    const looping = { waiting: { reason: 'CrashLoopBackOff' } };
    const pods = [
      // 48 restarts in 4 hours, 10 in 10 hours, none: 12 + 1 + 0 = 13 pulls an hour.
      podOf(ds.item.metadata as never, 'shipper-a', {
        startTime: ago(4),
        containerStatuses: [{ name: 'c', restartCount: 48, state: looping }],
      }),
      podOf(ds.item.metadata as never, 'shipper-b', { startTime: ago(10), containerStatuses: [{ restartCount: 10 }] }),
      podOf(ds.item.metadata as never, 'shipper-c', { startTime: ago(1), containerStatuses: [{ restartCount: 0 }] }),
    ].map((p) => ({
      ...p,
      item: { ...p.item, metadata: { ...p.item.metadata, ownerReferences: [{ kind: 'DaemonSet', name: 'shipper' }] } },
    }));
    const other = podOf({ kind: 'DaemonSet', name: 'other' }, 'other-a', {
      startTime: ago(1),
      containerStatuses: [{ restartCount: 500 }],
    });
    const [f, ...rest] = pullStampedes(new Fleet([ds, ...pods, other]), NOW);
    assert.deepEqual(rest, []);
    assert.equal(f.where, 'ns/DaemonSet/shipper');
    assert.equal(
      f.detail,
      'container c: image reg/shipper:latest (policy defaults to Always); runs on 3 nodes, so each rollout is 3 pulls at once; ' +
        `58 restarts across 3 pods, each a pull: about 13 pulls/hour; 1 pod in CrashLoopBackOff, up to ${CRASH_LOOP_PULLS_PER_HOUR} × 1 = 12 pulls/hour at the 5-minute back-off ceiling`,
    );
  });

  it(`Deployments and StatefulSets of ${MANY_REPLICAS} replicas or more, with their ReplicaSets' pods; not fewer, not pinned`, () => {
    const deploy = (name: string, replicas: number, image: string, kind = 'Deployment') =>
      obj(kind, name, { spec: { replicas, template: { spec: { containers: [container(image)] } } } });
    const objects = [
      deploy('web-shop', MANY_REPLICAS, 'reg/web'),
      deploy('db', 80, 'reg/db:latest', 'StatefulSet'),
      deploy('small', MANY_REPLICAS - 1, 'reg/small:latest'),
      deploy('pinned', 200, 'reg/pinned:1.2.3'),
      // A pod of web-shop's ReplicaSet (web-shop-<pod-template-hash>) is the Deployment's; one of web's is not.
      podOf({ kind: 'ReplicaSet', name: 'web-shop-5d8f7c' }, 'web-shop-5d8f7c-x', {
        startTime: ago(2),
        containerStatuses: [{ restartCount: 6 }],
      }),
      podOf({ kind: 'ReplicaSet', name: 'web-7c9d' }, 'web-7c9d-y', {
        startTime: ago(1),
        containerStatuses: [{ restartCount: 9 }],
      }),
    ];
    const found = pullStampedes(new Fleet(objects), NOW);
    assert.deepEqual(
      found.map((f) => f.where),
      ['ns/Deployment/web-shop', 'ns/StatefulSet/db'],
    );
    assert.match(
      found[0].detail,
      /untagged image reg\/web .*; 50 replicas \(50 or more\), so each rollout is 50 pulls; 6 restarts across 1 pod, each a pull: about 3 pulls\/hour$/,
    );
    assert.doesNotMatch(found[1].detail, /restart/);
  });
});

describe('per-node agents that watch the whole cluster (KF-OPS-014)', () => {
  const rbac = (kind: string, name: string, rest: object, namespace?: string): OpsObject => ({
    kind,
    item: { metadata: { name, ...(namespace && { namespace }) }, ...rest } as OpsObject['item'],
  });
  const role = (kind: string, name: string, verbs: string[], resources = ['pods'], namespace?: string) =>
    rbac(kind, name, { rules: [{ apiGroups: [''], resources, verbs }] }, namespace);
  const bind = (kind: string, name: string, roleKind: string, subject: object, namespace?: string) =>
    rbac(kind, name, { roleRef: { kind: roleKind, name }, subjects: [subject] }, namespace);
  const sa = (name: string) => ({ kind: 'ServiceAccount', name, namespace: 'ns' });
  const agent = (name: string) => daemonSet(name, { serviceAccountName: name, containers: [container('reg/a:1')] }, 4);
  const pods = Array.from({ length: 25 }, (_, i) => obj('Pod', `p${i}`, { spec: {} }));

  it('a ClusterRoleBinding to list or watch pods (or *) is cluster-wide; get only, or RoleBindings in every namespace, is not', () => {
    const objects = [
      agent('watcher'),
      role('ClusterRole', 'watcher', ['list', 'watch']),
      bind('ClusterRoleBinding', 'watcher', 'ClusterRole', sa('watcher')),
      agent('star'),
      role('ClusterRole', 'star', ['*'], ['*']),
      bind('ClusterRoleBinding', 'star', 'ClusterRole', sa('star')),
      // Every service account in the namespace, through its group.
      obj('DaemonSet', 'grouped', {
        metadata: { namespace: 'agents' },
        spec: { template: { spec: { containers: [container('reg/a:1')] } } },
      }),
      role('ClusterRole', 'grouped', ['watch']),
      bind('ClusterRoleBinding', 'grouped', 'ClusterRole', { kind: 'Group', name: 'system:serviceaccounts:agents' }),
      agent('getter'),
      role('ClusterRole', 'getter', ['get']),
      bind('ClusterRoleBinding', 'getter', 'ClusterRole', sa('getter')),
      agent('local'),
      role('ClusterRole', 'local', ['list', 'watch']),
      bind('RoleBinding', 'local', 'ClusterRole', sa('local'), 'ns'),
      bind('RoleBinding', 'local', 'ClusterRole', sa('local'), 'other'),
      ...pods,
    ];
    const found = watchingAgents(new Fleet(objects));
    assert.deepEqual(
      found.map((f) => f.where),
      ['ns/DaemonSet/watcher', 'ns/DaemonSet/star', 'agents/DaemonSet/grouped'],
    );
    assert.equal(
      found[0].detail,
      'runs as service account ns/watcher, which may list and watch pods in every namespace ' +
        '(ClusterRoleBinding watcher → ClusterRole watcher); 4 nodes × 25 pods read = 100 pod objects per relist of every agent, and every pod change sent to 4 watchers',
    );
    assert.match(
      found[2].detail,
      /^runs as service account agents\/default, which may watch pods in every namespace \(ClusterRoleBinding grouped → ClusterRole grouped\)$/,
    );
    assert.deepEqual(found[0].field, ['spec', 'template', 'spec', 'serviceAccountName']);
  });

  it('without RBAC objects nothing is judged, and that is said; the RBAC read live is used when given', () => {
    const fleet = new Fleet([agent('watcher')]);
    assert.deepEqual(watchingAgents(fleet), []);
    const live = opsFindings([agent('watcher')], 'live', {
      rbac: {
        roles: [],
        roleBindings: [],
        clusterRoles: [{ metadata: { name: 'w' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] }],
        clusterRoleBindings: [
          {
            metadata: { name: 'w' },
            roleRef: { apiGroup: '', kind: 'ClusterRole', name: 'w' },
            subjects: [sa('watcher')],
          },
        ],
      },
    });
    assert.deepEqual(
      live.filter((f) => f.kb === 'KF-OPS-014').map((f) => f.where),
      ['ns/DaemonSet/watcher'],
    );
  });
});

describe('DaemonSets that do not fit what is free on a node (KF-OPS-004)', () => {
  const ds = (name: string, cpu: string, extra: object = {}) =>
    daemonSet(name, { containers: [container('reg/a:1', cpu)], ...extra });
  const bound = (name: string, nodeName: string, cpu: string, status: object = { phase: 'Running' }) =>
    obj('Pod', name, { spec: { nodeName, containers: [container('reg/app:1', cpu)] }, status });

  it('allocatable minus the requests bound to each node, its own pod counting as free; taints and selectors say where it may run', () => {
    const objects = [
      node('n1', '4', { labels: { 'kubernetes.io/hostname': 'n1' } }),
      node('n2', '4'),
      node('tainted', '1', { taints: [{ key: 'gpu', value: 'yes', effect: 'NoSchedule' }] }),
      node('cordoned', '1', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
      bound('app-1', 'n1', '2'),
      bound('done', 'n2', '4', { phase: 'Succeeded' }),
      ds('big', '1500m'),
      ds('small', '500m'),
      ds('tolerant', '1500m', { tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
      ds('elsewhere', '1500m', { nodeSelector: { pool: 'none' } }),
      // Its own pod on n1 (1 core) goes when the new one comes: n1 has 1 + 1 cores for its 1.5.
      ds('resident', '1500m', { nodeSelector: { 'kubernetes.io/hostname': 'n1' } }),
      obj('Pod', 'resident-n1', {
        metadata: { ownerReferences: [{ kind: 'DaemonSet', name: 'resident', controller: true }] },
        spec: { nodeName: 'n1', containers: [container('reg/a:1', '1')] },
        status: { phase: 'Running' },
      }),
    ];
    const found = crowdingAgents(new Fleet(objects), []);
    assert.deepEqual(
      found.map((f) => f.where),
      ['ns/DaemonSet/big', 'ns/DaemonSet/tolerant'],
    );
    assert.equal(
      found[0].detail,
      'its pod (1500m CPU and 0.10 GiB) does not fit what is free on 2 of 4 nodes, where it may run ' +
        '(n1 has 1000m CPU, 7.80 GiB, 108 pod slots free, cordoned has 1000m CPU, 8.00 GiB, 110 pod slots free): there it preempts application pods or stays Pending',
    );
    assert.match(found[1].detail, /on 3 of 4 nodes, where it may run \(n1 has .*, tainted has 1000m CPU/);
  });

  it("the DaemonSet controller's tolerations, with their effects: a node not ready for new pods or without network is not where a daemon pod goes", () => {
    const objects = [
      // Not ready: the node lifecycle controller taints it NoSchedule too, which daemon pods do not tolerate.
      node('not-ready', '1', {
        taints: [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
        ],
      }),
      node('pressed', '1', { taints: [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }] }),
      node('no-network', '1', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }),
      ds('pod-network', '1500m'),
      ds('host-network', '1500m', { hostNetwork: true }),
    ];
    const found = crowdingAgents(new Fleet(objects), []);
    assert.deepEqual(
      found.map((f) => [
        f.where,
        f.detail.match(/on (\d+ of \d+) nodes/)?.[1],
        [...f.detail.matchAll(/([\w-]+) has \d+m CPU/g)].map((m) => m[1]),
      ]),
      [
        ['ns/DaemonSet/pod-network', '1 of 3', ['pressed']],
        ['ns/DaemonSet/host-network', '2 of 3', ['pressed', 'no-network']],
      ],
    );
  });

  it('a resource the pod does not request never keeps it off a node, however overcommitted (NodeResourcesFit)', () => {
    // A static pod may overcommit a node: its CPU is gone, but a pod asking none still fits there.
    const objects = [node('busy', '1'), bound('static', 'busy', '2'), ds('no-cpu', '0'), ds('some-cpu', '100m')];
    assert.deepEqual(
      crowdingAgents(new Fleet(objects), []).map((f) => f.where),
      ['ns/DaemonSet/some-cpu'],
    );
  });

  it('a node full of pods has no slot, whatever its CPU; without nodes nothing is judged', () => {
    const objects = [node('full', '4', { pods: '1' }), bound('only', 'full', '0'), ds('tiny', '10m')];
    assert.match(crowdingAgents(new Fleet(objects), [])[0].detail, /full has 4000m CPU, 7\.90 GiB, 0 pod slots free/);
    assert.deepEqual(crowdingAgents(new Fleet([ds('tiny', '10m')]), []), []);
    // What is then not judged is said once per identity (opsUnjudged) or check run (manifestUnjudged).
  });

  it('one finding when a system-priority DaemonSet does not fit either', () => {
    const found = crowdingAgents(
      new Fleet([node('n1', '1'), ds('critical', '2', { priorityClassName: 'system-node-critical' })]),
      [],
    );
    assert.equal(found.length, 1);
    assert.match(
      found[0].detail,
      /^priority class system-node-critical \(2000001000\) and requests of 2000m CPU .*; its pod .* does not fit/,
    );
  });
});

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.142.0.2', nodes: 2, etcd: 'off' });
  hunt = await huntApiAs(lab, 'reader');
});

after(async () => {
  await lab?.stop();
});

const objectsOf = (kb: string) => hunt.of(kb).map((f) => f.object);

describe('the lab, read through the API by the reader (no Secrets)', () => {
  it('reads RBAC objects, only reads, never asks for a Secret', () => {
    assert.deepEqual(hunt.result.problems, []);
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
    assert.equal(
      lab.can('reader', { verb: 'list', group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' }),
      true,
    );
    assert.equal(lab.can('reader', { verb: 'list', group: '', resource: 'secrets' }), false);
    assert.deepEqual(
      hunt.gaps.filter((g) => g.subject.startsWith("DaemonSets'")),
      [],
    );
  });

  it('KF-OPS-002: the crash-looping DaemonSet with its pulls per hour, and the large Deployment on :latest; no decoy', () => {
    assert.deepEqual(objectsOf('KF-OPS-002').sort(), ['fleet/DaemonSet/log-shipper', 'fleet/Deployment/storefront']);
    const shipper = hunt.of('KF-OPS-002').find((f) => f.object === 'fleet/DaemonSet/log-shipper')!.evidence;
    // Each of the 2 pods restarted CRASH_RESTARTS times in the 9 days since it started: 8 an hour each.
    assert.equal(CRASH_RESTARTS, 1728);
    assert.match(
      shipper,
      /runs on 2 nodes, so each rollout is 2 pulls at once; 3456 restarts across 2 pods, each a pull: about 16 pulls\/hour; 2 pods in CrashLoopBackOff, up to 12 × 2 = 24 pulls\/hour/,
    );
    const storefront = hunt.of('KF-OPS-002').find((f) => f.object === 'fleet/Deployment/storefront')!.evidence;
    assert.match(storefront, new RegExp(`storefront:latest .*; ${STOREFRONT_REPLICAS} replicas \\(50 or more\\)`));
  });

  it('KF-OPS-014: the DaemonSet whose account may list and watch pods cluster-wide, with nodes × pods; not the getter, not the namespaced one', () => {
    assert.deepEqual(objectsOf('KF-OPS-014'), ['fleet/DaemonSet/pod-watcher']);
    const evidence = hunt.of('KF-OPS-014')[0].evidence;
    // The lab's own RBAC says the same: the watcher may list every pod, the decoys may not.
    const account = (name: string) => serviceAccountUser('fleet', name);
    assert.equal(lab.can(account('pod-watcher'), { verb: 'list', group: '', resource: 'pods' }), true);
    assert.equal(lab.can(account('pod-getter'), { verb: 'list', group: '', resource: 'pods' }), false);
    assert.equal(lab.can(account('local-watcher'), { verb: 'list', group: '', resource: 'pods' }), false);
    assert.equal(
      lab.can(account('local-watcher'), { verb: 'list', group: '', resource: 'pods', namespace: 'fleet' }),
      true,
    );
    const m =
      /service account fleet\/pod-watcher, which may list and watch pods in every namespace \(ClusterRoleBinding fleet-pod-watcher → ClusterRole fleet-pod-watcher\); 2 nodes × (\d+) pods read = (\d+) pod objects/.exec(
        evidence,
      );
    assert.ok(m, evidence);
    const pods = hunt.requests.filter((r) => r.path.startsWith('/api/v1/pods?') && r.status === 200);
    assert.ok(pods.length > 0);
    assert.equal(Number(m[2]), 2 * Number(m[1]));
  });

  it('KF-OPS-004: the DaemonSet that does not fit on the busy node, once; not the one that fits', () => {
    assert.deepEqual(objectsOf('KF-OPS-004').sort(), ['fleet/DaemonSet/cache-warmer', 'fleet/DaemonSet/gpu-monitor']);
    assert.match(
      hunt.of('KF-OPS-004').find((f) => f.object === 'fleet/DaemonSet/cache-warmer')!.evidence,
      /its pod \(2500m CPU and 0\.06 GiB\) does not fit what is free on 1 of 2 nodes, where it may run \(lab-node-1 has 150m CPU/,
    );
  });
});

describe('an identity that may read the DaemonSets but not RBAC', () => {
  it('jane (view) judges no agent and says so once, as a skipped gap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-agents-'));
    const jane = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      identities: [await kubeconfigIdentity(lab, 'jane', dir)],
    });
    assert.deepEqual(jane.of('KF-OPS-014'), []);
    // One gap for every check jane could not judge, this one among them.
    const gaps = jane.gaps.filter((g) => g.subject === 'operational checks (jane@lab)');
    assert.deepEqual(
      gaps.map((g) => `${g.reason}: ${g.detail}`),
      [
        // The view role reads no node (nothing cluster-scoped but namespaces), as Kubernetes' own.
        'skipped: not judged: the nodes (not listable): volumes on gone nodes (KF-OPS-010) and work no node can run (KF-OPS-011), whether the pods of 12 DaemonSets fit what is free on each node (KF-OPS-004); clusterroles and clusterrolebindings (not listable): whether 12 DaemonSets may list or watch pods cluster-wide (KF-OPS-014)',
      ],
    );
  });
});

describe('an identity that may read pods and DaemonSets but not nodes nor RBAC', () => {
  it('judges neither the fit nor the cluster-wide agents, and says so for each', async () => {
    const rbac = '/apis/rbac.authorization.k8s.io/v1';
    await createAsAdmin(lab, `${rbac}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pods-and-daemonsets' },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
        { apiGroups: ['apps'], resources: ['daemonsets'], verbs: ['list'] },
      ],
    });
    await createAsAdmin(lab, `${rbac}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'nobody-reads-daemonsets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pods-and-daemonsets' },
      subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: 'default' }],
    });
    const nobody = await huntApiAs(lab, 'nobody');
    assert.deepEqual(nobody.of('KF-OPS-014'), []);
    // gpu-monitor's system priority needs no node; cache-warmer's fit does.
    assert.deepEqual(
      nobody.of('KF-OPS-004').map((f) => f.object),
      ['fleet/DaemonSet/gpu-monitor'],
    );
    // One gap naming both, with the DNS checks the ConfigMaps it may not read kept from it: no flood.
    const gaps = nobody.gaps
      .filter((g) => g.subject.includes('(nobody)'))
      .map((g) => `${g.subject}: ${g.reason}: ${g.detail}`);
    assert.equal(gaps.length, 1, gaps.join('\n'));
    assert.match(
      gaps[0],
      /^operational checks \(nobody\): skipped: not judged: the nodes \(not listable\): volumes on gone nodes \(KF-OPS-010\) and work no node can run \(KF-OPS-011\), whether the pods of \d+ DaemonSets fit what is free on each node \(KF-OPS-004\); clusterroles and clusterrolebindings \(not listable\): whether \d+ DaemonSets may list or watch pods cluster-wide \(KF-OPS-014\); the Deployments \(not listable\), StatefulSets \(not listable\), CronJobs \(not listable\) of every namespace: their checks outside what was read \(KF-OPS-001, KF-OPS-002, KF-OPS-003, KF-OPS-005, KF-OPS-007, KF-OPS-011, KF-OPS-012, KF-OPS-013\); kube-system's ConfigMaps \(not listable\): CoreDNS's Corefile \(KF-OPS-006\), kube-proxy's IPVS UDP timeout \(KF-OPS-008\)$/,
    );
  });
});
