import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { namespaceAdmission, podAdmission, podSecurityViolations } from '../../src/lab/admission.js';
import { type Lab, PORTS, startLab } from '../../src/lab/index.js';
import { tokenSecretName } from '../../src/lab/seed-secrets.js';
import { call } from './call.js';

// Block 127.145.2.0/24: the lab's pod admission (admission.ts) through its API server: Pod Security
// Admission in `staging` (enforce=restricted, seed-paths.ts) and a namespace labelled baseline on a 1.32
// lab (127.145.2.10), none on 1.16; NodeRestriction with the kubelet's own client certificate, taken from
// the node's disk through the vulnerable 1.16 lab's kubelet (127.145.2.2) as an attacker would.

let lab: Lab;
let modern: Lab;
let api: string;
let admin: string;

const RESTRICTED = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

function pod(name: string, spec: Partial<NonNullable<Pod['spec']>> = {}, security?: object): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [{ name: 'c', image: 'busybox:1.36', ...(security && { securityContext: security }) }],
      ...spec,
    },
  };
}

const rootPod = (name: string) =>
  pod(name, { hostPID: true, volumes: [{ name: 'host', hostPath: { path: '/' } }] }, { privileged: true });

const create = (ns: string, p: Pod, auth: { token?: string; cert?: string; key?: string }, query = '') =>
  call(`${api}/api/v1/namespaces/${ns}/pods${query}`, { method: 'POST', body: p, ...auth });

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: '127.145.2.2', nodes: 1, etcd: 'off' });
  modern = await startLab({ profile: 'default', base: '127.145.2.10', nodes: 1, etcd: 'off' });
  api = modern.apiServer;
  admin = modern.credentials.admin.token!;
});

after(async () => {
  await lab.stop();
  await modern.stop();
});

