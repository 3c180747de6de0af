import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { describeLab } from '../../src/cli/lab.js';
import { UsageError } from '../../src/core/errors.js';
import { quantity } from '../../src/hunters/ops/objects.js';
import { BULK_LABEL, type Lab, PORTS, startLab } from '../../src/lab/index.js';
import {
  AGENTS_NAMESPACE,
  bulkWorkloadObjects,
  POOL_LABEL,
  spread,
  workloadKind,
} from '../../src/lab/seed-bulk-workloads.js';
import { runProcess } from '../helpers/cli.js';
import { requireComponent } from '../helpers/components.js';
import { portState } from './call.js';

// Loopback block 127.143.0.0/16 (see test/README.md). The lab at a large cluster's shape, read by the real
// kubectl (v1.32) in pages, as the operational checks read it.

const SCALE = { apiNodes: 150, workloads: 520, workloadPods: 3000, seed: 5 };
const home = mkdtempSync(join(tmpdir(), 'kf-scale-ops-'));

const kubeconfig = join(home, 'admin.kubeconfig');

function kubectl(args: string[]) {
  return runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig }, 120_000);
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
type Json = Record<string, any>;
type Owned = { metadata: { name: string; namespace: string; ownerReferences?: { kind: string; name: string }[] } };
const isBulk = (o: { metadata?: { labels?: Record<string, string> } }) => o.metadata?.labels?.[BULK_LABEL] === 'true';

