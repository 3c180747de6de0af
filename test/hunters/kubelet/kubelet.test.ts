import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../../src/core/events.js';
import { ABSENT_POD, kubeletDebugHandlersHunter } from '../../../src/hunters/kubelet/debug-handlers.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { call } from '../../lab/call.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt } from '../lab-hunt.js';

// Loopback block 127.60.0.0/16 (see test/README.md).

const DEBUG_HANDLER_IDS = kubeletDebugHandlersHunter.reports ?? [];

/** The lab's pods by node, from its API objects: the ground truth the hunters' findings are checked against. */
async function podsByNode(lab: Lab): Promise<Map<string, Pod[]>> {
  const pods = (await lab.snapshot()).objects['v1/pods'] as Pod[];
  const out = new Map<string, Pod[]>();
  for (const p of pods) out.set(p.spec!.nodeName!, [...(out.get(p.spec!.nodeName!) ?? []), p]);
  return out;
}

const podRef = (p: Pod) => `pod ${p.metadata!.namespace}/${p.metadata!.name}`;

function expectedPrivileged(pods: Pod[]): string[] {
  return pods
    .filter((p) =>
      [...(p.spec!.initContainers ?? []), ...p.spec!.containers].some((c) => c.securityContext?.privileged),
    )
    .map(podRef)
    .sort();
}

function expectedVarLog(pods: Pod[]): string[] {
  return pods
    .filter((p) => {
      const volumes = (p.spec!.volumes ?? []).filter((v) => {
        const path = v.hostPath ? posix.normalize(v.hostPath.path) : '';
        return ['/', '/var', '/var/log'].includes(path) || path.startsWith('/var/log/');
      });
      return p.spec!.containers.some((c) =>
        (c.volumeMounts ?? []).some((m) => !m.readOnly && volumes.some((v) => v.name === m.name)),
      );
    })
    .map(podRef)
    .sort();
}

const at = (findings: KfEvent<'Finding'>[], host: string, port: number) =>
  findings.filter((f) => f.host === host && f.port === port);