describe('Pod Security Admission', () => {
  it('staging (restricted) refuses the privileged hostPath pod, dry run or not, naming each check', async () => {
    for (const query of ['', '?dryRun=All']) {
      const res = await create('staging', rootPod('root'), { token: admin }, query);
      assert.equal(res.status, 403, res.text);
      assert.equal(res.json.reason, 'Forbidden');
      assert.match(
        res.json.message,
        /^pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext\.privileged=true\), host namespaces \(hostPID=true\), hostPath volumes \(volume "host"\), restricted volume types \(volume "host"\), allowPrivilegeEscalation != false /,
      );
    }
    const plain = await create('staging', pod('plain'), { token: admin });
    assert.equal(plain.status, 403);
    assert.match(plain.json.message, /runAsNonRoot != true .*seccompProfile/);
    assert.equal(
      (await call(`${api}/api/v1/namespaces/staging/pods/root`, { token: admin })).status,
      404,
      'nothing stored',
    );
  });

  it('staging admits a pod that meets restricted; ops, with no level, admits the privileged pod', async () => {
    assert.equal((await create('staging', pod('tidy', {}, RESTRICTED), { token: admin })).status, 201);
    const root = await create('ops', rootPod('root'), { token: admin });
    assert.equal(root.status, 201, root.text);
    assert.equal(root.json.spec.nodeName, 'lab-node-1');
  });

  it('names the version a namespace pins its level to, as the refusal of a real server does', async () => {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'psa-pinned',
        labels: {
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/enforce-version': 'v1.25',
        },
      },
    };
    assert.equal((await call(`${api}/api/v1/namespaces`, { method: 'POST', body: ns, token: admin })).status, 201);
    const host = await create('psa-pinned', rootPod('root'), { token: admin });
    assert.equal(host.status, 403);
    // Pinned to an old version, baseline still refuses privileged, host-namespace and hostPath pods.
    assert.match(host.json.message, /^pods "root" is forbidden: violates PodSecurity "baseline:v1\.25": privileged /);
    assert.equal((await create('psa-pinned', pod('plain'), { token: admin })).status, 201);
  });

  it('baseline refuses host access and added capabilities, admits a plain root pod', async () => {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'psa-baseline', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } },
    };
    assert.equal((await call(`${api}/api/v1/namespaces`, { method: 'POST', body: ns, token: admin })).status, 201);
    const host = await create('psa-baseline', rootPod('root'), { token: admin });
    assert.equal(host.status, 403);
    assert.match(
      host.json.message,
      /^pods "root" is forbidden: violates PodSecurity "baseline:latest": privileged .*, host namespaces \(hostPID=true\), hostPath volumes \(volume "host"\)$/,
    );
    const admin2 = await create(
      'psa-baseline',
      pod('sysadmin', {}, { capabilities: { add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] } }),
      { token: admin },
    );
    assert.equal(admin2.status, 403);
    assert.match(
      admin2.json.message,
      /non-default capabilities \(container "c" must not include "SYS_ADMIN" in securityContext\.capabilities\.add\)$/,
    );
    assert.equal((await create('psa-baseline', pod('plain'), { token: admin })).status, 201);
    assert.equal(
      (await create('psa-baseline', pod('web', {}, { capabilities: { add: ['NET_BIND_SERVICE'] } }), { token: admin }))
        .status,
      201,
    );
  });

  it("a Deployment's pods meet the same admission: a privileged template in staging makes no pod", async () => {
    const deployment = (name: string, template: Pod) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: template.spec },
      },
    });
    const url = `${api}/apis/apps/v1/namespaces/staging/deployments`;
    for (const [name, template] of [
      ['rooted', rootPod('x')],
      ['tidy-web', pod('x', {}, RESTRICTED)],
    ] as const) {
      const res = await call(url, { method: 'POST', body: deployment(name, template), token: admin });
      assert.equal(res.status, 201, res.text);
    }
    const pods = await call(`${api}/api/v1/namespaces/staging/pods`, { token: admin });
    const names = (pods.json.items as Pod[]).map((p) => p.metadata!.name!);
    assert.ok(
      names.some((n) => n.startsWith('tidy-web-')),
      names.join(' '),
    );
    assert.ok(!names.some((n) => n.startsWith('rooted-')), names.join(' '));
  });

  it('a refused pod is a FailedCreate event on its owner, counted per refusal, as the controller records it', async () => {
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rooted-rs' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'rooted-rs' } },
        template: { metadata: { labels: { app: 'rooted-rs' } }, spec: rootPod('x').spec },
      },
    };
    const made = await call(`${api}/apis/apps/v1/namespaces/staging/replicasets`, {
      method: 'POST',
      body: rs,
      token: admin,
    });
    assert.equal(made.status, 201, made.text);
    const uid = (made.json.metadata as { uid: string }).uid;
    const events = await call(`${api}/api/v1/namespaces/staging/events`, { token: admin });
    type Event = {
      reason: string;
      type: string;
      count: number;
      message: string;
      involvedObject: { uid?: string; name?: string };
      source: object;
    };
    const all = events.json.items as Event[];
    const mine = all.filter((e) => e.involvedObject.uid === uid);
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.equal(mine[0].reason, 'FailedCreate');
    assert.equal(mine[0].type, 'Warning');
    assert.equal(mine[0].count, 3, 'one refusal per replica, aggregated');
    assert.match(
      mine[0].message,
      /^Error creating: pods "rooted-rs-[a-z0-9]+" is forbidden: violates PodSecurity "restricted:latest": privileged/,
    );
    assert.deepEqual(mine[0].involvedObject, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      name: 'rooted-rs',
      namespace: 'staging',
      uid,
    });
    assert.deepEqual(mine[0].source, { component: 'replicaset-controller' });
    // An admitted workload leaves no such event.
    const tidy = all.filter((e) => e.involvedObject.name?.startsWith('tidy-web'));
    assert.deepEqual(tidy, []);
  });

  it('a 1.16 server has no Pod Security Admission: the label forbids nothing', async () => {
    const res = await call(`${lab.apiServer}/api/v1/namespaces/staging/pods`, {
      method: 'POST',
      body: rootPod('root'),
      token: lab.credentials.admin.token,
    });
    assert.equal(res.status, 201, res.text);
  });

  it('a namespace with a level that is no level is refused with the 422 Pod Security Admission answers; 1.16 takes it', async () => {
    const body = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'psa-bogus', labels: { 'pod-security.kubernetes.io/enforce': 'bogus' } },
    };
    const res = await call(`${api}/api/v1/namespaces`, { method: 'POST', body, token: admin });
    assert.equal(res.status, 422, res.text);
    assert.equal(res.json.reason, 'Invalid');
    assert.equal(
      res.json.message,
      'Namespace "psa-bogus" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted',
    );
    assert.deepEqual(res.json.details, {
      name: 'psa-bogus',
      kind: 'Namespace',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "bogus": must be one of privileged, baseline, restricted',
          field: 'metadata.labels[pod-security.kubernetes.io/enforce]',
        },
      ],
    });
    assert.equal((await call(`${api}/api/v1/namespaces/psa-bogus`, { token: admin })).status, 404);
    const old = await call(`${lab.apiServer}/api/v1/namespaces`, {
      method: 'POST',
      body,
      token: lab.credentials.admin.token,
    });
    assert.equal(old.status, 201, old.text);
  });

  it("a namespace's labels as Pod Security Admission validates them: from 1.23, on create, on update only when they change what is wrong", () => {
    const ns = (labels: Record<string, string>) => ({ metadata: { name: 'n', labels } });
    const bad = ns({ 'pod-security.kubernetes.io/enforce': 'bogus' });
    const fields = (errors: { field: string; message: string }[]) => errors.map((e) => `${e.field}: ${e.message}`);
    assert.deepEqual(fields(namespaceAdmission(bad, undefined, 32)), [
      'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "bogus": must be one of privileged, baseline, restricted',
    ]);
    assert.deepEqual(namespaceAdmission(bad, undefined, 22), [], 'before 1.23 the labels mean nothing');
    // Versions: latest or v1.N (no leading zero), for every mode.
    for (const v of ['latest', 'v1.0', 'v1.25']) {
      assert.deepEqual(namespaceAdmission(ns({ 'pod-security.kubernetes.io/audit-version': v }), undefined, 32), [], v);
    }
    for (const v of ['v1.01', '1.25', 'v2.0', 'v1.25.3', '']) {
      assert.equal(
        namespaceAdmission(ns({ 'pod-security.kubernetes.io/warn-version': v }), undefined, 32).length,
        1,
        v,
      );
    }
    // An update that leaves the same bad labels is admitted (the namespace predates the check); one that adds a
    // wrong label, or makes a good one wrong, is not.
    const also = ns({ 'pod-security.kubernetes.io/enforce': 'bogus', team: 'a' });
    assert.deepEqual(namespaceAdmission(also, bad, 32), []);
    const worse = ns({ 'pod-security.kubernetes.io/enforce': 'bogus', 'pod-security.kubernetes.io/warn': 'x' });
    assert.equal(namespaceAdmission(worse, bad, 32).length, 2);
    assert.equal(namespaceAdmission(bad, ns({ 'pod-security.kubernetes.io/enforce': 'baseline' }), 32).length, 1);
  });

  it('the checks, level by level', () => {
    assert.deepEqual(podSecurityViolations(rootPod('x'), 'privileged'), []);
    assert.equal(podSecurityViolations(pod('x', {}, RESTRICTED), 'restricted').length, 0);
    assert.deepEqual(podSecurityViolations(pod('x', { hostNetwork: true, hostIPC: true }), 'baseline'), [
      'host namespaces (hostNetwork=true, hostIPC=true)',
    ]);
    const twoContainers = pod('x');
    twoContainers.spec!.containers.push({ name: 'd', image: 'x', securityContext: { privileged: true } });
    twoContainers.spec!.containers[0].securityContext = { privileged: true };
    assert.deepEqual(podSecurityViolations(twoContainers, 'baseline'), [
      'privileged (containers "c", "d" must not set securityContext.privileged=true)',
    ]);
    // The pod's own securityContext counts for every container.
    const podLevel = pod(
      'x',
      { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
      {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    );
    assert.deepEqual(podSecurityViolations(podLevel, 'restricted'), []);
  });
});

