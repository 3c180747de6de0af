import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { podRequests } from '../../../src/hunters/ops/agents.js';
import { opsFindings } from '../../../src/hunters/ops/checks.js';
import type { OpsObject } from '../../../src/hunters/ops/objects.js';
import { slimForOps, slimPod } from '../../../src/hunters/ops/slim.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { bulkWorkloadObjects } from '../../../src/lab/seed-bulk-workloads.js';
import type { KubeObject } from '../../../src/lab/store.js';
import { call } from '../../lab/call.js';
import { huntApiAs, type LabHunt } from '../lab-hunt.js';

// What the operational checks keep of each object read through the API, over a fleet the
// lab generates (src/lab/seed-bulk-workloads.ts) with a few risks added to it.

type Json = Record<string, unknown>;
const NOW = new Date('2026-12-07T00:00:00Z');

/** A fleet as a server would list it, with a :latest agent whose pods restart and a pod stuck Pending. */
function fleet(): OpsObject[] {
  const objects = [
    ...bulkWorkloadObjects(
      { apiNodes: 40, workloads: 520, workloadPods: 2500, seed: 3 },
      {
        labNodes: [],
        nodeAddress: (i) => `127.143.9.${i + 1}`,
        version: 'v1.32.4',
        minor: 32,
        created: new Date('2026-11-28T00:00:00Z'),
        now: NOW,
      },
    ),
  ].map((o) => structuredClone(o) as KubeObject & Json);
  const agent = objects.find((o) => o.kind === 'DaemonSet')!;
  const spec = agent.spec as { template: { spec: { containers: { image: string; imagePullPolicy?: string }[] } } };
  spec.template.spec.containers[0].image = 'registry.example/agent:latest';
  delete spec.template.spec.containers[0].imagePullPolicy;
  let restarted = 0;
  for (const o of objects) {
    if (o.kind !== 'Pod' || (o.metadata.ownerReferences ?? [])[0]?.name !== agent.metadata.name) continue;
    const statuses = (o.status as { containerStatuses: { restartCount: number }[] }).containerStatuses;
    statuses[0].restartCount = 4;
    restarted++;
  }
  assert.ok(restarted > 0);
  // One application resolves with ndots 2, in its template and so in its pods: the DNS checks must not
  // count its pods among those that keep ndots 5.
  const quiet = objects.find((o) => o.kind === 'Deployment')!;
  const dnsConfig = { options: [{ name: 'ndots', value: '2' }] };
  (quiet.spec as { template: { spec: Json } }).template.spec.dnsConfig = dnsConfig;
  for (const o of objects) {
    const owner = (o.metadata.ownerReferences ?? [])[0]?.name ?? '';
    if (o.kind === 'Pod' && owner.startsWith(`${quiet.metadata.name}-`)) (o.spec as Json).dnsConfig = dnsConfig;
  }
  objects.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'stuck', namespace: 'a-bulk-team-0001', ownerReferences: [{ kind: 'Job', name: 'x' }] as never },
    spec: {
      containers: [{ name: 'c', image: 'busybox:1.36' }],
      volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }],
    },
    status: {
      phase: 'Pending',
      conditions: [
        { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/40 nodes are available' },
      ],
    },
  });
  return objects.map((o) => ({ kind: o.kind ?? '', item: o as OpsObject['item'] }));
}

