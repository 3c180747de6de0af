import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { call } from './call.js';

// Loopback block 127.18.2.0/24 (see test/README.md).

type Obj = {
  metadata: { name: string; namespace?: string; uid: string; ownerReferences?: { kind: string; uid: string }[] };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

describe('workload controllers (v1.28 lab)', () => {
  let lab: Lab;
  let api: (path: string, options?: Parameters<typeof call>[1]) => ReturnType<typeof call>;
  const items = async (path: string): Promise<Obj[]> => (await api(path)).json.items;
  const owned = (list: Obj[], owner: Obj) =>
    list.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid));
  before(async () => {
    lab = await startLab({ base: '127.18.2.2', profile: 'default', version: 'v1.28.3', etcd: 'off', nodes: 2 });
    const token = lab.credentials.admin.token!;
    api = (path, options = {}) => call(`${lab.apiServer}${path}`, { token, ...options });
  });
  after(() => lab.stop());

  it('turns a Deployment into a ReplicaSet and its pods, rolls out a new template, and scales', async () => {
    const template = { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
    const created = await api('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: { metadata: { name: 'shop' }, spec: { replicas: 3, selector: { matchLabels: { app: 'shop' } }, template } },
    });
    assert.equal(created.status, 201, created.text);
    const deployment = created.json as Obj;
    const [rs] = owned(await items('/apis/apps/v1/namespaces/default/replicasets'), deployment);
    assert.match(rs.metadata.name, /^shop-[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    assert.equal(rs.spec?.replicas, 3);
    const pods = owned(await items('/api/v1/namespaces/default/pods'), rs);
    assert.equal(pods.length, 3);
    for (const p of pods) assert.equal(p.status?.phase, 'Running');
    const status = (await api('/apis/apps/v1/namespaces/default/deployments/shop')).json.status;
    assert.equal(status.readyReplicas, 3);

    const rolled = await api('/apis/apps/v1/namespaces/default/deployments/shop', {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: { spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
    });
    assert.equal(rolled.status, 200, rolled.text);
    assert.equal(rolled.json.metadata.generation, 2);
    const sets = owned(await items('/apis/apps/v1/namespaces/default/replicasets'), deployment);
    assert.equal(sets.length, 2);
    const current = sets.find((s) => s.metadata.name !== rs.metadata.name)!;
    assert.deepEqual(sets.map((s) => [s.metadata.name === rs.metadata.name ? 'old' : 'new', s.spec?.replicas]).sort(), [
      ['new', 2],
      ['old', 0],
    ]);
    const now = await items('/api/v1/namespaces/default/pods?labelSelector=app%3Dshop');
    assert.equal(now.length, 2);
    assert.ok(now.every((p) => p.metadata.ownerReferences?.[0].uid === current.metadata.uid));

    const gone = await api('/apis/apps/v1/namespaces/default/deployments/shop', { method: 'DELETE' });
    assert.equal(gone.status, 200);
    assert.deepEqual(owned(await items('/apis/apps/v1/namespaces/default/replicasets'), deployment), []);
    assert.deepEqual(await items('/api/v1/namespaces/default/pods?labelSelector=app%3Dshop'), []);
  });

  it('gives a StatefulSet ordered pods, a DaemonSet one pod per node, a Job its pods (never completing)', async () => {
    const template = (app: string) => ({
      metadata: { labels: { app } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: app === 'job' ? 'Never' : undefined },
    });
    const sts = await api('/apis/apps/v1/namespaces/default/statefulsets', {
      method: 'POST',
      body: {
        metadata: { name: 'db' },
        spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') },
      },
    });
    assert.equal(sts.status, 201, sts.text);
    const dbPods = await items('/api/v1/namespaces/default/pods?labelSelector=app%3Ddb');
    assert.deepEqual(
      dbPods.map((p) => p.metadata.name),
      ['db-0', 'db-1'],
    );
    const ds = await api('/apis/apps/v1/namespaces/default/daemonsets', {
      method: 'POST',
      body: {
        metadata: { name: 'agent' },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
      },
    });
    assert.equal(ds.status, 201, ds.text);
    const agents = await items('/api/v1/namespaces/default/pods?labelSelector=app%3Dagent');
    assert.deepEqual(agents.map((p) => p.spec?.nodeName).sort(), ['lab-node-1', 'lab-node-2']);
    const job = await api('/apis/batch/v1/namespaces/default/jobs', {
      method: 'POST',
      body: { metadata: { name: 'once' }, spec: { template: template('job') } },
    });
    assert.equal(job.status, 201, job.text);
    const jobPods = await items('/api/v1/namespaces/default/pods?labelSelector=job-name%3Donce');
    assert.equal(jobPods.length, 1);
    const stored = (await api('/apis/batch/v1/namespaces/default/jobs/once')).json;
    assert.equal(stored.status.active, 1);
    assert.equal(stored.status.succeeded, undefined, 'no container runs, so nothing succeeds');
    assert.deepEqual(stored.spec.selector, { matchLabels: { 'controller-uid': stored.metadata.uid } });
  });

  it('runs a CronJob when the lab clock passes its schedule, and not before', async () => {
    const r = await api('/apis/batch/v1/namespaces/dev/cronjobs', {
      method: 'POST',
      body: {
        metadata: { name: 'nightly' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
          },
        },
      },
    });
    assert.equal(r.status, 201, r.text);
    const jobs = async () => (await items('/apis/batch/v1/namespaces/dev/jobs')).map((j) => j.metadata.name);
    assert.deepEqual(await jobs(), []);
    lab.clock.advance(86_400);
    const names = await jobs();
    assert.equal(names.length, 1);
    assert.match(names[0], /^nightly-\d+$/);
    const scheduled = Number(names[0].split('-')[1]) * 60_000;
    assert.equal(new Date(scheduled).toISOString().slice(11, 16), '03:00');
    const cj = (await api('/apis/batch/v1/namespaces/dev/cronjobs/nightly')).json;
    assert.equal(Date.parse(cj.status.lastScheduleTime), scheduled);
    assert.equal((await items(`/api/v1/namespaces/dev/pods?labelSelector=job-name%3D${names[0]}`)).length, 1);
    assert.throws(() => lab.clock.advance(-1), /only moves forward/);
  });

  it('serves the custom resources of a CRD, in JSON only, until the CRD goes', async () => {
    const crd = await api('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      method: 'POST',
      body: {
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      },
    });
    assert.equal(crd.status, 201, crd.text);
    const established = (await api('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).json;
    assert.ok(established.status.conditions.some((c: { type: string }) => c.type === 'Established'));
    const discovery = await api('/apis/example.com/v1');
    assert.equal(discovery.json.resources[0].name, 'widgets');
    const w = await api('/apis/example.com/v1/namespaces/default/widgets', {
      method: 'POST',
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } },
    });
    assert.equal(w.status, 201, w.text);
    const proto = await api('/apis/example.com/v1/namespaces/default/widgets', {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.kubernetes.protobuf' },
      body: Buffer.from('k8s\0'),
    });
    assert.equal(proto.status, 415);
    assert.equal(proto.json.reason, 'UnsupportedMediaType');
    await api('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'crs' } } });
    await api('/apis/example.com/v1/namespaces/crs/widgets', { method: 'POST', body: { metadata: { name: 'in-ns' } } });
    await api('/api/v1/namespaces/crs', { method: 'DELETE' });
    await api('/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'crs' } } });
    assert.equal(
      (await api('/apis/example.com/v1/namespaces/crs/widgets/in-ns')).status,
      404,
      'gone with its namespace',
    );
    await api('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', { method: 'DELETE' });
    assert.equal((await api('/apis/example.com/v1/namespaces/default/widgets/w')).status, 404);
    assert.equal((await api('/apis/example.com/v1')).status, 404);
  });

  it('stores webhook configurations without calling them, HPAs with a status, and owns its seeded ReplicaSets', async () => {
    const hook = await api('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      method: 'POST',
      body: {
        metadata: { name: 'deny' },
        webhooks: [
          {
            name: 'deny.example.com',
            clientConfig: { url: 'https://127.18.2.250:9/never-called' },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
          },
        ],
      },
    });
    assert.equal(hook.status, 201, hook.text);
    const cm = await api('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: { metadata: { name: 'after-hook' } },
    });
    assert.equal(cm.status, 201, 'the webhook is stored, not called');
    const hpa = await api('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      method: 'POST',
      body: {
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          minReplicas: 1,
          maxReplicas: 3,
        },
        status: { currentReplicas: 1, desiredReplicas: 1 },
      },
    });
    assert.equal(hpa.status, 201, hpa.text);
    // The status is the controller's, not the client's: the target's replicas, and that it could read them.
    const stored = (await api('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web')).json;
    assert.equal(stored.status.currentReplicas, 1);
    assert.equal(stored.status.desiredReplicas, 1);
    assert.equal(stored.status.conditions[0].type, 'AbleToScale');
    assert.equal(stored.status.conditions[0].status, 'True');
    const orphan = await api('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      method: 'POST',
      body: {
        metadata: { name: 'orphan' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope' }, maxReplicas: 2 },
      },
    });
    assert.equal(orphan.json.status.conditions[0].reason, 'FailedGetScale');
    const csr = await api('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
      method: 'POST',
      body: {
        metadata: { name: 'node-csr' },
        spec: { request: 'Y3Ny', signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
      },
    });
    assert.equal(csr.status, 201, csr.text);
    const approved = await api('/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr/approval', {
      method: 'PUT',
      body: {
        ...csr.json,
        status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved' }] },
      },
    });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.json.status.conditions[0].type, 'Approved');
    const webPods = await items('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
    const sets = await items('/apis/apps/v1/namespaces/default/replicasets');
    for (const p of webPods) {
      const ref = p.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
      assert.ok(
        sets.some((s) => s.metadata.uid === ref?.uid),
        `${p.metadata.name}'s ReplicaSet exists`,
      );
    }
    // Labelling the seeded Deployment changes no template: its pods stay.
    await api('/apis/apps/v1/namespaces/default/deployments/web', {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { labels: { touched: 'yes' } } },
    });
    assert.deepEqual(
      (await items('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).map((p) => p.metadata.name),
      webPods.map((p) => p.metadata.name),
    );
  });

  it('creates or merges with server-side apply, and wants a field manager', async () => {
    const apply = (body: string, manager = 'test') =>
      api(`/api/v1/namespaces/default/configmaps/applied${manager ? `?fieldManager=${manager}` : ''}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body,
      });
    const first = await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: "1"\n');
    assert.equal(first.status, 201, first.text);
    const second = await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  b: "2"\n');
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json.data, { a: '1', b: '2' });
    assert.equal((await apply('kind: ConfigMap\n', '')).status, 400);
    assert.equal((await apply('data: [unclosed\n')).status, 400);
  });
});

describe('served versions follow the lab version', () => {
  let old: Lab;
  before(async () => {
    old = await startLab({ base: '127.18.3.2', etcd: 'off', nodes: 1 });
  });
  after(() => old.stop());

  it('a 1.16 lab serves CronJobs as batch/v1beta1, PodSecurityPolicies, no EndpointSlices, no SelfSubjectReview rule', async () => {
    const api = (path: string) => call(`http://127.18.3.2:8080${path}`);
    const batch = (await api('/apis/batch')).json;
    assert.deepEqual(
      batch.versions.map((v: { version: string }) => v.version),
      ['v1', 'v1beta1'],
    );
    assert.equal(batch.preferredVersion.version, 'v1');
    assert.equal((await api('/apis/batch/v1/namespaces/default/cronjobs')).status, 404);
    assert.equal((await api('/apis/batch/v1beta1/namespaces/default/cronjobs')).status, 200);
    assert.equal((await api('/apis/policy/v1beta1/podsecuritypolicies')).status, 200);
    assert.equal((await api('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices')).status, 404);
    const role = (await api('/apis/rbac.authorization.k8s.io/v1/clusterroles/system:basic-user')).json;
    assert.ok(!JSON.stringify(role.rules).includes('selfsubjectreviews'));
    const pod = (await api('/api/v1/namespaces/default/pods/debug-tools')).json;
    const tokenVolume = pod.spec.volumes.find((v: { secret?: unknown }) => v.secret);
    assert.match(tokenVolume.name, /^default-token-[a-z0-9]{5}$/);
    assert.ok(!pod.spec.volumes.some((v: { name: string }) => v.name.startsWith('kube-api-access-')));
  });
});
