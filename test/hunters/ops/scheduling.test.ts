import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OpsObject, opsFindings } from '../../../src/hunters/ops/checks.js';
import { everyMinutes, PENDING_PILE, schedulingFindings } from '../../../src/hunters/ops/scheduling.js';

// Block 127.141.0.0/16: the scheduling risks (KF-OPS-010…013). First pure, on objects as the API lists
// them; then live through the API against the lab's seeded situations and decoys (src/lab/seed-ops-sched.ts).

const o = (kind: string, item: object): OpsObject => ({ kind, item: item as OpsObject['item'] });
const nodeObject = (name: string, labels: Record<string, string> = {}, taints: object[] = []) =>
  o('Node', { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } });
const NODES = [
  nodeObject('web-1', { pool: 'web' }),
  nodeObject('web-2', { pool: 'web' }),
  nodeObject('gpu-1', { pool: 'gpu' }, [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]),
];

const deployment = (name: string, podSpec: object, replicas = 2) =>
  o('Deployment', {
    metadata: { name, namespace: 'apps' },
    spec: { replicas, template: { spec: { containers: [{ name, image: 'x:1' }], ...podSpec } } },
  });
const cronJob = (name: string, spec: object, podSpec: object = {}) =>
  o('CronJob', {
    metadata: { name, namespace: 'apps' },
    spec: {
      jobTemplate: { spec: { template: { spec: { containers: [{ name, image: 'x:1' }], ...podSpec } } } },
      ...spec,
    },
  });
const pendingPod = (name: string, owner: { kind: string; name: string }, extra: object = {}) =>
  o('Pod', {
    metadata: {
      name,
      namespace: 'apps',
      creationTimestamp: '2026-12-01T00:00:00Z',
      ownerReferences: [{ ...owner, controller: true }],
      ...extra,
    },
    spec: { containers: [{ name: 'c', image: 'x:1' }] },
    status: { phase: 'Pending' },
  });

const found = (objects: OpsObject[], kb: string, options?: { nodes?: boolean }) =>
  schedulingFindings(objects, options).filter((f) => f.kb === kb);

describe('KF-OPS-011: work no node can run', () => {
  it('reports a selector nothing matches, a gone node name and untolerated taints; not what fits', () => {
    const objects = [
      ...NODES,
      deployment('trainer', { nodeSelector: { pool: 'tpu' } }),
      deployment('pinned', { nodeName: 'web-9' }),
      deployment('gpu-job', { nodeSelector: { pool: 'gpu' } }),
      deployment('gpu-ok', {
        nodeSelector: { pool: 'gpu' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
      }),
      deployment('web', { nodeSelector: { pool: 'web' } }),
      deployment('trainer-paused', { nodeSelector: { pool: 'tpu' } }, 0),
      cronJob('nightly', { schedule: '0 3 * * *' }, { affinity: hostnameAffinity('In', ['ip-10-0-9-14']) }),
      cronJob('nightly-ok', { schedule: '0 3 * * *' }, { affinity: hostnameAffinity('NotIn', ['ip-10-0-9-14']) }),
      cronJob('nightly-off', { schedule: '0 3 * * *', suspend: true }, { nodeSelector: { pool: 'tpu' } }),
      o('DaemonSet', {
        metadata: { name: 'tpu-agent', namespace: 'apps' },
        spec: { template: { spec: { containers: [], nodeSelector: { pool: 'tpu' } } } },
      }),
    ];
    const f = found(objects, 'KF-OPS-011');
    assert.deepEqual(
      f.map((x) => x.where),
      ['apps/Deployment/trainer', 'apps/Deployment/pinned', 'apps/Deployment/gpu-job', 'apps/CronJob/nightly'],
    );
    assert.match(
      f[0].detail,
      /nodeSelector pool=tpu: none of the 3 nodes matches it, so its pods stay Pending; 2 replicas wanted/,
    );
    assert.deepEqual(f[0].field, ['spec', 'template', 'spec', 'nodeSelector']);
    assert.match(f[1].detail, /node web-9 is not among the 3 nodes/);
    assert.match(f[2].detail, /carry taints it does not tolerate: nvidia\.com\/gpu=present:NoSchedule/);
    assert.match(f[3].detail, /required node affinity \(kubernetes\.io\/hostname In \[ip-10-0-9-14\]\)/);
    assert.deepEqual(f[3].field, ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'affinity']);
  });

  it('judges a controller at its owner: owned ReplicaSets, Jobs and Pods are not reported again; counts its Pending pods', () => {
    const objects = [
      ...NODES,
      deployment('trainer', { nodeSelector: { pool: 'tpu' } }),
      o('ReplicaSet', {
        metadata: {
          name: 'trainer-5d8f7',
          namespace: 'apps',
          ownerReferences: [{ kind: 'Deployment', name: 'trainer', controller: true }],
        },
        spec: { replicas: 2, template: { spec: { containers: [], nodeSelector: { pool: 'tpu' } } } },
      }),
      pendingPod(
        'trainer-5d8f7-aaaaa',
        { kind: 'ReplicaSet', name: 'trainer-5d8f7' },
        { labels: { 'pod-template-hash': '5d8f7' } },
      ),
      pendingPod(
        'trainer-5d8f7-bbbbb',
        { kind: 'ReplicaSet', name: 'trainer-5d8f7' },
        { labels: { 'pod-template-hash': '5d8f7' } },
      ),
    ];
    const f = found(objects, 'KF-OPS-011');
    assert.deepEqual(
      f.map((x) => x.where),
      ['apps/Deployment/trainer'],
    );
    assert.match(f[0].detail, /2 pods Pending now/);
  });

  it('is not run without the nodes, nor when the node list is empty', () => {
    const objects = [deployment('trainer', { nodeSelector: { pool: 'tpu' } })];
    assert.deepEqual(found(objects, 'KF-OPS-011'), [], 'no Node objects: not judged');
    assert.deepEqual(found([...NODES, ...objects], 'KF-OPS-011', { nodes: false }), [], 'nodes said unknown');
    assert.deepEqual(found(objects, 'KF-OPS-011', { nodes: true }), [], 'nodes listed, but none');
    assert.equal(found([...NODES, ...objects], 'KF-OPS-011', { nodes: true }).length, 1);
  });
});

