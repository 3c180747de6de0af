import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Identity } from '../../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { opsFindings } from '../../../src/hunters/ops/checks.js';
import type { OpsObject } from '../../../src/hunters/ops/objects.js';
import { everyMinutes, NODE_CHECKS, PENDING_PILE, schedulingFindings } from '../../../src/hunters/ops/scheduling.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { resolveLabOptions } from '../../../src/lab/options.js';
import { PENDING_NAMESPACE } from '../../../src/lab/seed-ops-sched.js';
import { call } from '../../lab/call.js';
import { assertNoSecrets, assertOnlyReads, huntApiAs, huntLab, type LabHunt } from '../lab-hunt.js';

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
      // Held back on purpose by a scheduling gate (a queue admits them): the scheduler does not retry them.
      ...Array.from({ length: 25 }, (_, i) =>
        o('Pod', {
          metadata: {
            name: `gated-${i}`,
            namespace: 'apps',
            ownerReferences: [{ kind: 'Job', name: 'gated', controller: true }],
          },
          spec: { schedulingGates: [{ name: 'kueue.x-k8s.io/admission' }], containers: [] },
          status: { phase: 'Pending' },
        }),
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
      /it says "0\/2000 nodes are available: 2000 Insufficient cpu\."; pods p-0, p-1, p-2, … \(20 in all\)$/,
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

/** The checks of this file (the other ops checks, e.g. ndots per namespace, judge the same objects). */
const scheduling = (kb: string) => ['KF-OPS-010', 'KF-OPS-011', 'KF-OPS-012', 'KF-OPS-013'].includes(kb);

describe('registered in opsFindings', () => {
  it('the ops checks run the scheduling checks, and say whether nodes are known', () => {
    const objects = [...NODES, deployment('trainer', { nodeSelector: { pool: 'tpu' } })];
    assert.deepEqual(
      opsFindings(objects, 'live')
        .map((f) => f.kb)
        .filter(scheduling),
      ['KF-OPS-011'],
    );
    assert.deepEqual(
      opsFindings(objects, 'live', { nodes: false }).filter((f) => scheduling(f.kb)),
      [],
    );
  });
});

describe('kubeferret check: the node-dependent checks need Node objects among the manifests', () => {
  const FIXTURE = 'test/fixtures/ops/scheduling.yaml';
  const check = (args: string[], input?: string) => {
    const r = spawnSync(
      process.execPath,
      ['bin/kubeferret.js', 'check', ...args, '--format', 'json', '--fail-on', 'none'],
      {
        encoding: 'utf8',
        timeout: 30_000,
        input,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as {
      findings: { kb: string; object?: string; line?: number }[];
      coverage: { reason: string; detail: string }[];
    };
  };

  it('with the nodes: each situation at its line, no decoy, no gap', () => {
    const report = check([FIXTURE]);
    assert.deepEqual(
      report.findings.filter((f) => scheduling(f.kb)).map((f) => `${f.kb} ${f.object} :${f.line}`),
      [
        'KF-OPS-010 PersistentVolume/local-ledger-0 :27',
        'KF-OPS-011 fleet/Deployment/gpu-trainer :58',
        'KF-OPS-013 fleet/CronJob/sync-inventory :83',
      ],
    );
    assert.deepEqual(report.coverage, []);
  });

  it('without them: no KF-OPS-010/011, and one operational-checks gap that says why; the rest still runs', () => {
    const withoutNodes = readFileSync(FIXTURE, 'utf8')
      .split(/^---$/m)
      .filter((doc) => !/^kind: Node$/m.test(doc))
      .join('---');
    const report = check(['-'], withoutNodes);
    assert.deepEqual(
      report.findings.filter((f) => scheduling(f.kb)).map((f) => f.kb),
      ['KF-OPS-013'],
    );
    assert.deepEqual(
      report.coverage.map((g) => `${g.reason}: ${g.detail}`),
      [
        'skipped: not judged: the nodes (no manifest is a Node): volumes on gone nodes (KF-OPS-010), work no node can run (KF-OPS-011)',
      ],
    );
  });
});

describe('the lab read through the API by the reader: each situation once, no decoy', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.141.0.2', nodes: 2, etcd: 'off' });
    hunt = await huntApiAs(lab, 'reader');
  });
  after(async () => {
    await lab?.stop();
  });
  const objectsOf = (kb: string) =>
    hunt
      .of(kb)
      .map((f) => f.object)
      .sort();
  const evidenceOf = (kb: string) => hunt.of(kb).map((f) => f.evidence ?? '');

  it('lists nodes, volumes and claims, only reads, no Secret, and no gap about the nodes', () => {
    assert.deepEqual(hunt.result.problems, []);
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
    for (const resource of ['nodes', 'persistentvolumes', 'persistentvolumeclaims']) {
      assert.ok(
        hunt.requests.some((r) => r.path.startsWith(`/api/v1/${resource}?`) && r.status === 200),
        `${resource} listed`,
      );
    }
    // The reader may list nodes; a token found on the way (the deployer's) may not, and says so.
    const gaps = hunt.gaps.filter((g) => g.detail.includes(NODE_CHECKS));
    assert.deepEqual(
      gaps.filter((g) => g.subject === 'operational checks (reader)'),
      [],
    );
    assert.equal(gaps.length, 1);
    assert.match(`${gaps[0].reason} ${gaps[0].subject}`, /^skipped operational checks \(found:dev\/deployer-token-/);
  });

  it('KF-OPS-010: the local volume on the gone node with the pod Pending on it; not the one on a lab node', () => {
    assert.deepEqual(objectsOf('KF-OPS-010'), ['PersistentVolume/local-ledger-0']);
    assert.match(
      evidenceOf('KF-OPS-010')[0],
      /local volume \/mnt\/disks\/ssd0 \(50Gi\) bound by its node affinity to node ip-10-0-9-14, not among the 2 nodes; claimed by fleet\/PersistentVolumeClaim\/data-ledger-0; 1 pod Pending on it, never to start: ledger-0/,
    );
  });

  it('KF-OPS-011: the selector no node has and the CronJob pinned to the gone node; not the decoys', () => {
    assert.deepEqual(objectsOf('KF-OPS-011'), ['fleet/CronJob/nightly-reindex', 'fleet/Deployment/gpu-trainer']);
    const gpu = hunt.of('KF-OPS-011').find((f) => f.object === 'fleet/Deployment/gpu-trainer');
    assert.match(
      gpu?.evidence ?? '',
      /nodeSelector accelerator=nvidia-a100: none of the 2 nodes matches it.*2 replicas wanted; 2 pods Pending now/,
    );
  });

  it('KF-OPS-012: the 25 pods Pending under batch-workers, once, with what the scheduler said; not the 3 of batch-small', () => {
    assert.deepEqual(objectsOf('KF-OPS-012'), ['fleet/Deployment/batch-workers']);
    assert.match(
      evidenceOf('KF-OPS-012')[0],
      /^fleet\/Deployment\/batch-workers: 25 pods Pending and not scheduled .*it says "0\/2 nodes are available: 2 Insufficient cpu\."/,
    );
  });

  it('KF-OPS-013: the CronJob every 5 minutes allowing concurrent runs; not Forbid, not every 30 minutes', () => {
    assert.deepEqual(objectsOf('KF-OPS-013'), ['fleet/CronJob/sync-inventory']);
    assert.match(
      evidenceOf('KF-OPS-013')[0],
      /schedule "\*\/5 \* \* \* \*" starts a Job every 5 minutes and concurrencyPolicy is Allow/,
    );
  });

  it('an identity that may not list nodes: the node checks are not run, and that is a skipped gap', async () => {
    const deployer = await huntApiAs(lab, 'deployer');
    assert.deepEqual(deployer.of('KF-OPS-010'), []);
    assert.deepEqual(deployer.of('KF-OPS-011'), []);
    const gaps = deployer.gaps.filter((g) => g.detail.includes(NODE_CHECKS));
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].reason, 'skipped');
    assert.match(
      gaps[0].detail,
      /^not judged: the nodes \(not listable\): volumes on gone nodes \(KF-OPS-010\) and work no node can run/,
    );
  });
});

