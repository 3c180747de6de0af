import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { type CliRun, runProcess } from '../helpers/cli.js';
import { hasCommand, requireComponent } from '../helpers/components.js';

// Loopback block 127.16.0.0/16 (see test/README.md). Proof by the real client: Debian's kubectl 1.32.

const home = mkdtempSync(join(tmpdir(), 'kf-kubectl-'));

/** Runs kubectl with a throw-away HOME and KUBECONFIG, so no user configuration is read. */
function kubectl(args: string[], kubeconfig = join(home, 'none')): Promise<CliRun> {
  return runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig });
}

/** The rows of a kubectl table, split on runs of spaces. */
const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe('kubectl against the vulnerable lab', () => {
  let lab: Lab | undefined;
  const insecure = ['-s', 'http://127.16.0.2:8080'];
  let secure: string[];
  before(async () => {
    if (!hasCommand('kubectl')) return;
    lab = await startLab({ base: '127.16.0.2', etcd: 'off' });
    secure = ['-s', lab.apiServer, '--insecure-skip-tls-verify'];
  });
  after(() => lab?.stop());

  it('prints the server version through the insecure port', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const r = await kubectl([...insecure, 'version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Client Version: v1\.32\./m);
    assert.match(r.stdout, /^Server Version: v1\.16\.0$/m);
    assert.ok(lab!.requests.some((q) => q.path.startsWith('/version') && q.identity === 'system:unsecured'));
  });

  it('lists every pod as JSON', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const r = await kubectl([...insecure, 'get', 'pods', '-A', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout);
    assert.equal(list.kind, 'List');
    const names = list.items.map(
      (p: { metadata: { namespace: string; name: string } }) => `${p.metadata.namespace}/${p.metadata.name}`,
    );
    assert.ok(names.includes('default/debug-tools'));
    assert.ok(names.some((n: string) => n.startsWith('logging/log-collector-')));
    assert.equal(
      list.items.find((p: { metadata: { name: string } }) => p.metadata.name === 'debug-tools').spec.containers[0]
        .securityContext.privileged,
      true,
    );
    assert.equal(list.items.length, (await lab!.snapshot()).objects['v1/pods'].length);
  });

  it('prints nodes and secrets as tables', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const nodes = await kubectl([...insecure, 'get', 'nodes']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.deepEqual(rows(nodes.stdout), [
      ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      ['lab-node-1', 'Ready', '<none>', '9d', 'v1.16.0'],
      ['lab-node-2', 'Ready', '<none>', '9d', 'v1.16.0'],
    ]);
    const secrets = await kubectl([...insecure, 'get', 'secrets']);
    assert.equal(secrets.code, 0, secrets.stderr);
    const table = rows(secrets.stdout);
    assert.deepEqual(table[0], ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.ok(table.some((row) => row.join(' ') === 'db-credentials Opaque 2 9d'));
    assert.ok(
      table.some((row) => row[0].startsWith('default-token-') && row[1] === 'kubernetes.io/service-account-token'),
    );
  });

  it('checks and uses a service-account token on 6443', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const token = lab!.credentials.admin.token!;
    const can = await kubectl([...secure, '--token', token, 'auth', 'can-i', 'create', 'pods']);
    assert.equal(can.code, 0, can.stderr);
    assert.equal(can.stdout, 'yes\n');
    const pods = await kubectl([...secure, '--token', token, 'get', 'pods', '-n', 'kube-system']);
    assert.equal(pods.code, 0, pods.stderr);
    assert.deepEqual(rows(pods.stdout)[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.ok(rows(pods.stdout).some((row) => row[0].startsWith('coredns-') && row[2] === 'Running'));
    assert.ok(
      lab!.requests.some((q) => q.port === 6443 && q.identity === 'system:serviceaccount:kube-system:lab-admin'),
    );
  });

  it('prints Forbidden for a token without rights', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const token = lab!.credentials.nobody.token!;
    const pods = await kubectl([...secure, '--token', token, 'get', 'pods']);
    assert.equal(pods.code, 1);
    assert.equal(
      pods.stderr.trim(),
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:nobody" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const can = await kubectl([...secure, '--token', token, 'auth', 'can-i', 'create', 'pods']);
    assert.equal(can.code, 1);
    assert.equal(can.stdout, 'no\n');
  });
});

describe('kubectl against the default lab, with kubeconfigs', () => {
  let lab: Lab | undefined;
  before(async () => {
    if (!hasCommand('kubectl')) return;
    lab = await startLab({ base: '127.16.1.2', profile: 'default', etcd: 'off', nodes: 1 });
  });
  after(() => lab?.stop());

  it('works with a token kubeconfig that verifies the lab CA (aggregated discovery, 1.32)', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const file = join(home, 'reader.kubeconfig');
    lab!.kubeconfig('reader', file);
    const pods = await kubectl(['get', 'pods', '-A'], file);
    assert.equal(pods.code, 0, pods.stderr);
    assert.deepEqual(rows(pods.stdout)[0], ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    const secrets = await kubectl(['auth', 'can-i', 'list', 'secrets'], file);
    assert.equal(secrets.stdout, 'no\n');
    const whoami = await kubectl(['auth', 'whoami', '-o', 'json'], file);
    assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, 'system:serviceaccount:default:reader');
  });

  it('works with a client-certificate kubeconfig', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const file = join(home, 'jane.kubeconfig');
    lab!.kubeconfig('jane', file);
    const ns = await kubectl(['get', 'namespaces', '-o', 'name'], file);
    assert.equal(ns.code, 0, ns.stderr);
    assert.ok(ns.stdout.split('\n').includes('namespace/kube-system'));
    const secrets = await kubectl(['get', 'secrets', '-n', 'default'], file);
    assert.equal(secrets.code, 1);
    assert.match(
      secrets.stderr,
      /^Error from server \(Forbidden\): secrets is forbidden: User "jane" cannot list resource "secrets"/,
    );
  });

  it('creates, labels and deletes a pod', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const file = join(home, 'deployer.kubeconfig');
    lab!.kubeconfig('deployer', file);
    const manifest = join(home, 'pod.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'kf-kubectl' },
        spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
      }),
    );
    const before = await lab!.snapshot();
    const created = await kubectl(['create', '-f', manifest], file);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'pod/kf-kubectl created\n');
    const labelled = await kubectl(['label', 'pod', 'kf-kubectl', 'probe=yes'], file);
    assert.equal(labelled.stdout, 'pod/kf-kubectl labeled\n');
    const shown = await kubectl(
      ['get', 'pod', 'kf-kubectl', '-o', 'jsonpath={.metadata.labels.probe} {.status.phase}'],
      file,
    );
    assert.equal(shown.stdout, 'yes Running');
    const deleted = await kubectl(['delete', 'pod', 'kf-kubectl'], file);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(await lab!.snapshot(), before);
  });
});