function hostnameAffinity(operator: string, values: string[]) {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator, values }] }],
      },
    },
  };
}

describe('KF-OPS-010: local volumes bound to nodes that are gone', () => {
  const pv = (name: string, source: object, nodeName: string, claim?: string) =>
    o('PersistentVolume', {
      metadata: { name },
      spec: {
        capacity: { storage: '50Gi' },
        ...source,
        ...(claim && { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'apps', name: claim } }),
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
            ],
          },
        },
      },
      status: { phase: claim ? 'Bound' : 'Released' },
    });
  const podWith = (name: string, claim: string, phase: string) =>
    o('Pod', {
      metadata: { name, namespace: 'apps' },
      spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] },
      status: { phase },
    });

  it('reports a local or hostPath volume on a gone node with its claim and the Pending pods; not one on a node that is there', () => {
    const objects = [
      ...NODES,
      pv('local-gone', { local: { path: '/mnt/disks/ssd0' } }, 'ip-10-0-9-14', 'data-ledger-0'),
      pv('host-gone', { hostPath: { path: '/srv/cache' } }, 'ip-10-0-9-15'),
      pv('local-here', { local: { path: '/mnt/disks/ssd1' } }, 'web-1', 'data-ledger-1'),
      pv('csi-gone', { csi: { driver: 'x', volumeHandle: 'h' } }, 'ip-10-0-9-14'),
      podWith('ledger-0', 'data-ledger-0', 'Pending'),
      podWith('ledger-1', 'data-ledger-1', 'Pending'),
      podWith('reader-0', 'data-ledger-0', 'Running'),
    ];
    const f = found(objects, 'KF-OPS-010');
    assert.deepEqual(
      f.map((x) => x.where),
      ['PersistentVolume/local-gone', 'PersistentVolume/host-gone'],
    );
    assert.match(
      f[0].detail,
      /^local volume \/mnt\/disks\/ssd0 \(50Gi\) bound by its node affinity to node ip-10-0-9-14, not among the 3 nodes; claimed by apps\/PersistentVolumeClaim\/data-ledger-0; 1 pod Pending on it, never to start: ledger-0$/,
    );
    assert.match(f[1].detail, /hostPath volume \/srv\/cache .* not claimed \(Released\)/);
  });

  it('finds the claim from the claim side too (spec.volumeName)', () => {
    const objects = [
      ...NODES,
      pv('local-gone', { local: { path: '/mnt/a' } }, 'ip-10-0-9-14'),
      o('PersistentVolumeClaim', { metadata: { name: 'data', namespace: 'apps' }, spec: { volumeName: 'local-gone' } }),
    ];
    assert.match(found(objects, 'KF-OPS-010')[0].detail, /claimed by apps\/PersistentVolumeClaim\/data; no pod waits/);
  });
});