describe('work created live: the lab schedules as the scheduler does, and the hunt sees the pile', () => {
  it('a Deployment whose selector no node has stays Pending (what the scheduler says) and is reported; one pinned to a node runs there', async () => {
    const lab = await startLab({ profile: 'default', base: '127.141.2.2', nodes: 2, etcd: 'off' });
    try {
      const token = lab.credentials.admin.token!;
      const api = (path: string, options: Parameters<typeof call>[1] = {}) =>
        call(`${lab.apiServer}${path}`, { token, ...options });
      const deploy = async (name: string, replicas: number, nodeSelector: Record<string, string>) => {
        const template = {
          metadata: { labels: { app: name } },
          spec: { nodeSelector, containers: [{ name: 'c', image: 'registry.example/c:1' }] },
        };
        const r = await api('/apis/apps/v1/namespaces/dev/deployments', {
          method: 'POST',
          body: { metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template } },
        });
        assert.equal(r.status, 201, r.text);
        return (await api(`/api/v1/namespaces/dev/pods?labelSelector=app%3D${name}`)).json.items as {
          spec: { nodeName?: string };
          status: { phase: string; conditions?: { type: string; message?: string }[] };
        }[];
      };
      const late = await deploy('late-trainer', PENDING_PILE + 1, { pool: 'retired' });
      assert.equal(late.length, PENDING_PILE + 1);
      for (const p of late) {
        assert.equal(p.status.phase, 'Pending');
        assert.equal(p.spec.nodeName, undefined);
        assert.match(
          p.status.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '',
          /^0\/2 nodes are available: 2 node\(s\) didn't match Pod's node affinity\/selector\.$/,
        );
      }
      const pinned = await deploy('pinned', 2, { 'kubernetes.io/hostname': 'lab-node-2' });
      assert.deepEqual(
        pinned.map((p) => [p.status.phase, p.spec.nodeName]),
        [
          ['Running', 'lab-node-2'],
          ['Running', 'lab-node-2'],
        ],
      );
      // The seeded CronJobs are part of the picture: a day of lab time fires none of them.
      lab.clock.advance(86_400);
      assert.deepEqual((await api('/apis/batch/v1/namespaces/fleet/jobs')).json.items, []);
      const hunt = await huntApiAs(lab, 'reader');
      const about = (kb: string) => hunt.of(kb).filter((f) => f.object?.startsWith('dev/'));
      assert.deepEqual(
        about('KF-OPS-011').map((f) => f.object),
        ['dev/Deployment/late-trainer'],
      );
      assert.deepEqual(
        about('KF-OPS-012').map((f) => f.object),
        ['dev/Deployment/late-trainer'],
      );
      assert.match(
        about('KF-OPS-012')[0].evidence ?? '',
        /21 pods Pending and not scheduled.*it says "0\/2 nodes are available/,
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('an identity that may list nodes but not volumes', () => {
  it('judges the placements, not the volumes, and says so as a skipped gap', async () => {
    const lab = await startLab({ profile: 'default', base: '127.141.6.2', nodes: 1, etcd: 'off' });
    try {
      const token = lab.credentials.admin.token!;
      const api = (path: string, body: object) =>
        call(`${lab.apiServer}${path}`, { token, method: 'POST', body }).then((r) => {
          assert.ok(r.status < 300, `${path}: ${r.status} ${r.text}`);
          return r.json;
        });
      await api('/api/v1/namespaces/dev/serviceaccounts', { metadata: { name: 'placer' } });
      await api('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { name: 'placer' },
        rules: [
          { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list'] },
          { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
        ],
      });
      await api('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        metadata: { name: 'placer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'placer' },
        subjects: [{ kind: 'ServiceAccount', name: 'placer', namespace: 'dev' }],
      });
      const issued = await api('/api/v1/namespaces/dev/serviceaccounts/placer/token', { spec: {} });
      const placer = new Identity('placer', 'token', undefined, {
        token: issued.status.token,
        trust: { tls: 'unverified' },
      });
      const hunt = await huntLab(lab, { hunters: apiserverHunters, ports: [PORTS.apiserver], identities: [placer] });
      assert.deepEqual(
        hunt.of('KF-OPS-011').map((f) => f.object),
        ['fleet/Deployment/gpu-trainer'],
        'no CronJobs readable: only the Deployment',
      );
      assert.deepEqual(hunt.of('KF-OPS-010'), []);
      const gaps = hunt.gaps.filter((g) => g.subject === 'operational checks (placer)');
      assert.deepEqual(
        gaps.map((g) => `${g.reason}: ${g.detail}`),
        [
          "skipped: not judged: the PersistentVolumes (not listable): volumes on gone nodes (KF-OPS-010); the HorizontalPodAutoscalers of every namespace (not listable): autoscaled workloads whose applied configuration sets replicas (KF-OPS-001); the StatefulSets (not listable), CronJobs (not listable) of every namespace: their checks outside what was read (KF-OPS-001, KF-OPS-002, KF-OPS-003, KF-OPS-005, KF-OPS-007, KF-OPS-011, KF-OPS-012, KF-OPS-013); kube-system's ConfigMaps (not listable): CoreDNS's Corefile (KF-OPS-006), kube-proxy's IPVS UDP timeout (KF-OPS-008); the DaemonSets of every namespace (not listable): a node-local DNS cache in a large cluster (KF-OPS-009), per-node agents (KF-OPS-002, KF-OPS-004, KF-OPS-014)",
        ],
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('--pending-pods: thousands of pods Pending, one finding per owner', () => {
  it('3,000 pods under three Deployments: three KF-OPS-012 with the counts, no flood', async () => {
    const lab = await startLab({
      profile: 'default',
      base: '127.141.1.2',
      nodes: 1,
      etcd: 'off',
      scale: { pendingPods: 3000 },
    });
    try {
      const hunt = await huntApiAs(lab, 'reader');
      assert.deepEqual(hunt.result.problems, []);
      const piles = hunt.of('KF-OPS-012').filter((f) => f.object?.startsWith(`${PENDING_NAMESPACE}/`));
      assert.deepEqual(
        piles.map((f) => f.object).sort(),
        [1, 2, 3].map((i) => `${PENDING_NAMESPACE}/Deployment/a-bulk-pending-${i}`),
      );
      for (const f of piles) assert.match(f.evidence ?? '', /: 1000 pods Pending and not scheduled/);
      assert.equal(
        hunt.of('KF-OPS-011').filter((f) => f.object?.startsWith(`${PENDING_NAMESPACE}/`)).length,
        3,
        'each owner can never be scheduled: one finding each',
      );
      assert.ok(hunt.findings.length < 100, `${hunt.findings.length} findings in all: no finding per pod`);
    } finally {
      await lab.stop();
    }
  });

  it('a bad count is one clear line', () => {
    assert.throws(
      () => resolveLabOptions({ scale: { pendingPods: -1 } }),
      /^UsageError: --pending-pods takes a whole number from 0 to/,
    );
    const r = spawnSync(process.execPath, ['bin/kubeferret.js', 'lab', '--pending-pods', 'many'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^kubeferret: .*--pending-pods.*\n$/);
  });
});
