import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { NETWORK_START } from '../../../src/hunters/apiserver/network-start.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { exposedHunters } from '../../../src/hunters/exposed/index.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { buildReport } from '../../../src/report/model.js';
import { reportSchema } from '../../../src/report/schema.js';
import { requireComponent } from '../../helpers/components.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Blocks 127.154.1.0/24 – 127.154.4.0/24 and 127.154.7.0/24: the unauthenticated network caller as a start of the attack paths,
// through the vulnerable lab's open etcd and anonymous kubelets; the default lab (etcd demanding client
// certificates, kubelets refusing anonymous callers) as the decoy that gives none.

const hunters = [...apiserverHunters, ...etcdHunters, ...kubeletHunters];
const ports = [PORTS.apiserver, PORTS.etcd, PORTS.kubelet];
const DASHBOARD = {
  name: 'system:serviceaccount:kubernetes-dashboard:kubernetes-dashboard',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kubernetes-dashboard', 'system:authenticated'],
};
const LAB_ADMIN = {
  name: 'system:serviceaccount:kube-system:lab-admin',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

/** The network start's paths, as `goal: action → subject, …`. */
function networkPaths(hunt: LabHunt): string[] {
  return hunt.findings
    .filter((f) => f.kb.startsWith('KF-PATH-') && f.identity === NETWORK_START)
    .map((f) => {
      const path = hunt.result.events.find(
        (e) => e.type === 'AttackPath' && e.from === NETWORK_START && f.object === `${e.from} → ${e.to}`,
      );
      assert.ok(path?.type === 'AttackPath', `the AttackPath of ${f.object}`);
      return `${path.to}: ${path.steps.map((s) => `${s.action} → ${s.subject}`).join(', ')}`;
    })
    .sort();
}

describe('attack paths from the network, vulnerable lab', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.154.1.2', nodes: 2, etcd: 'simulated' });
    hunt = await huntLab(lab, { hunters, ports });
  });
  after(() => lab.stop());

  it('an open etcd is every Secret and its tokens, an anonymous kubelet its pods and their node', async () => {
    assert.deepEqual(hunt.result.problems, []);
    assert.deepEqual(networkPaths(hunt), [
      'cluster-admin: etcd-token → service account kube-system/lab-admin, wildcard → cluster-admin',
      'every Secret: etcd-secrets → every Secret',
      'root on a node: kubelet-exec → root on node lab-node-1',
    ]);
    // The ground truth of each step: kube-system/lab-admin is cluster-admin and its token Secret is in etcd,
    // default/debug-tools is privileged on lab-node-1.
    assert.equal(lab.can(LAB_ADMIN, { verb: '*', group: '*', resource: '*' }), true);
    const keys = Object.keys((await lab.snapshot()).etcd ?? {});
    assert.ok(
      keys.some((k) => k.startsWith('/registry/secrets/kube-system/lab-admin-token-')),
      keys.join(' '),
    );
  });

  it('each step cites the findings that show it, and the finding its parents', () => {
    const [node] = hunt.of('KF-PATH-002', NETWORK_START);
    const run = hunt.findings.filter((f) => f.kb === 'KF-KUBELET-006' && f.host === '127.154.1.3');
    assert.equal(run.length, 1);
    assert.match(
      node.evidence,
      /^network \(no credentials\) → root on a node in 1 step \(computed from what anonymous read, not walked\): 1\. kubelet-exec → root on node lab-node-1: the kubelet at 127\.154\.1\.3:10250 \(node lab-node-1\) runs commands for anonymous callers: pod default\/debug-tools on lab-node-1, which reaches its host \[[^\]]+\]$/,
    );
    assert.ok(node.evidence.includes(run[0].id), 'the kubelet step cites KF-KUBELET-006');
    assert.ok(node.parents.includes(run[0].id));
    const listed = hunt.findings.find((f) => f.kb === 'KF-ETCD-003');
    assert.ok(listed);
    const [admin] = hunt.of('KF-PATH-001', NETWORK_START);
    assert.match(
      admin.evidence,
      /^network \(no credentials\) → cluster-admin in 2 steps \(computed from what anonymous read, not walked\): 1\. etcd-token → service account kube-system\/lab-admin: etcd at 127\.154\.1\.2:2379 lists keys without credentials: token Secret kube-system\/lab-admin-token-\S+ \[[^\]]+\]; 2\. wildcard → cluster-admin: \* \* \(ClusterRoleBinding lab-admin → ClusterRole cluster-admin\)$/,
    );
    assert.ok(admin.evidence.includes(listed.id), 'the etcd step cites KF-ETCD-003');
    const [secrets] = hunt.of('KF-PATH-003', NETWORK_START);
    assert.match(
      secrets.evidence,
      /1\. etcd-secrets → every Secret: etcd at 127\.154\.1\.2:2379 lists keys without credentials/,
    );
    assert.ok(secrets.parents.includes(listed.id));
    assert.equal(secrets.host, '127.154.1.2');
    assert.equal(secrets.port, PORTS.apiserver);
  });

  it('adds no request: passive reads only, no secret in the findings, the report carries the paths', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
    const report = buildReport(hunt.result);
    reportSchema.parse(report);
    const froms = report.paths.filter((p) => p.from === NETWORK_START).map((p) => p.to);
    assert.deepEqual(froms.sort(), ['cluster-admin', 'every Secret', 'root on a node']);
  });
});