describe('what the operational checks keep of what they read', () => {
  const full = fleet();
  const slim = full.map((o) => ({ kind: o.kind, item: slimForOps(o.kind, o.item) }));

  it('changes no finding: the checks find the same over the slim objects as over the whole ones', () => {
    const whole = opsFindings(full, 'live', { now: NOW.getTime(), minor: 32 });
    const kept = opsFindings(slim, 'live', { now: NOW.getTime(), minor: 32 });
    assert.ok(whole.length > 0);
    assert.deepEqual(
      kept.map((f) => [f.kb, f.where, f.detail]),
      whole.map((f) => [f.kb, f.where, f.detail]),
    );
  });

  it('keeps when the pods started, so a pulling agent gets its pulls per hour', () => {
    const [stampede] = opsFindings(slim, 'live', { now: NOW.getTime() }).filter((f) => f.kb === 'KF-OPS-002');
    assert.ok(stampede, 'the :latest agent is reported');
    assert.match(stampede.detail, /restarts across \d+ pods, each a pull: about \d+ pulls\/hour/);
  });

  it('keeps of a running, owned pod where it runs, what it requests and its restarts; far less than the pod', () => {
    const running = full.find((o) => o.kind === 'Pod' && (o.item.status as Json).phase === 'Running')!;
    const kept = slimPod(running.item) as Json & { spec: Json; status: Json; metadata: Json };
    assert.equal(kept.spec.nodeName, (running.item.spec as Json).nodeName);
    assert.deepEqual(Object.keys((kept.spec.containers as Json[])[0]).sort(), ['name', 'resources']);
    assert.ok(((kept.spec.containers as Json[])[0].resources as Json).requests);
    assert.equal(kept.status.startTime, (running.item.status as Json).startTime);
    assert.equal(typeof (kept.status.containerStatuses as Json[])[0].restartCount, 'number');
    assert.equal((kept.metadata.ownerReferences as Json[])[0].kind, 'ReplicaSet');
    assert.ok(JSON.stringify(kept).length * 3 < JSON.stringify(running.item).length, 'under a third of the pod');
  });

  it('keeps a pod that does not run, and a pod no controller owns, whole but for bookkeeping', () => {
    const stuck = slim.find((o) => o.item.metadata?.name === 'stuck')!.item as Json & { spec: Json; status: Json };
    assert.deepEqual(stuck.spec.volumes, [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }]);
    assert.equal((stuck.status.conditions as Json[])[0].reason, 'Unschedulable');
    const bare = {
      metadata: { name: 'debug', namespace: 'default', managedFields: [{ manager: 'kubectl' }] },
      spec: { containers: [{ name: 'c', image: 'x:1', livenessProbe: { exec: { command: ['true'] } } }] },
      status: { phase: 'Running' },
    };
    const kept = slimPod(bare) as Json & { metadata: Json };
    assert.deepEqual(kept.spec, bare.spec);
    assert.equal(kept.metadata.managedFields, undefined);
  });

  it('keeps what a pod asks of its node: sidecar init containers, overhead, and crash loops', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'a', ownerReferences: [{ kind: 'ReplicaSet', name: 'r', controller: true }] },
      spec: {
        nodeName: 'n1',
        overhead: { cpu: '100m', memory: '64Mi' },
        initContainers: [
          { name: 'setup', image: 'x:1', resources: { requests: { cpu: '2', memory: '1Gi' } } },
          {
            name: 'mesh',
            image: 'y:1',
            restartPolicy: 'Always',
            resources: { requests: { cpu: '250m', memory: '128Mi' } },
          },
        ],
        containers: [{ name: 'app', image: 'z:1', resources: { requests: { cpu: '500m', memory: '256Mi' } } }],
      },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', restartCount: 40, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } },
        ],
      },
    };
    const kept = slimPod(pod) as unknown as { spec: PodSpec; status: Json };
    assert.deepEqual(podRequests(kept.spec), podRequests(pod.spec as PodSpec));
    assert.deepEqual(kept.status.containerStatuses, [
      { name: 'app', restartCount: 40, state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ]);
  });

  it('drops the managed fields of other objects and keeps the rest', () => {
    const deployment = {
      metadata: { name: 'd', annotations: { a: '1' }, managedFields: [{ manager: 'helm' }] },
      spec: { replicas: 3 },
    };
    assert.deepEqual(slimForOps('Deployment', deployment), {
      metadata: { name: 'd', annotations: { a: '1' } },
      spec: { replicas: 3 },
    });
    const plain = { metadata: { name: 'e' }, spec: {} };
    assert.equal(slimForOps('Deployment', plain), plain, 'nothing to drop: the same object');
  });

  it('takes whatever shape a server sends without throwing', () => {
    for (const odd of [null, 'text', 7, [], { metadata: 'x', spec: [], status: null }]) {
      assert.doesNotThrow(() => slimPod(odd as never));
    }
    const weird = slimPod({
      metadata: { name: 'w', ownerReferences: 'nope' },
      spec: { containers: [null, 3] },
      status: { phase: 'Running', containerStatuses: [null] },
    } as never) as Json & { spec: Json; status: Json };
    assert.deepEqual(weird.spec.containers, [null, 3], 'not owned: the spec stays as it came');
    assert.deepEqual(weird.status.containerStatuses, [null]);
  });
});

// Block 127.143.64.0/20 (test/README.md: 127.143.0.0/16): the same through the API, against the lab.
describe('the pulls an agent costs, read live', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.143.64.2', nodes: 2, etcd: 'off' });
    // An agent on every node with a :latest image, made through the API (the lab's controller starts its
    // pods); then its pods crash: 12 restarts each since they started 12 hours ago, as kubelets report.
    const admin = lab.credentials['kubernetes-admin'];
    const tls = { cert: admin.clientCert, key: admin.clientKey };
    const created = await call(`${lab.apiServer}/apis/apps/v1/namespaces/default/daemonsets`, {
      ...tls,
      method: 'POST',
      body: {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'puller', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'puller' } },
          template: {
            metadata: { labels: { app: 'puller' } },
            spec: { containers: [{ name: 'agent', image: 'registry.example/puller:latest' }] },
          },
        },
      },
    });
    assert.equal(created.status, 201, created.text);
    const api = `${lab.apiServer}/api/v1/namespaces/default/pods`;
    const pods = (await call(`${api}?labelSelector=app%3Dpuller`, tls)).json.items;
    assert.equal(pods.length, 2, 'one pod on each node');
    for (const pod of pods) {
      pod.status.containerStatuses[0].restartCount = 12;
      pod.status.startTime = new Date(Date.now() - 12 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const res = await call(`${api}/${pod.metadata.name}/status`, { ...tls, method: 'PUT', body: pod });
      assert.equal(res.status, 200, res.text);
    }
    hunt = await huntApiAs(lab, 'reader');
  });
  after(() => lab?.stop());

  it('KF-OPS-002 counts the restarts of the pods it read, and their pulls per hour since they started', () => {
    const finding = hunt.of('KF-OPS-002').find((f) => f.object === 'default/DaemonSet/puller');
    assert.ok(finding, 'the :latest agent is reported');
    // 24 restarts in the 12 hours since the pods started: two pulls an hour.
    assert.match(finding.evidence ?? '', /; 24 restarts across 2 pods, each a pull: about 2 pulls\/hour/);
  });
});