describe('kubectl: the pods of DaemonSets and CoreDNS as a real cluster has them', () => {
  // Loopback block 127.151.3.0/24 (of 127.151.0.0/16, see test/README.md).
  let lab: Lab | undefined;
  let file: string;
  before(async () => {
    if (!hasCommand('kubectl')) return;
    lab = await startLab({ base: '127.151.3.2', profile: 'default', etcd: 'off', nodes: 2 });
    file = join(home, 'kubernetes-admin-151.kubeconfig');
    lab.kubeconfig('kubernetes-admin', file);
  });
  after(() => lab?.stop());

  type Toleration = { key?: string; operator?: string; effect?: string; tolerationSeconds?: number };
  type PodItem = {
    metadata: { namespace: string; name: string; ownerReferences?: { kind: string; name: string }[] };
    spec: { hostNetwork?: boolean; nodeName?: string; tolerations?: Toleration[] };
  };
  const pods = async (): Promise<PodItem[]> => {
    const r = await kubectl(['get', 'pods', '-A', '-o', 'json'], file);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).items;
  };
  /** What the DaemonSet controller adds (kube-controller-manager's AddOrUpdateDaemonPodTolerations). */
  const controllers = (hostNetwork: boolean) => [
    'node.kubernetes.io/not-ready:NoExecute',
    'node.kubernetes.io/unreachable:NoExecute',
    'node.kubernetes.io/disk-pressure:NoSchedule',
    'node.kubernetes.io/memory-pressure:NoSchedule',
    'node.kubernetes.io/pid-pressure:NoSchedule',
    'node.kubernetes.io/unschedulable:NoSchedule',
    ...(hostNetwork ? ['node.kubernetes.io/network-unavailable:NoSchedule'] : []),
  ];
  const added = (p: PodItem) =>
    (p.spec.tolerations ?? [])
      .filter((t) => t.key?.startsWith('node.kubernetes.io/') && t.tolerationSeconds === undefined)
      .map((t) => `${t.key}:${t.effect}`);
  const ownerKind = (p: PodItem) => p.metadata.ownerReferences?.[0]?.kind;

  it("every daemon pod has the controller's tolerations, forever; other pods DefaultTolerationSeconds' 300 s", async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const all = await pods();
    const daemons = all.filter((p) => ownerKind(p) === 'DaemonSet');
    assert.ok(
      daemons.some((p) => p.metadata.name.startsWith('kube-proxy-')),
      'kube-proxy is among them',
    );
    assert.ok(
      daemons.some((p) => p.spec.hostNetwork !== true),
      'and pods off the host network',
    );
    for (const p of daemons) {
      assert.deepEqual(added(p), controllers(p.spec.hostNetwork === true), p.metadata.name);
      assert.ok(!p.spec.tolerations?.some((x) => x.tolerationSeconds !== undefined), p.metadata.name);
    }
    const kubeProxy = daemons.find((p) => p.metadata.name.startsWith('kube-proxy-'))!;
    // kubeadm's template tolerations first (one of them tolerates everything), then the controller's.
    assert.deepEqual(kubeProxy.spec.tolerations?.slice(0, 2), [
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { operator: 'Exists' },
    ]);
    const web = all.find((p) => p.metadata.name.startsWith('web-'))!;
    assert.deepEqual(
      web.spec.tolerations?.map((x) => `${x.key}:${x.effect}:${x.tolerationSeconds}`),
      ['node.kubernetes.io/not-ready:NoExecute:300', 'node.kubernetes.io/unreachable:NoExecute:300'],
    );
    const ds = await kubectl(['get', 'daemonset', 'kube-proxy', '-n', 'kube-system', '-o', 'json'], file);
    assert.deepEqual(
      JSON.parse(ds.stdout).spec.template.spec.tolerations,
      [{ key: 'CriticalAddonsOnly', operator: 'Exists' }, { operator: 'Exists' }],
      'the template says only what kubeadm wrote',
    );
  });

  it('every DaemonSet has its pods on the nodes it may run on, Pending where they do not fit, its status counting them', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const r = await kubectl(['get', 'daemonsets', '-A', '-o', 'json'], file);
    assert.equal(r.code, 0, r.stderr);
    const all = await pods();
    type Status = { desiredNumberScheduled: number; currentNumberScheduled: number; numberReady: number };
    const daemonSets = JSON.parse(r.stdout).items as {
      metadata: { namespace: string; name: string };
      status: Status;
    }[];
    assert.ok(daemonSets.length >= 10, `${daemonSets.length} DaemonSets`);
    for (const ds of daemonSets) {
      const own = all.filter(
        (p) =>
          p.metadata.namespace === ds.metadata.namespace && p.metadata.ownerReferences?.[0]?.name === ds.metadata.name,
      );
      const where = `${ds.metadata.namespace}/${ds.metadata.name}`;
      assert.equal(ds.status.desiredNumberScheduled, 2, where);
      assert.equal(own.length, 2, `${where}: one pod per node`);
      // As the DaemonSet controller counts them: a Pending pod pinned to its node is scheduled there.
      assert.equal(ds.status.currentNumberScheduled, own.length, where);
    }
    // cache-warmer's 2.5 CPUs do not fit what the first node has left: Pending there, as the scheduler says.
    const warmers = all.filter((p) => p.metadata.name.startsWith('cache-warmer-'));
    assert.deepEqual(warmers.map((p) => p.spec.nodeName ?? 'Pending').sort(), ['Pending', 'lab-node-2']);
    const table = await kubectl(['get', 'daemonset', 'cache-warmer', '-n', 'fleet'], file);
    assert.deepEqual(rows(table.stdout)[1].slice(0, 6), ['cache-warmer', '2', '2', '1', '2', '1']);
    const describe = await kubectl(['describe', 'node', 'lab-node-1'], file);
    assert.match(describe.stdout, /^\s+cpu\s+15850m \(99%\)/m, 'the first node full of requests');
    const shipper = daemonSets.find((d) => d.metadata.name === 'log-shipper')!;
    assert.equal(shipper.status.numberReady, 0, 'crash-looping pods are not ready');
  });

  it('CoreDNS runs 2 replicas, one on each node, both behind kube-dns, the template without what admission added', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const coredns = (await pods()).filter((p) => p.metadata.name.startsWith('coredns-'));
    assert.deepEqual(coredns.map((p) => p.spec.nodeName).sort(), ['lab-node-1', 'lab-node-2']);
    const deploy = await kubectl(['get', 'deployment', 'coredns', '-n', 'kube-system'], file);
    assert.match(deploy.stdout, /^coredns\s+2\/2\s+2\s+2\s/m);
    const template = JSON.parse(
      (await kubectl(['get', 'deployment', 'coredns', '-n', 'kube-system', '-o', 'json'], file)).stdout,
    ).spec.template.spec;
    assert.equal(template.priority, undefined, 'the Priority admission plugin sets it on pods only');
    assert.ok(!template.tolerations.some((x: Toleration) => x.tolerationSeconds !== undefined));
    assert.equal(template.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight, 100);
    const ep = await kubectl(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '-o', 'json'], file);
    assert.equal(JSON.parse(ep.stdout).subsets[0].addresses.length, 2);
  });

  it('a DaemonSet applied through kubectl gets pods with the tolerations (network-unavailable only on the host network)', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const manifest = join(home, 'agents.yaml');
    const ds = (name: string, hostNetwork: boolean, nodeSelector?: Record<string, string>) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            hostNetwork,
            nodeSelector,
            // The controller's own toleration with a period: replaced by its own, forever.
            tolerations: [
              { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
            ],
            containers: [{ name, image: `registry.example/${name}:1.0.0` }],
          },
        },
      },
    });
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [ds('agent', false), ds('net', true), ds('pinned', false, { 'kubernetes.io/hostname': 'lab-node-1' })],
      }),
    );
    const apply = await kubectl(['apply', '-f', manifest], file);
    assert.equal(apply.code, 0, apply.stderr);
    const made = (await pods()).filter((p) => p.metadata.namespace === 'default' && ownerKind(p) === 'DaemonSet');
    assert.equal(made.length, 5, 'one pod per DaemonSet and node it may run on');
    // Only where its node selector lets it run, as its status says.
    const pinned = made.filter((p) => p.metadata.name.startsWith('pinned-'));
    assert.deepEqual(
      pinned.map((p) => p.spec.nodeName),
      ['lab-node-1'],
    );
    const status = await kubectl(
      ['get', 'daemonset', 'pinned', '-o', 'jsonpath={.status.desiredNumberScheduled}'],
      file,
    );
    assert.equal(status.stdout, '1');
    for (const p of made) {
      assert.deepEqual(added(p), controllers(p.spec.hostNetwork === true), p.metadata.name);
      assert.equal(p.spec.tolerations?.length, controllers(p.spec.hostNetwork === true).length, p.metadata.name);
    }
  });
});