describe('a lab at the shape of a large cluster (apiNodes, workloads, workloadPods)', () => {
  let lab: Lab;
  const lists: Record<string, { items: Json[] }> = {};

  before(async () => {
    // The default profile serves batch/v1 CronJobs (1.32), as the checks read them.
    lab = await startLab({ profile: 'default', base: '127.143.0.2', nodes: 1, etcd: 'off', scale: SCALE });
    lab.kubeconfig('kubernetes-admin', kubeconfig);
  });
  after(() => lab?.stop());

  /** Every object of a resource, as kubectl reads it: pages of `chunk`, merged into one list. */
  async function get(resource: string, chunk: number) {
    const r = await kubectl(['get', resource, '-A', '-o', 'json', `--chunk-size=${chunk}`]);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    lists[resource] = list;
    return list.items as Json[];
  }

  it('lists exactly the nodes asked for, in pages, with labels, taints and capacity, and no listener', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const nodes = (await get('nodes', 25)) as Node[];
    const bulk = nodes.filter(isBulk);
    assert.equal(bulk.length, SCALE.apiNodes);
    assert.equal(nodes.length, SCALE.apiNodes + 1, "the lab's own node is still there, listed last");
    assert.equal(nodes.at(-1)!.metadata!.name, 'lab-node-1');
    const pages = lab.requests.filter((q) => q.path.startsWith('/api/v1/nodes?') && q.path.includes('continue='));
    assert.equal(pages.length, Math.ceil(nodes.length / 25) - 1, 'kubectl followed every continue token');
    for (const n of bulk) {
      const labels = n.metadata!.labels!;
      assert.equal(labels['kubernetes.io/hostname'], n.metadata!.name);
      assert.match(labels['topology.kubernetes.io/zone'], /^lab-zone-[abc]$/);
      assert.ok(labels['node.kubernetes.io/instance-type']);
      assert.ok(Number.parseInt(n.status!.allocatable!.cpu, 10) > 0);
      assert.equal(n.status!.capacity!.pods, '110');
    }
    const pools = new Set(bulk.map((n) => n.metadata!.labels![POOL_LABEL]));
    assert.deepEqual([...pools].sort(), ['general', 'gpu', 'infra', 'memory']);
    const tainted = bulk.filter((n) => n.spec?.taints?.some((x) => x.key === 'nvidia.com/gpu'));
    assert.ok(tainted.length >= 2, `${tainted.length} GPU nodes tainted`);
    // API-only: the addresses follow the lab's and nothing listens there.
    const first = bulk[0].status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    assert.equal(first, '127.143.0.4');
    assert.equal(await portState(first, PORTS.kubelet), 'closed');
  });

  it('lists exactly the workloads asked for, every kind, spread over namespaces', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const expected: Record<string, number> = {};
    for (let i = 0; i < SCALE.workloads; i++) expected[workloadKind(i)] = (expected[workloadKind(i)] ?? 0) + 1;
    let total = 0;
    for (const [kind, resource] of [
      ['Deployment', 'deployments'],
      ['StatefulSet', 'statefulsets'],
      ['DaemonSet', 'daemonsets'],
      ['Job', 'jobs'],
      ['CronJob', 'cronjobs'],
    ]) {
      const items = (await get(resource, 100)).filter(isBulk);
      assert.equal(items.length, expected[kind], `${kind}: ${items.length}`);
      total += items.length;
    }
    assert.equal(total, SCALE.workloads);
    const namespaces = new Set(lists.deployments.items.filter(isBulk).map((d) => d.metadata.namespace));
    assert.equal(namespaces.size, Math.ceil(SCALE.workloads / 25));
    for (const d of lists.deployments.items.filter(isBulk)) {
      const c = d.spec.template.spec.containers[0];
      assert.ok(c.resources.requests.cpu && c.resources.limits.memory, 'requests and limits');
      assert.ok(c.readinessProbe && c.livenessProbe, 'probes');
      assert.match(c.image, /:\d+\.\d+/, 'a pinned tag');
    }
  });

  it('runs exactly the pods asked for, owned by those workloads, on nodes whose labels and taints they fit', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    if (!lists.nodes || !lists.deployments) await Promise.all([get('nodes', 500), get('deployments', 500)]);
    for (const r of ['replicasets', 'statefulsets', 'daemonsets', 'jobs']) if (!lists[r]) await get(r, 500);
    const pods = ((await get('pods', 500)) as Pod[]).filter(isBulk);
    assert.equal(pods.length, SCALE.workloadPods);
    const nodes = new Map((lists.nodes.items as Node[]).filter(isBulk).map((n) => [n.metadata!.name!, n]));
    const ownerKinds: Record<string, string> = {
      replicasets: 'ReplicaSet',
      statefulsets: 'StatefulSet',
      daemonsets: 'DaemonSet',
      jobs: 'Job',
    };
    const known = new Set(
      Object.entries(ownerKinds).flatMap(([r, kind]) =>
        (lists[r].items as Owned[]).map((o) => `${o.metadata.namespace}/${kind}/${o.metadata.name}`),
      ),
    );
    const agentsOn = new Map<string, Set<string>>();
    for (const p of pods) {
      const node = nodes.get(p.spec!.nodeName!);
      assert.ok(node, `${p.metadata!.name} runs on an API-only node, not ${p.spec!.nodeName}`);
      assert.equal(p.status!.phase, 'Running');
      assert.equal(p.status!.hostIP, node.status!.addresses![0].address);
      const ref = p.metadata!.ownerReferences![0];
      assert.ok(known.has(`${p.metadata!.namespace}/${ref.kind}/${ref.name}`), `${ref.kind} ${ref.name} exists`);
      for (const [k, v] of Object.entries(p.spec!.nodeSelector ?? {}))
        assert.equal(node.metadata!.labels![k], v, `${p.metadata!.name}'s selector ${k}=${v} fits its node`);
      for (const taint of node.spec?.taints ?? []) {
        if (taint.key === 'node.kubernetes.io/unschedulable') continue; // cordoned after the pods came
        const tolerated = (p.spec!.tolerations ?? []).some(
          (x) => (x.operator === 'Exists' && !x.key) || (x.key === taint.key && x.value === taint.value),
        );
        assert.ok(tolerated, `${p.metadata!.name} tolerates ${taint.key} on ${node.metadata!.name}`);
      }
      if (ref.kind === 'DaemonSet') {
        const on = agentsOn.get(ref.name) ?? new Set();
        assert.ok(!on.has(node.metadata!.name!), 'one pod of a DaemonSet per node');
        agentsOn.set(ref.name, on.add(node.metadata!.name!));
      }
    }
    for (const ds of (lists.daemonsets.items as Json[]).filter(isBulk)) {
      assert.equal(agentsOn.get(ds.metadata.name)?.size, ds.status.desiredNumberScheduled);
      assert.equal(ds.metadata.namespace, AGENTS_NAMESPACE);
    }
    const replicas = ['deployments', 'statefulsets']
      .flatMap((r) => lists[r].items.filter(isBulk).map((o) => o.spec.replicas as number))
      .concat(lists.jobs.items.filter(isBulk).map((j) => j.status.active ?? 0));
    const agents = [...agentsOn.values()].reduce((a, s) => a + s.size, 0);
    assert.equal(
      replicas.reduce((a, b) => a + b, 0) + agents,
      SCALE.workloadPods,
      'replicas and agents add up to the pods',
    );
    // As a scheduler places them: no node holds more requests than it has allocatable.
    const used = new Map<string, { cpu: number; memory: number }>();
    for (const p of pods) {
      const u = used.get(p.spec!.nodeName!) ?? { cpu: 0, memory: 0 };
      for (const c of p.spec!.containers) {
        u.cpu += quantity(c.resources?.requests?.cpu) ?? 0;
        u.memory += quantity(c.resources?.requests?.memory) ?? 0;
      }
      used.set(p.spec!.nodeName!, u);
    }
    for (const [name, u] of used) {
      const free = nodes.get(name)!.status!.allocatable!;
      assert.ok(u.cpu <= quantity(free.cpu)!, `${name}: ${u.cpu} CPU requested of ${free.cpu}`);
      assert.ok(u.memory <= quantity(free.memory)!, `${name}: ${u.memory} bytes requested of ${free.memory}`);
    }
    const restarts = pods.map((p) => p.status!.containerStatuses![0].restartCount);
    assert.ok(restarts.some((r) => r > 0) && restarts.some((r) => r === 0), 'some pods restart, most do not');
    assert.ok(
      pods.some((p) => p.status!.containerStatuses![0].state?.waiting?.reason === 'CrashLoopBackOff'),
      'a crash-looping workload is there',
    );
  });

  it('says what it added when it starts', () => {
    assert.match(
      describeLab(lab),
      /^ {2}added: 150 Node objects without a kubelet \(addresses after the lab's\), 520 workloads with 3000 pods$/m,
    );
  });

  it('prints the added nodes and pods as kubectl tables too', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const r = await kubectl(['get', 'pods', '-n', AGENTS_NAMESPACE, '--no-headers', '--chunk-size=50']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    const agents = (lists.daemonsets?.items ?? []).filter(isBulk);
    if (agents.length > 0)
      assert.equal(
        rows.length,
        agents.reduce((a, d) => a + d.status.currentNumberScheduled, 0),
      );
    assert.ok(rows.every((row) => /\sRunning\s/.test(row)));
  });
});