describe('attack paths from the network, with the real etcd', () => {
  it('the same etcd steps from a real etcd without client certificates (no kubelet hunted)', async (t: TestContext) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const lab = await startLab({ profile: 'vulnerable', base: '127.154.2.2', nodes: 1, etcd: 'real' });
    try {
      const hunt = await huntLab(lab, { hunters, ports: [PORTS.apiserver, PORTS.etcd] });
      assert.deepEqual(networkPaths(hunt), [
        'cluster-admin: etcd-token → service account kube-system/lab-admin, wildcard → cluster-admin',
        'every Secret: etcd-secrets → every Secret',
        'root on a node: etcd-token → service account dev/ci-bot, create-pod-node → root on a node',
      ]);
      const keys = Object.keys((await lab.snapshot()).etcd ?? {});
      assert.ok(
        keys.some((k) => k.startsWith('/registry/secrets/')),
        'etcd holds the Secrets',
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('attack paths from the network, through the Dashboard', () => {
  it('the Dashboard without a login is its service account, bound to cluster-admin in the lab', async () => {
    const lab = await startLab({ profile: 'vulnerable', base: '127.154.4.2', nodes: 1, etcd: 'off' });
    try {
      const hunt = await huntLab(lab, {
        hunters: [...hunters, ...exposedHunters],
        ports: [PORTS.apiserver, PORTS.dashboard],
      });
      assert.deepEqual(networkPaths(hunt), [
        'cluster-admin: dashboard → service account kubernetes-dashboard/kubernetes-dashboard, wildcard → cluster-admin',
        'every Secret: dashboard → service account kubernetes-dashboard/kubernetes-dashboard, read-secrets → every Secret',
        'root on a node: dashboard → service account kubernetes-dashboard/kubernetes-dashboard, create-pod-node → root on a node',
      ]);
      assert.equal(lab.can(DASHBOARD, { verb: '*', group: '*', resource: '*' }), true);
      const [admin] = hunt.of('KF-PATH-001', NETWORK_START);
      const shown = hunt.findings.find((f) => f.kb === 'KF-DASHBOARD-001');
      assert.ok(shown && admin.parents.includes(shown.id) && admin.evidence.includes(shown.id));
      assert.match(
        admin.evidence,
        /the Dashboard at 127\.154\.4\.\d+:30000 answers without a login, acting as its service account: pod kubernetes-dashboard\/kubernetes-dashboard-\S+ runs the Dashboard/,
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('attack paths from the network, no API server read', () => {
  it('an open etcd and kubelets, no API server hunted: no path, and a gap that says why', async () => {
    const lab = await startLab({ profile: 'vulnerable', base: '127.154.7.2', nodes: 1, etcd: 'simulated' });
    try {
      const hunt = await huntLab(lab, { hunters, ports: [PORTS.etcd, PORTS.kubelet] });
      assert.deepEqual(networkPaths(hunt), []);
      const gaps = hunt.gaps.filter((g) => g.subject === `attack paths of ${NETWORK_START}`);
      assert.equal(gaps.length, 1);
      assert.equal(gaps[0].reason, 'skipped');
      assert.match(
        gaps[0].detail,
        /^no identity could read RBAC on an API server served over TLS: the paths through .*KF-ETCD-003 at 127\.154\.7\.2:2379.* were not computed$/,
      );
    } finally {
      await lab.stop();
    }
  });
});

describe('attack paths from the network, decoys', () => {
  it('the default lab (etcd demanding client certificates, kubelets refusing anonymous callers) gives none', async () => {
    const lab = await startLab({ profile: 'default', base: '127.154.3.2', nodes: 1, etcd: 'simulated' });
    try {
      // The admin reads RBAC, so paths are computed: only the network start has none.
      const hunt = await huntLab(lab, { hunters, ports, identities: [tokenIdentity(lab, 'admin')] });
      assert.equal(hunt.of('KF-PATH-001', 'admin').length, 1);
      assert.ok(
        hunt.findings.some((f) => f.kb === 'KF-ETCD-201'),
        'etcd demanded a client certificate',
      );
      assert.ok(
        hunt.findings.some((f) => f.kb === 'KF-KUBELET-201'),
        'the kubelet refused anonymous callers',
      );
      assert.deepEqual(networkPaths(hunt), []);
    } finally {
      await lab.stop();
    }
  });
});