describe("kubectl: the Deployments' ReplicaSets and pods, and the daemon pods' labels, as a real cluster has them", () => {
  // Loopback block 127.155.1.0/24 (of 127.155.0.0/16, see test/README.md). One node: it holds every pod.
  let lab: Lab | undefined;
  let file: string;
  before(async () => {
    if (!hasCommand('kubectl')) return;
    lab = await startLab({ base: '127.155.1.2', profile: 'default', etcd: 'off', nodes: 1 });
    file = join(home, 'kubernetes-admin-155.kubeconfig');
    lab.kubeconfig('kubernetes-admin', file);
  });
  after(() => lab?.stop());

  type Meta = {
    namespace: string;
    name: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  type Item = {
    metadata: Meta;
    spec: {
      replicas?: number;
      nodeName?: string;
      affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown } };
    };
    status: Record<string, unknown> & { conditions?: { type: string; status: string; message?: string }[] };
  };
  const list = async (what: string): Promise<Item[]> => {
    const r = await kubectl(['get', what, '-A', '-o', 'json'], file);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).items;
  };
  const ownedBy = (owner: Item) => (o: Item) =>
    o.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid) ?? false;
  const ready = (p: Item) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

  it('every Deployment has its ReplicaSet and its pods, their statuses counting the pods, on a node of 250 pods', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const [deployments, sets, pods] = [await list('deployments'), await list('replicasets'), await list('pods')];
    assert.ok(deployments.length >= 19, `${deployments.length} Deployments`);
    for (const d of deployments) {
      const where = `${d.metadata.namespace}/${d.metadata.name}`;
      const own = sets.filter(ownedBy(d));
      assert.equal(own.length, 1, `${where}: one ReplicaSet`);
      const rs = own[0];
      const hash = rs.metadata.labels?.['pod-template-hash'];
      assert.equal(rs.metadata.name, `${d.metadata.name}-${hash}`, where);
      const runs = pods.filter(ownedBy(rs));
      assert.equal(runs.length, d.spec.replicas, `${where}: a pod per replica`);
      assert.ok(
        runs.every((p) => p.metadata.labels?.['pod-template-hash'] === hash),
        where,
      );
      const n = (v: unknown) => Number(v ?? 0);
      assert.equal(n(rs.status.replicas), runs.length, `${where}: ReplicaSet status`);
      assert.equal(n(rs.status.readyReplicas), runs.filter(ready).length, where);
      assert.equal(n(d.status.replicas), runs.length, `${where}: Deployment status`);
      assert.equal(n(d.status.updatedReplicas), runs.length, where);
      assert.equal(n(d.status.readyReplicas), runs.filter(ready).length, where);
      assert.equal(n(d.status.availableReplicas), runs.filter(ready).length, where);
    }
    const table = await kubectl(['get', 'deployments', '-n', 'fleet'], file);
    const shown = new Map(rows(table.stdout).map((r) => [r[0], r.slice(1, 4).join(' ')]));
    assert.equal(shown.get('storefront'), '60/60 60 60');
    assert.equal(shown.get('cpu-trainer'), '1/1 1 1', 'its node selector (amd64) matches the node: it runs');
    assert.equal(shown.get('gpu-trainer'), '0/2 2 0', 'no node has an A100: Pending');
    assert.equal(shown.get('gpu-trainer-idle'), '0/0 0 0', 'scaled to zero');
    // The Pending ones say why, as the scheduler does; the rest run on the one node, within its 250 pods.
    const gpu = pods.filter((p) => p.metadata.name.startsWith('gpu-trainer-'));
    assert.ok(gpu.every((p) => p.status.phase === 'Pending' && !p.spec.nodeName));
    assert.match(
      String(gpu[0].status.conditions?.[0]?.message),
      /^0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/,
    );
    const bound = pods.filter((p) => p.spec.nodeName === 'lab-node-1');
    assert.ok(bound.length > 110 && bound.length <= 250, `${bound.length} pods on the node`);
    const node = await kubectl(['get', 'node', 'lab-node-1', '-o', 'jsonpath={.status.allocatable.pods}'], file);
    assert.equal(node.stdout, '250');
    const describe = await kubectl(['describe', 'node', 'lab-node-1'], file);
    assert.match(describe.stdout, new RegExp(`^Non-terminated Pods:\\s+\\(${bound.length} in total\\)`, 'm'));
  });

  it("scaling a seeded Deployment acts on its seeded ReplicaSet's pods; a Deployment that is not there is NotFound", async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const previewPods = async () => (await list('pods')).filter((p) => p.metadata.name.startsWith('preview-'));
    const before = await previewPods();
    assert.equal(before.length, 2);
    const up = await kubectl(['scale', 'deployment', 'preview', '-n', 'fleet', '--replicas', '4'], file);
    assert.equal(up.code, 0, up.stderr);
    const after4 = await previewPods();
    assert.equal(after4.length, 4);
    assert.deepEqual(
      new Set(after4.map((p) => p.metadata.ownerReferences?.[0]?.name)),
      new Set(before.map((p) => p.metadata.ownerReferences?.[0]?.name)),
      'the same ReplicaSet, no second revision',
    );
    const down = await kubectl(['scale', 'deployment', 'preview', '-n', 'fleet', '--replicas', '0'], file);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await previewPods()).length, 0);
    const missing = await kubectl(['scale', 'deployment', 'no-such', '-n', 'fleet', '--replicas', '1'], file);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /deployments\.apps "no-such" not found/);
  });

  it('a Deployment made through kubectl whose pods no node takes says 0/2, as its controller counts the pods', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const manifest = join(home, 'nowhere.json');
    const deployment = (selector: Record<string, string>) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'nowhere', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'nowhere' } },
        template: {
          metadata: { labels: { app: 'nowhere' } },
          spec: { nodeSelector: selector, containers: [{ name: 'c', image: 'registry.example/nowhere:1.0.0' }] },
        },
      },
    });
    writeFileSync(manifest, JSON.stringify(deployment({ accelerator: 'none' })));
    const apply = await kubectl(['apply', '-f', manifest], file);
    assert.equal(apply.code, 0, apply.stderr);
    const table = await kubectl(['get', 'deployment', 'nowhere'], file);
    assert.deepEqual(rows(table.stdout)[1].slice(0, 4), ['nowhere', '0/2', '2', '0']);
    const pods = (await list('pods')).filter((p) => p.metadata.name.startsWith('nowhere-'));
    assert.deepEqual(
      pods.map((p) => p.status.phase),
      ['Pending', 'Pending'],
    );
    // Given a selector the node has, the new ReplicaSet's pods run: 2/2, revision 2.
    writeFileSync(manifest, JSON.stringify(deployment({ 'kubernetes.io/os': 'linux' })));
    assert.equal((await kubectl(['apply', '-f', manifest], file)).code, 0);
    const after = await kubectl(['get', 'deployment', 'nowhere'], file);
    assert.deepEqual(rows(after.stdout)[1].slice(0, 4), ['nowhere', '2/2', '2', '2']);
    const history = await kubectl(['rollout', 'history', 'deployment/nowhere'], file);
    assert.deepEqual(rows(history.stdout).slice(1), [
      ['REVISION', 'CHANGE-CAUSE'],
      ['1', '<none>'],
      ['2', '<none>'],
    ]);
  });

  it('Pod Security Admission refuses Pod Security labels it cannot parse, on create and on update (422 Invalid)', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const manifest = join(home, 'psa-bogus.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: 'psa-bogus',
          labels: { 'pod-security.kubernetes.io/enforce': 'bogus', 'pod-security.kubernetes.io/warn-version': 'v1.x' },
        },
      }),
    );
    const bogus = await kubectl(['create', '-f', manifest], file);
    assert.equal(bogus.code, 1);
    assert.equal(
      bogus.stderr,
      'The Namespace "psa-bogus" is invalid: \n' +
        '* metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted\n' +
        '* metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "v1.x": must be "latest" or "v1.x"\n',
    );
    assert.equal((await kubectl(['get', 'namespace', 'psa-bogus'], file)).code, 1, 'not created');
    const made = await kubectl(['create', 'namespace', 'psa-plain'], file);
    assert.equal(made.code, 0, made.stderr);
    const badVersion = await kubectl(
      ['label', 'namespace', 'psa-plain', 'pod-security.kubernetes.io/enforce-version=v1.2.3', '-v=6'],
      file,
    );
    assert.equal(badVersion.code, 1);
    assert.match(badVersion.stderr, /PATCH https:\/\/\S+\/api\/v1\/namespaces\/psa-plain\S* 422 Unprocessable Entity/);
    assert.match(
      badVersion.stderr,
      /^The Namespace "psa-plain" is invalid: metadata\.labels\[pod-security\.kubernetes\.io\/enforce-version\]: Invalid value: "v1\.2\.3": must be "latest" or "v1\.x"$/m,
    );
    const good = await kubectl(
      [
        'label',
        'namespace',
        'psa-plain',
        'pod-security.kubernetes.io/enforce=baseline',
        'pod-security.kubernetes.io/enforce-version=v1.30',
      ],
      file,
    );
    assert.equal(good.code, 0, good.stderr);
    const labels = await kubectl(['get', 'namespace', 'psa-plain', '-o', 'jsonpath={.metadata.labels}'], file);
    assert.deepEqual(JSON.parse(labels.stdout), {
      'kubernetes.io/metadata.name': 'psa-plain',
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/enforce-version': 'v1.30',
    });
  });

  it("every daemon pod, seeded or made, has the controller's revision and generation labels and is pinned to its node", async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const manifest = join(home, 'probe-agent.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'probe-agent', namespace: 'default' },
        spec: {
          selector: { matchLabels: { app: 'probe-agent' } },
          template: {
            metadata: { labels: { app: 'probe-agent' } },
            spec: { containers: [{ name: 'agent', image: 'registry.example/probe-agent:1.0.0' }] },
          },
        },
      }),
    );
    const apply = await kubectl(['apply', '-f', manifest], file);
    assert.equal(apply.code, 0, apply.stderr);
    const daemons = (await list('pods')).filter((p) => p.metadata.ownerReferences?.[0]?.kind === 'DaemonSet');
    assert.ok(
      daemons.some((p) => p.metadata.name.startsWith('probe-agent-')),
      'the one just made is among them',
    );
    assert.ok(daemons.length >= 12, `${daemons.length} daemon pods`);
    for (const p of daemons) {
      const where = `${p.metadata.namespace}/${p.metadata.name}`;
      assert.match(p.metadata.labels?.['controller-revision-hash'] ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{10}$/, where);
      assert.equal(p.metadata.labels?.['pod-template-generation'], '1', where);
      // Pending ones too: the affinity is what binds them to their node.
      const node = p.spec.nodeName ?? 'lab-node-1';
      assert.deepEqual(
        p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
        { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] },
        where,
      );
    }
    // The DaemonSet's pods share one revision, the ControllerRevision its controller keeps, which
    // `kubectl rollout history` reads; deleting the DaemonSet takes its revisions with it.
    const agents = daemons.filter((p) => p.metadata.namespace === 'fleet' && p.metadata.name.startsWith('node-agent-'));
    const hashes = new Set(agents.map((p) => p.metadata.labels?.['controller-revision-hash']));
    assert.equal(hashes.size, 1);
    const revisions = await kubectl(['get', 'controllerrevisions', '-n', 'fleet'], file);
    assert.equal(revisions.code, 0, revisions.stderr);
    assert.deepEqual(rows(revisions.stdout)[0], ['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    assert.ok(
      rows(revisions.stdout).some(
        (r) => r[0] === `node-agent-${[...hashes][0]}` && r[1] === 'daemonset.apps/node-agent' && r[2] === '1',
      ),
      revisions.stdout,
    );
    const history = await kubectl(['rollout', 'history', 'daemonset/probe-agent', '-n', 'default'], file);
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(rows(history.stdout).slice(1), [
      ['REVISION', 'CHANGE-CAUSE'],
      ['1', '<none>'],
    ]);
    const gone = await kubectl(['delete', 'daemonset', 'probe-agent', '-n', 'default'], file);
    assert.equal(gone.code, 0, gone.stderr);
    const left = await kubectl(['get', 'controllerrevisions', '-n', 'default', '-o', 'name'], file);
    assert.equal(left.stdout, '');
    const none = await kubectl(['rollout', 'history', 'daemonset/probe-agent', '-n', 'default'], file);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /daemonsets\.apps "probe-agent" not found/);
  });
});