describe('the added workloads, generated', () => {
  const ctx = {
    labNodes: [{ name: 'lab-node-1', address: '127.143.1.3', index: 0 }],
    nodeAddress: (i: number) => `127.143.2.${i + 1}`,
    version: 'v1.32.4',
    minor: 32,
    created: new Date('2026-11-28T00:00:00Z'),
    now: new Date('2026-12-07T00:00:00Z'),
  };
  const names = (seed: number, scale = { apiNodes: 20, workloads: 120, workloadPods: 700 }) =>
    [...bulkWorkloadObjects({ ...scale, seed }, ctx)].map(
      (o) =>
        `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${JSON.stringify((o.spec as Json)?.template?.spec?.containers?.[0]?.image ?? (o.spec as Json)?.containers?.[0]?.image ?? '')}`,
    );

  it('are the same for the same seed, and differ for another', () => {
    assert.deepEqual(names(1), names(1));
    assert.notDeepEqual(names(1), names(2));
  });

  it('put their pods on the lab’s own nodes when no API-only node is asked for', () => {
    const objects = [...bulkWorkloadObjects({ workloads: 40, workloadPods: 90, seed: 1 }, ctx)];
    const pods = objects.filter((o) => o.kind === 'Pod');
    assert.equal(pods.length, 90);
    // One node holds what fits in its room; the scheduler leaves the rest Pending, saying why.
    const placed = pods.filter((p) => (p.spec as Pod['spec'])!.nodeName !== undefined);
    const pending = pods.filter((p) => (p.spec as Pod['spec'])!.nodeName === undefined);
    assert.ok(placed.length > 0 && placed.every((p) => (p.spec as Pod['spec'])!.nodeName === 'lab-node-1'));
    for (const p of pending) {
      const status = p.status as Pod['status'];
      assert.equal(status?.phase, 'Pending');
      assert.match(status?.conditions?.[0]?.message ?? '', /^0\/1 nodes are available: 1 Insufficient cpu/);
    }
    const cpu = placed
      .flatMap((p) => (p.spec as Pod['spec'])!.containers)
      .reduce((sum, c) => sum + (quantity(c.resources?.requests?.cpu) ?? 0), 0);
    assert.ok(cpu <= 3.91, `the node's allocatable CPU holds what was placed (${cpu} cores)`);
    assert.ok(
      pods.every((p) => !(p.spec as Pod['spec'])!.nodeSelector?.[POOL_LABEL]),
      'no pool to select',
    );
    assert.equal(objects.filter((o) => o.kind === 'Node').length, 0);
  });

  it('give every pod a name of its own, however many a workload runs', () => {
    const objects = [...bulkWorkloadObjects({ apiNodes: 3, workloads: 2, workloadPods: 30_000, seed: 1 }, ctx)];
    const pods = objects.filter((o) => o.kind === 'Pod').map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.equal(pods.length, 30_000);
    assert.equal(new Set(pods).size, pods.length);
  });

  it('spread a total exactly over weights', () => {
    assert.deepEqual(spread(10, [1, 1, 1]), [4, 3, 3]);
    assert.deepEqual(spread(7, [0, 2, 0, 1]), [0, 5, 0, 2]);
    assert.deepEqual(spread(5, [0, 0]), [0, 0]);
    assert.deepEqual(spread(0, [3, 1]), [0, 0]);
  });
});

