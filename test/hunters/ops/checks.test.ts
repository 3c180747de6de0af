import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectHunters } from '../../../src/cli/flags/select.js';
import { HUNTERS } from '../../../src/hunters/index.js';
import { OPS_KB } from '../../../src/hunters/ops/objects.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntApiAs, type LabHunt } from '../lab-hunt.js';

// Block 127.135.0.0/16: the operational-risk checks, live through the API against the lab's seeded
// situations and their decoys (src/lab/seed-ops.ts).

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.135.0.2', nodes: 2, etcd: 'off' });
  hunt = await huntApiAs(lab, 'reader');
});

after(async () => {
  await lab?.stop();
});

const objectsOf = (kb: string) => hunt.of(kb).map((f) => f.object);

describe('operational risks read through the API by the reader (no Secrets)', () => {
  it('runs without problems, only reads, and never asks for a Secret', () => {
    assert.deepEqual(hunt.result.problems, []);
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
    assert.equal(lab.can('reader', { verb: 'list', group: '', resource: 'secrets' }), false);
    assert.ok(
      hunt.requests.some(
        (r) => r.path.startsWith('/apis/autoscaling/v1/horizontalpodautoscalers?') && r.status === 200,
      ),
      'the autoscalers are listed',
    );
  });

  it('KF-OPS-001: the autoscaled Deployment whose last-applied configuration sets replicas, once; not the decoy', () => {
    assert.deepEqual(objectsOf('KF-OPS-001'), ['fleet/Deployment/checkout']);
    assert.match(
      hunt.of('KF-OPS-001')[0].evidence ?? '',
      /HorizontalPodAutoscaler checkout \(3-40 replicas\).*spec\.replicas 3 \(now 12\)/,
    );
  });

  it('KF-OPS-002: the DaemonSet with a :latest image, once, with its node count; not the one pinned by digest', () => {
    // fleet/Deployment/storefront too: test/hunters/ops/agents.test.ts.
    assert.deepEqual(objectsOf('KF-OPS-002'), ['fleet/DaemonSet/log-shipper', 'fleet/Deployment/storefront']);
    const evidence = hunt.of('KF-OPS-002')[0].evidence ?? '';
    assert.match(evidence, /container shipper: image registry\.example\/log-shipper:latest/);
    assert.match(evidence, /runs on 2 nodes, so each rollout is 2 pulls at once/);
  });

  it('KF-OPS-003: the two-hour grace period, once; not the one of exactly an hour', () => {
    assert.deepEqual(objectsOf('KF-OPS-003'), ['fleet/Deployment/batch-drain']);
    assert.match(hunt.of('KF-OPS-003')[0].evidence ?? '', /terminationGracePeriodSeconds 7200 \(2\.0 h/);
  });

  it('KF-OPS-004: the system-node-critical DaemonSet with 1 CPU and 2 GiB, once; not the small one nor the one without priority', () => {
    // fleet/DaemonSet/cache-warmer too, which does not fit a node: test/hunters/ops/agents.test.ts.
    assert.deepEqual(objectsOf('KF-OPS-004').sort(), ['fleet/DaemonSet/cache-warmer', 'fleet/DaemonSet/gpu-monitor']);
    assert.match(
      hunt.of('KF-OPS-004').find((f) => f.object === 'fleet/DaemonSet/gpu-monitor')?.evidence ?? '',
      /priority class system-node-critical \(2000001000\) and requests of 1000m CPU and 2\.00 GiB per node; on 2 nodes: 2\.0 cores and 4\.0 GiB/,
    );
  });

  it('KF-OPS-005: the exec probe of 1 s without an init, once, version-aware; not 5 s, not a shared process namespace', () => {
    assert.deepEqual(objectsOf('KF-OPS-005'), ['fleet/Deployment/report-builder']);
    const minor = Number(lab.version.split('.')[1]);
    assert.match(
      hunt.of('KF-OPS-005')[0].evidence ?? '',
      new RegExp(
        `container report-builder livenessProbe \`sh -c pg_isready -h 127\\.0\\.0\\.1\` \\(timeoutSeconds 1\\).*on Kubernetes 1\\.${minor} `,
      ),
    );
  });

  it('finds no operational risk outside the seeded situations', () => {
    // The DNS situations (KF-OPS-006…) are test/hunters/ops/dns.test.ts's.
    const first = new Set<string>(Object.values(OPS_KB));
    const ops = hunt.findings.filter((f) => first.has(f.kb)).map((f) => f.object);
    assert.deepEqual(
      ops.sort(),
      [
        'fleet/DaemonSet/cache-warmer',
        'fleet/DaemonSet/gpu-monitor',
        'fleet/DaemonSet/log-shipper',
        'fleet/DaemonSet/pod-watcher',
        'fleet/Deployment/batch-drain',
        'fleet/Deployment/checkout',
        'fleet/Deployment/report-builder',
        'fleet/Deployment/storefront',
        // the scheduling situations (src/lab/seed-ops-sched.ts, test/hunters/ops/scheduling.test.ts)
        'fleet/CronJob/nightly-reindex',
        'fleet/CronJob/sync-inventory',
        'fleet/Deployment/batch-workers',
        'fleet/Deployment/gpu-trainer',
        'PersistentVolume/local-ledger-0',
      ].sort(),
    );
  });
});

describe('version-aware: exec probe timeouts before 1.20', () => {
  it('on a 1.19 lab the finding says the timeout is not enforced at all', async () => {
    const old = await startLab({ profile: 'default', base: '127.135.1.2', nodes: 1, etcd: 'off', version: 'v1.19.16' });
    try {
      const h = await huntApiAs(old, 'reader');
      assert.deepEqual(
        h.of('KF-OPS-005').map((f) => f.object),
        ['fleet/Deployment/report-builder'],
      );
      assert.match(h.of('KF-OPS-005')[0].evidence ?? '', /on Kubernetes 1\.19 exec probe timeouts are not enforced/);
    } finally {
      await old.stop();
    }
  });
});

describe('operational risks with an identity that may list pods but not autoscalers', () => {
  it('the deployer (pods in dev only) reports no KF-OPS-001 and asks for the autoscalers, refused', async () => {
    const deployer = await huntApiAs(lab, 'deployer');
    assert.deepEqual(deployer.of('KF-OPS-001'), []);
    const asked = deployer.requests.filter((r) => r.path.includes('horizontalpodautoscalers'));
    assert.ok(asked.length > 0 && asked.every((r) => r.status === 403), 'autoscalers asked, refused');
  });
});

describe('choosing the operational-risk checks', () => {
  it('`--only ops` names the hunter that runs them; a word that names nothing is one clear error', () => {
    const chosen = selectHunters(HUNTERS, { only: ['ops'] });
    assert.ok(chosen?.hunters.some((h) => h.id === 'apiserver-workloads'));
    assert.ok(!chosen?.hunters.some((h) => h.id === 'kubelet-active-container-logs'));
    assert.throws(() => selectHunters(HUNTERS, { only: ['opz'] }), /"opz" names no hunter/);
  });
});