describe('kubelet hunters, vulnerable lab', () => {
  let lab: Lab;
  let hunt: LabHunt;
  let before0: Awaited<ReturnType<Lab['snapshot']>>;
  let pods: Map<string, Pod[]>;
  const nodes = () => lab.hosts.filter((h) => h.role === 'node');

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.60.0.2', nodes: 2, etcd: 'off' });
    before0 = await lab.snapshot();
    pods = await podsByNode(lab);
    hunt = await huntLab(lab, { hunters: kubeletHunters });
  });
  after(() => lab?.stop());

  it('finds the anonymous kubelet on every node, and hangs its other findings off it', () => {
    assert.deepEqual(hunt.result.problems, []);
    for (const node of nodes()) {
      const found = at(hunt.findings, node.address, PORTS.kubelet);
      const [anonymous] = found.filter((f) => f.kb === 'KF-KUBELET-001');
      assert.ok(anonymous, `KF-KUBELET-001 on ${node.name}`);
      assert.equal(anonymous.path, '/pods');
      assert.match(anonymous.evidence, /^GET \/pods → 200: PodList of \d+ pods .*, to a request without credentials$/);
      const service = hunt.result.events.find((e) => e.id === anonymous.parents[0]);
      assert.equal(service?.type, 'ServiceFound');
      for (const kb of [...DEBUG_HANDLER_IDS, 'KF-KUBELET-002', 'KF-KUBELET-009', 'KF-KUBELET-017', 'KF-KUBELET-018']) {
        const f = found.filter((x) => x.kb === kb);
        assert.equal(f.length, 1, `one ${kb} on ${node.name}:10250`);
        assert.deepEqual(f[0].parents, [anonymous.id], `${kb} hangs off the anonymous kubelet`);
      }
    }
  });

  it('reports the read-only port with what it serves', () => {
    for (const node of nodes()) {
      const found = at(hunt.findings, node.address, PORTS.kubeletReadOnly);
      const [open] = found.filter((f) => f.kb === 'KF-KUBELET-015');
      assert.ok(open, `KF-KUBELET-015 on ${node.name}`);
      assert.match(open.evidence, /serves \/pods \(\d+ pods\), \/healthz, \/metrics, \/stats\/summary, \/spec\//);
      for (const kb of ['KF-KUBELET-002', 'KF-KUBELET-009', 'KF-KUBELET-017', 'KF-KUBELET-018']) {
        assert.deepEqual(
          found.filter((f) => f.kb === kb).map((f) => f.parents),
          [[open.id]],
          `${kb} on the read-only port hangs off it`,
        );
      }
      assert.equal(
        found.filter((f) => DEBUG_HANDLER_IDS.includes(f.kb) || f.kb === 'KF-KUBELET-001').length,
        0,
        'the read-only port serves no debugging handlers',
      );
    }
  });

  it('names exactly the pods that run privileged containers or mount /var/log writable, once per node', () => {
    for (const node of nodes()) {
      const nodePods = pods.get(node.name) ?? [];
      const onNode = hunt.findings.filter((f) => f.host === node.address);
      const objects = (kb: string) =>
        onNode
          .filter((f) => f.kb === kb)
          .map((f) => f.object!)
          .sort();
      // Both ports list the same pods: a pod's facts are reported once, without a port, under the list read first.
      assert.deepEqual(objects('KF-KUBELET-010'), expectedPrivileged(nodePods), `privileged on ${node.name}`);
      assert.deepEqual(objects('KF-KUBELET-014'), expectedVarLog(nodePods), `/var/log on ${node.name}`);
      const lists = onNode.filter((f) => f.kb === 'KF-KUBELET-002');
      assert.deepEqual(lists.map((f) => f.port).sort(), [PORTS.kubelet, PORTS.kubeletReadOnly], 'a list per port');
      for (const f of onNode.filter((x) => x.kb === 'KF-KUBELET-010' || x.kb === 'KF-KUBELET-014')) {
        assert.equal(f.port, undefined);
        const listed = lists.find((l) => l.id === f.parents[0]);
        assert.ok(listed, `${f.kb} ${f.object} hangs off a /pods list`);
        assert.ok(f.evidence.endsWith(`listed at :${listed.port}/pods)`), f.evidence);
      }
    }
    const all = hunt.of('KF-KUBELET-010').map((f) => f.object);
    assert.ok(all.includes('pod default/debug-tools'));
    assert.ok(hunt.of('KF-KUBELET-014').some((f) => f.object?.startsWith('pod logging/log-collector-')));
  });

  it('chains privileged containers to the anonymous kubelet (KHV051) only on the authenticated port', () => {
    const chained = hunt.of('KF-KUBELET-011');
    assert.ok(chained.every((f) => f.port === PORTS.kubelet));
    for (const f of chained) {
      const anonymous = hunt.findings.find((x) => x.kb === 'KF-KUBELET-001' && x.host === f.host);
      const privileged = hunt.findings.filter((x) => x.kb === 'KF-KUBELET-010' && x.host === f.host);
      assert.deepEqual(f.parents, [anonymous!.id, ...privileged.map((p) => p.id)]);
    }
    assert.equal(chained.length, nodes().filter((n) => expectedPrivileged(pods.get(n.name) ?? []).length > 0).length);
  });

  it('has the version the metrics disclose published once for each kubelet port', () => {
    const versions = hunt.result.events.filter(
      (e): e is KfEvent<'Version'> => e.type === 'Version' && e.component === 'kubelet',
    );
    const ports = nodes().flatMap((n) => [`${n.address}:${PORTS.kubelet}`, `${n.address}:${PORTS.kubeletReadOnly}`]);
    assert.deepEqual(versions.map((v) => `${v.host}:${v.port}`).sort(), ports.sort());
    for (const v of versions) assert.equal(v.version, lab.version);
  });

  it('evidence of the command line and configuration says how the kubelet lets callers in', () => {
    for (const f of hunt.of('KF-KUBELET-013')) {
      assert.match(f.evidence, /^GET \/debug\/pprof\/cmdline → 200: \/usr\/bin\/kubelet with \d+ arguments: /);
      assert.match(f.evidence, /--anonymous-auth=true; --authorization-mode=AlwaysAllow/);
    }
    for (const f of hunt.of('KF-KUBELET-016')) {
      assert.match(f.evidence, /authentication\.anonymous\.enabled=true/);
      assert.match(f.evidence, /authorization\.mode=AlwaysAllow/);
    }
    for (const f of hunt.of('KF-KUBELET-012'))
      assert.match(f.evidence, /\/var\/log with \d+ entries \(.*(syslog|audit\/)/);
  });

  it('reads a few bytes of one real container log and keeps none of them', async () => {
    for (const f of hunt.of('KF-KUBELET-004')) {
      const [, namespace, pod, container] = f.path!.match(/^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/)!;
      assert.equal(f.object, `container ${namespace}/${pod}/${container}`);
      assert.match(f.evidence, /bytes of its log \(not kept\)$/);
      const log = await call(`https://${f.host}:${f.port}${f.path}`);
      assert.equal(log.status, 200);
      for (const line of log.text.split('\n').filter((l) => l.length >= 8)) {
        assert.ok(!f.evidence.includes(line.slice(0, 8)), 'no log content in the evidence');
      }
    }
  });

  it('probes exec, attach, port-forward and run without opening a stream or running anything', async () => {
    const kubelet = lab.requests.filter((r) => r.component === 'kubelet');
    const posts = kubelet.filter((r) => r.method !== 'GET');
    assert.equal(posts.length, nodes().length, 'one POST per kubelet');
    for (const r of posts) {
      assert.equal(r.method, 'POST');
      assert.match(r.path, new RegExp(`^/run/[^/]+/${ABSENT_POD}/[^/?]+\\?cmd=$`));
      assert.equal(r.status, 404);
    }
    for (const r of kubelet.filter((x) => /^\/(exec|attach|portForward)\//.test(x.path))) {
      assert.equal(r.method, 'GET');
      assert.equal(r.status, 500, `${r.path} answered "Upgrade request required"`);
    }
    for (const kb of ['KF-KUBELET-005', 'KF-KUBELET-007', 'KF-KUBELET-008']) {
      for (const f of hunt.of(kb)) {
        assert.match(
          f.evidence,
          /^GET \/(exec|portForward|attach)\/.* → 500: "Upgrade request required": .*no stream opened\)$/,
        );
      }
    }
    for (const f of hunt.of('KF-KUBELET-006')) {
      assert.match(f.evidence, /^POST \/run\/.* → 404: "pod does not exist": .*nothing ran\)$/);
    }
    assertOnlyReads(hunt);
    assert.deepEqual(await lab.snapshot(), before0, 'the hunt changed nothing in the lab');
  });

  it('keeps every secret of the lab out of the findings', () => {
    assertNoSecrets(lab, hunt.result);
  });
});

describe('kubelet hunters, hardened lab', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'hardened', base: '127.60.1.2', nodes: 2, etcd: 'off' });
    hunt = await huntLab(lab, { hunters: kubeletHunters });
  });
  after(() => lab?.stop());

  it('finds nothing but the defence: the kubelets demand credentials and there is no read-only port', () => {
    assert.deepEqual(
      hunt.findings.map((f) => `${f.kb} ${f.host}:${f.port} ${f.evidence}`).sort(),
      lab.hosts.slice(1).map((h) => `KF-KUBELET-201 ${h.address}:10250 GET /pods → 401: "Unauthorized"`),
    );
    assert.deepEqual(hunt.result.problems, []);
    const kubelet = lab.requests.filter((r) => r.component === 'kubelet');
    assert.ok(kubelet.length >= 8, 'both kubelets were asked');
    for (const r of kubelet) {
      assert.equal(r.method, 'GET');
      assert.equal(r.status, 401);
    }
    assert.ok(hunt.result.engine.huntersRun.includes('kubelet-access'));
    assert.ok(!hunt.result.engine.huntersRun.includes('kubelet-debug-handlers'), 'nothing to follow up on');
  });
});