describe('KF-OPS-012: pending pods piling up under one owner', () => {
  it(`one finding per owner from ${PENDING_PILE} unscheduled pods, with the count; a Job's pods at its CronJob`, () => {
    const rs = { kind: 'ReplicaSet', name: 'workers-7c9d' };
    const hash = { labels: { 'pod-template-hash': '7c9d' } };
    const objects = [
      deployment('workers', {}, 30),
      ...Array.from({ length: 30 }, (_, i) => pendingPod(`workers-7c9d-${i}`, rs, hash)),
      ...Array.from({ length: PENDING_PILE - 1 }, (_, i) =>
        pendingPod(`small-${i}`, { kind: 'StatefulSet', name: 'small' }),
      ),
      cronJob('reindex', { schedule: '0 * * * *' }),
      o('Job', {
        metadata: {
          name: 'reindex-1',
          namespace: 'apps',
          ownerReferences: [{ kind: 'CronJob', name: 'reindex', controller: true }],
        },
        spec: { template: { spec: { containers: [] } } },
      }),
      ...Array.from({ length: PENDING_PILE }, (_, i) =>
        pendingPod(`reindex-1-${i}`, { kind: 'Job', name: 'reindex-1' }),
      ),
      // Pending but bound to a node (pulling its image): the scheduler is done with it.
      ...Array.from({ length: 25 }, (_, i) =>
        o('Pod', {
          metadata: {
            name: `pulling-${i}`,
            namespace: 'apps',
            ownerReferences: [{ kind: 'StatefulSet', name: 'pulling', controller: true }],
          },
          spec: { nodeName: 'web-1', containers: [] },
          status: { phase: 'Pending' },
        }),
      ),
    ];
    const f = found(objects, 'KF-OPS-012');
    assert.deepEqual(
      f.map((x) => x.where),
      ['apps/Deployment/workers', 'apps/CronJob/reindex'],
    );
    assert.match(
      f[0].detail,
      /^30 pods Pending and not scheduled \(a pile from 20 on\), the oldest since 2026-12-01T00:00:00Z/,
    );
    assert.match(f[1].detail, /^20 pods Pending/);
  });

  it('quotes what the scheduler wrote on the pods', () => {
    const objects = Array.from({ length: PENDING_PILE }, (_, i) => {
      const p = pendingPod(`p-${i}`, { kind: 'Job', name: 'burst' });
      (p.item.status as Record<string, unknown>).conditions = [
        { type: 'PodScheduled', status: 'False', message: '0/2000 nodes are available: 2000 Insufficient cpu.' },
      ];
      return p;
    });
    assert.match(
      found(objects, 'KF-OPS-012')[0].detail,
      /it says: 0\/2000 nodes are available: 2000 Insufficient cpu\./,
    );
  });
});

describe('KF-OPS-013: frequent CronJobs that allow concurrent runs', () => {
  it('reads how often a schedule runs within the hours it runs', () => {
    assert.equal(everyMinutes('*/5 * * * *'), 5);
    assert.equal(everyMinutes('* * * * *'), 1);
    assert.equal(everyMinutes('*/10 * * * *'), 10);
    assert.equal(everyMinutes('0,5 3 * * *'), 55, 'two runs five minutes apart, then a day');
    assert.equal(everyMinutes('*/5 9-17 * * 1-5'), 5, 'every five minutes in office hours');
    assert.equal(everyMinutes('0-11 * * * *'), 49);
    assert.equal(everyMinutes('CRON_TZ=Europe/Paris */2 * * * *'), 2);
    assert.equal(everyMinutes('@hourly'), 60);
    assert.equal(everyMinutes('@every 90s'), 1.5);
    assert.equal(everyMinutes('@every 1h30m'), 90);
    assert.equal(everyMinutes('*/5 * * * * *'), undefined, 'six fields: Kubernetes takes five');
    assert.equal(everyMinutes('every five minutes'), undefined);
    assert.equal(everyMinutes('@every soon'), undefined);
    assert.equal(everyMinutes('61 * * * *'), undefined);
  });

  it('reports Allow (set or defaulted) every five minutes or more often; not Forbid, Replace, rarer or suspended', () => {
    const objects = [
      cronJob('sync', { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow' }),
      cronJob('poll', { schedule: '* * * * *' }),
      cronJob('sync-forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' }),
      cronJob('sync-replace', { schedule: '*/2 * * * *', concurrencyPolicy: 'Replace' }),
      cronJob('report', { schedule: '*/30 * * * *', concurrencyPolicy: 'Allow' }),
      cronJob('sync-off', { schedule: '*/5 * * * *', suspend: true }),
      cronJob('garbled', { schedule: 'soon' }),
    ];
    (objects[0].item as { status?: object }).status = { active: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] };
    const f = found(objects, 'KF-OPS-013');
    assert.deepEqual(
      f.map((x) => x.where),
      ['apps/CronJob/sync', 'apps/CronJob/poll'],
    );
    assert.match(
      f[0].detail,
      /schedule "\*\/5 \* \* \* \*" starts a Job every 5 minutes and concurrencyPolicy is Allow:.*; 3 Jobs active now$/,
    );
    assert.deepEqual(f[0].field, ['spec', 'concurrencyPolicy']);
    assert.match(f[1].detail, /every 1 minute and concurrencyPolicy is Allow \(the default, not set\)/);
    assert.deepEqual(f[1].field, ['spec', 'schedule']);
  });
});

describe('registered in opsFindings', () => {
  it('the ops checks run the scheduling checks, and say whether nodes are known', () => {
    const objects = [...NODES, deployment('trainer', { nodeSelector: { pool: 'tpu' } })];
    assert.deepEqual(
      opsFindings(objects, 'live').map((f) => f.kb),
      ['KF-OPS-011'],
    );
    assert.deepEqual(opsFindings(objects, 'live', { nodes: false }), []);
  });
});