describe('bad scale values', () => {
  it('are refused by startLab in one line', async () => {
    for (const [scale, message, base] of [
      [{ apiNodes: -1 }, /^--api-nodes takes a whole number from 0 to 1000000, not "-1"$/],
      [{ workloads: 1.5 }, /^--workloads takes a whole number from 0 to 1000000, not "1.5"$/],
      [{ workloadPods: 2_000_000, workloads: 1 }, /^--workload-pods takes a whole number/],
      [{ workloadPods: 10 }, /^--workload-pods needs --workloads/],
      [
        { apiNodes: 1000 },
        /^--api-nodes 1000: their addresses follow the lab's \(from 127\.255\.255\.2\)/,
        '127.255.255.0',
      ],
    ] as const) {
      await assert.rejects(
        startLab({ base: base ?? '127.143.3.2', nodes: 1, etcd: 'off', scale }),
        (err: Error) => err instanceof UsageError && message.test(err.message) && !err.message.includes('\n'),
        JSON.stringify(scale),
      );
    }
  });

  it('are refused by `kubeferret lab` with one line and exit status 2', async () => {
    for (const [args, message] of [
      [['--api-nodes', 'many'], /--api-nodes/],
      [['--workloads', '-3'], /--workloads/],
      [['--workload-pods', '5'], /^kubeferret: --workload-pods needs --workloads/],
    ] as const) {
      const r = await runProcess(
        process.execPath,
        ['bin/kubeferret.js', 'lab', '--base', '127.143.4.2', '--etcd', 'off', ...args],
        { ...process.env },
        60_000,
      );
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