describe('NodeRestriction and the kubelet’s own credentials', () => {
  let cert: string;
  let key: string;
  const nodeUser = { name: 'system:node:lab-node-1', groups: ['system:nodes', 'system:authenticated'] };

  before(async () => {
    // Root on the node: the vulnerable kubelet runs commands in default/debug-tools, which mounts the host's /.
    const node = `https://${lab.hosts[1].address}:${PORTS.kubelet}`;
    const cmd = 'cat /host/var/lib/kubelet/pki/kubelet-client-current.pem';
    const res = await call(`${node}/run/default/debug-tools/shell?cmd=${encodeURIComponent(cmd)}`, { method: 'POST' });
    assert.equal(res.status, 200, res.text);
    const pems = res.text.match(/-----BEGIN [^-]+-----[^-]+-----END [^-]+-----\n?/g) ?? [];
    cert = pems.find((p) => p.includes('CERTIFICATE'))!;
    key = pems.find((p) => p.includes('PRIVATE KEY'))!;
    assert.ok(cert && key, 'a certificate and its key');
  });

  it('the kubelet reads the Secrets of ops as RBAC binds it (seed-paths.ts), and no others', async () => {
    const api = lab.apiServer;
    const secret = tokenSecretName('ops', 'operator');
    const res = await call(`${api}/api/v1/namespaces/ops/secrets/${secret}`, { cert, key });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.metadata.annotations['kubernetes.io/service-account.name'], 'operator');
    assert.equal(lab.can(nodeUser, { verb: 'get', group: '', resource: 'secrets', namespace: 'ops' }), true);
    const other = await call(`${api}/api/v1/namespaces/staging/secrets`, { cert, key });
    assert.equal(other.status, 403);
  });

  it('a kubelet may create only mirror pods, whatever RBAC allows it', async () => {
    assert.equal(
      lab.can(nodeUser, { verb: 'create', group: '', resource: 'pods', namespace: 'ops' }),
      true,
      'RBAC allows it',
    );
    const res = await call(`${lab.apiServer}/api/v1/namespaces/ops/pods`, {
      method: 'POST',
      body: pod('agent', {}, RESTRICTED),
      cert,
      key,
    });
    assert.equal(res.status, 403, res.text);
    assert.equal(
      res.json.message,
      'pods "agent" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "lab-node-1" can only create mirror pods',
    );
    assert.equal(
      podAdmission(
        nodeUser,
        { ...pod('m'), metadata: { name: 'm', annotations: { 'kubernetes.io/config.mirror': 'x' } } },
        undefined,
        32,
      ),
      undefined,
    );
    assert.equal(
      podAdmission({ name: 'mallory', groups: ['system:nodes'] }, pod('x'), undefined, 32),
      undefined,
      'not a node name',
    );
  });
});
