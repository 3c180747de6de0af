import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { CertificateAuthority } from '../../src/lab/pki.js';
import { call, jwtClaims, portState } from './call.js';

// Loopback block 127.11.0.0/16 (see test/README.md).

const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('API server, vulnerable profile', () => {
  let lab: Lab;
  let insecure: string;
  let secure: string;
  before(async () => {
    lab = await startLab({ base: '127.11.0.2', etcd: 'off' });
    insecure = 'http://127.11.0.2:8080';
    secure = lab.apiServer;
  });
  after(() => lab.stop());

  it('answers /version on the insecure port and logs who asked', async () => {
    const r = await call(`${insecure}/version`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.json.gitVersion, 'v1.16.0');
    assert.equal(r.json.major, '1');
    assert.equal(r.json.minor, '16');
    assert.match(r.json.gitCommit, /^[0-9a-f]{40}$/);
    const logged = lab.requests.find((q) => q.port === 8080 && q.path === '/version');
    assert.deepEqual(
      {
        host: logged?.host,
        component: logged?.component,
        method: logged?.method,
        identity: logged?.identity,
        status: logged?.status,
      },
      { host: '127.11.0.2', component: 'kube-apiserver', method: 'GET', identity: 'system:unsecured', status: 200 },
    );
  });

  it('has no root CA config maps: their publisher came with 1.20', async () => {
    const cms = await call(`${insecure}/api/v1/configmaps`);
    assert.equal(cms.status, 200);
    assert.deepEqual(
      cms.json.items.filter((c: { metadata: { name: string } }) => c.metadata.name === 'kube-root-ca.crt'),
      [],
    );
  });

  it("points a controlled pod's ownerReference at its owner's uid", async () => {
    const pods = await call(`${insecure}/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy`);
    const ds = await call(`${insecure}/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy`);
    assert.equal(ds.status, 200, ds.text);
    assert.ok(pods.json.items.length > 0);
    for (const p of pods.json.items) {
      assert.deepEqual(
        p.metadata.ownerReferences.map((o: { kind: string; name: string; uid: string }) => [o.kind, o.name, o.uid]),
        [['DaemonSet', 'kube-proxy', ds.json.metadata.uid]],
      );
    }
  });

  it('serves legacy discovery documents (a 1.16 server has no aggregated discovery)', async () => {
    const api = await call(`${insecure}/api`, { headers: { accept: AGGREGATED } });
    assert.equal(api.headers['content-type'], 'application/json');
    assert.deepEqual(api.json, {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.11.0.2:6443' }],
    });
    const apis = await call(`${insecure}/apis`);
    assert.equal(apis.json.kind, 'APIGroupList');
    const rbac = apis.json.groups.find((g: { name: string }) => g.name === 'rbac.authorization.k8s.io');
    assert.deepEqual(rbac.preferredVersion, { groupVersion: 'rbac.authorization.k8s.io/v1', version: 'v1' });
    const v1 = await call(`${insecure}/api/v1`);
    assert.equal(v1.json.kind, 'APIResourceList');
    assert.equal(v1.json.groupVersion, 'v1');
    const pods = v1.json.resources.find((r: { name: string }) => r.name === 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.equal(pods.namespaced, true);
    assert.ok(
      v1.json.resources.some(
        (r: { name: string; kind: string }) => r.name === 'pods/exec' && r.kind === 'PodExecOptions',
      ),
    );
    const group = await call(`${insecure}/apis/rbac.authorization.k8s.io`);
    assert.equal(group.json.kind, 'APIGroup');
    const paths = await call(`${insecure}/`);
    assert.ok(paths.json.paths.includes('/apis/rbac.authorization.k8s.io/v1'));
  });

  it('lets anonymous callers do everything on 6443 (system:anonymous is cluster-admin)', async () => {
    const r = await call(`${secure}/api/v1/namespaces/default/secrets`);
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'SecretList');
    assert.ok(r.json.items.some((s: { metadata: { name: string } }) => s.metadata.name === 'db-credentials'));
    assert.equal(r.json.items[0].kind, undefined, 'list items carry no kind, like the real server');
    assert.equal(lab.requests.at(-1)?.identity, 'system:anonymous');
  });

  it("answers the dashboard's service proxy path on 6443, 8080 and through the kubectl proxy", async () => {
    const path =
      '/api/v1/namespaces/kubernetes-dashboard/services/https:kubernetes-dashboard:/proxy/api/v1/login/status';
    for (const base of [secure, insecure, 'http://127.11.0.2:8001']) {
      const r = await call(`${base}${path}`);
      assert.equal(r.status, 200, `${base}: ${r.text}`);
      assert.equal(typeof r.json.tokenPresent, 'boolean', base);
    }
    const page = await call(`${insecure}/api/v1/namespaces/kubernetes-dashboard/services/kubernetes-dashboard/proxy/`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<kd-root>/);
    assert.ok(lab.requests.some((q) => q.component === 'dashboard' && q.path === '/api/v1/login/status'));
    const other = await call(`${insecure}/api/v1/namespaces/default/services/kubernetes/proxy/`);
    assert.equal(other.status, 503, 'a service the lab runs nothing behind has no endpoints');
    const missing = await call(`${insecure}/api/v1/namespaces/default/services/nope/proxy/`);
    assert.equal(missing.status, 404);
  });

  it('answers 401 with a Status for a token it did not issue', async () => {
    const r = await call(`${secure}/api/v1/pods`, { token: 'not-a-token' });
    assert.equal(r.status, 401);
    assert.equal(
      r.text,
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n',
    );
    assert.equal(lab.requests.at(-1)?.identity, '-');
    const forged = lab.credentials.admin.token!.replace(/\.[^.]+$/, '.AAAA');
    assert.equal((await call(`${secure}/api/v1/pods`, { token: forged })).status, 401);
  });

  it('answers 403 with the RBAC wording for a token without rights', async () => {
    const r = await call(`${secure}/api/v1/namespaces/default/pods`, { token: lab.credentials.nobody.token });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'pods is forbidden: User "system:serviceaccount:default:nobody" cannot list resource "pods" in API group "" in the namespace "default"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    const named = await call(`${secure}/apis/rbac.authorization.k8s.io/v1/clusterroles/admin`, {
      token: lab.credentials.nobody.token,
    });
    assert.equal(
      named.json.message,
      'clusterroles.rbac.authorization.k8s.io "admin" is forbidden: User "system:serviceaccount:default:nobody" cannot get resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope',
    );
    assert.deepEqual(named.json.details, { name: 'admin', group: 'rbac.authorization.k8s.io', kind: 'clusterroles' });
  });

  it('answers 404 for a missing object and for a path nothing serves', async () => {
    const missing = await call(`${insecure}/api/v1/namespaces/default/pods/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'pods' },
      code: 404,
    });
    const nothing = await call(`${insecure}/apis/nope.example.com/v1/things`);
    assert.equal(nothing.status, 404);
    assert.equal(nothing.json.message, 'the server could not find the requested resource');
  });

  it('creates pods that get scheduled and run; 409 on an existing name, 422 on an invalid pod, 403 outside the role', async () => {
    const token = lab.credentials.deployer.token;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe' },
      spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
    };
    const created = await call(`${secure}/api/v1/namespaces/dev/pods`, { method: 'POST', token, body: pod });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.metadata.namespace, 'dev');
    assert.match(created.json.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.equal(created.json.status.phase, 'Running');
    assert.match(created.json.status.podIP, /^10\.244\.\d+\.\d+$/);
    assert.ok(['lab-node-1', 'lab-node-2'].includes(created.json.spec.nodeName));
    assert.equal(created.json.spec.serviceAccountName, 'default');
    const again = await call(`${secure}/api/v1/namespaces/dev/pods`, { method: 'POST', token, body: pod });
    assert.equal(again.status, 409);
    assert.equal(again.json.reason, 'AlreadyExists');
    assert.equal(again.json.message, 'pods "probe" already exists');
    const invalid = await call(`${secure}/api/v1/namespaces/dev/pods`, {
      method: 'POST',
      token,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [] } },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.json.reason, 'Invalid');
    assert.match(
      invalid.json.message,
      /^Pod "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    assert.deepEqual(
      invalid.json.details.causes.map((c: { field: string; reason: string }) => [c.field, c.reason]),
      [
        ['metadata.name', 'FieldValueInvalid'],
        ['spec.containers', 'FieldValueRequired'],
      ],
    );
    const elsewhere = await call(`${secure}/api/v1/namespaces/default/pods`, { method: 'POST', token, body: pod });
    assert.equal(elsewhere.status, 403);
    const nsMissing = await call(`${insecure}/api/v1/namespaces/ghost/pods`, { method: 'POST', body: pod });
    assert.equal(nsMissing.status, 404);
    assert.equal(nsMissing.json.message, 'namespaces "ghost" not found');
    const mismatch = await call(`${insecure}/api/v1/namespaces/dev/pods`, {
      method: 'POST',
      body: { ...pod, metadata: { name: 'x', namespace: 'default' } },
    });
    assert.equal(mismatch.status, 400);
    const kubelet = await call(`https://${created.json.status.hostIP}:10250/pods`);
    assert.ok(
      kubelet.json.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'probe'),
      'the kubelet runs it',
    );
    const gone = await call(`${secure}/api/v1/namespaces/dev/pods/probe`, { method: 'DELETE', token });
    assert.equal(gone.status, 200);
    assert.equal(gone.json.kind, 'Pod');
    assert.ok(gone.json.metadata.deletionTimestamp);
    assert.equal((await call(`${secure}/api/v1/namespaces/dev/pods/probe`, { token })).status, 404);
  });

  it('patches with merge, JSON and strategic merge patches', async () => {
    const url = `${insecure}/api/v1/namespaces/default/pods/debug-tools`;
    const merge = await call(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { labels: { probe: 'merge' } } },
    });
    assert.equal(merge.status, 200, merge.text);
    assert.equal(merge.json.metadata.labels.probe, 'merge');
    const json = await call(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: [{ op: 'add', path: '/metadata/annotations', value: { probe: 'json' } }],
    });
    assert.equal(json.json.metadata.annotations.probe, 'json');
    assert.equal(json.json.metadata.labels.probe, 'merge');
    const strategic = await call(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: { spec: { containers: [{ name: 'shell', image: 'busybox:1.37' }] } },
    });
    assert.equal(strategic.status, 200, strategic.text);
    assert.equal(strategic.json.spec.containers.length, 1);
    assert.equal(strategic.json.spec.containers[0].image, 'busybox:1.37');
    assert.deepEqual(
      strategic.json.spec.containers[0].securityContext,
      { privileged: true },
      'the rest of the container stays',
    );
    assert.ok(Number(strategic.json.metadata.resourceVersion) > Number(merge.json.metadata.resourceVersion));
    const failed = await call(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: [{ op: 'test', path: '/metadata/name', value: 'other' }],
    });
    assert.equal(failed.status, 422);
    const forbiddenChange = await call(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { spec: { hostNetwork: false } },
    });
    assert.equal(forbiddenChange.status, 422);
    assert.match(forbiddenChange.json.message, /pod updates may not change fields other than/);
    const wrongType = await call(url, { method: 'PATCH', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.json.reason, 'UnsupportedMediaType');
    const missing = await call(`${insecure}/api/v1/namespaces/default/pods/nope`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: {},
    });
    assert.equal(missing.status, 404);
  });

  it('creates, patches and deletes roles and cluster roles, refusing escalation', async () => {
    const admin = lab.credentials.admin.token;
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kf-probe' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    };
    const base = `${secure}/apis/rbac.authorization.k8s.io/v1`;
    const created = await call(`${base}/clusterroles`, { method: 'POST', token: admin, body: role });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call(`${base}/clusterroles`, { method: 'POST', token: admin, body: role })).status, 409);
    const patched = await call(`${base}/clusterroles/kf-probe`, {
      method: 'PATCH',
      token: admin,
      headers: { 'content-type': 'application/json-patch+json' },
      body: [{ op: 'add', path: '/rules/0/verbs/-', value: 'list' }],
    });
    assert.deepEqual(patched.json.rules[0].verbs, ['get', 'list']);
    const invalid = await call(`${base}/clusterroles`, {
      method: 'POST',
      token: admin,
      body: { ...role, metadata: { name: 'kf-bad' }, rules: [{ apiGroups: [''], resources: ['pods'] }] },
    });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.json.details.causes[0].field, 'rules[0].verbs');
    const deleted = await call(`${base}/clusterroles/kf-probe`, { method: 'DELETE', token: admin });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json.kind, 'Status');
    assert.equal(deleted.json.status, 'Success');
    assert.equal(deleted.json.details.name, 'kf-probe');
    assert.equal((await call(`${base}/clusterroles/kf-probe`, { token: admin })).status, 404);

    const escalation = await call(`${base}/namespaces/dev/roles`, {
      method: 'POST',
      token: lab.credentials.deployer.token,
      body: {
        kind: 'Role',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'x' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      },
    });
    assert.equal(escalation.status, 403, 'the deployer may not create roles at all');
    const binding = await call(`${base}/namespaces/dev/rolebindings`, {
      method: 'POST',
      token: admin,
      body: {
        kind: 'RoleBinding',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'kf-probe' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: 'default' }],
      },
    });
    assert.equal(binding.status, 201, binding.text);
    assert.equal(
      (await call(`${secure}/api/v1/namespaces/dev/pods`, { token: lab.credentials.nobody.token })).status,
      200,
      'the binding takes effect',
    );
    await call(`${base}/namespaces/dev/rolebindings/kf-probe`, { method: 'DELETE', token: admin });
    assert.equal(
      (await call(`${secure}/api/v1/namespaces/dev/pods`, { token: lab.credentials.nobody.token })).status,
      403,
    );
  });

  it('refuses to let a user grant rights it does not hold', async () => {
    const escalating = await startLab({ base: '127.11.3.2', etcd: 'off', nodes: 1, profile: 'default' });
    try {
      const admin = escalating.credentials.admin.token;
      const url = `${escalating.apiServer}/apis/rbac.authorization.k8s.io/v1/namespaces/dev`;
      // Give the deployer the right to manage roles in dev, but nothing about secrets.
      await call(`${url}/roles`, {
        method: 'POST',
        token: admin,
        body: {
          kind: 'Role',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: 'role-admin' },
          rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create'] }],
        },
      });
      await call(`${url}/rolebindings`, {
        method: 'POST',
        token: admin,
        body: {
          kind: 'RoleBinding',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: 'role-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'role-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'dev' }],
        },
      });
      const r = await call(`${url}/roles`, {
        method: 'POST',
        token: escalating.credentials.deployer.token,
        body: {
          kind: 'Role',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: 'steal' },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
        },
      });
      assert.equal(r.status, 403);
      assert.match(
        r.json.message,
        /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}/,
      );
      const allowed = await call(`${url}/roles`, {
        method: 'POST',
        token: escalating.credentials.deployer.token,
        body: {
          kind: 'Role',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: 'subset' },
          rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
        },
      });
      assert.equal(allowed.status, 201, allowed.text);
    } finally {
      await escalating.stop();
    }
  });

  it('creates and deletes namespaces with what the controllers add, and the snapshot comes back the same', async () => {
    const before = await lab.snapshot();
    const created = await call(`${insecure}/api/v1/namespaces`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kf-probe' } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.json.status.phase, 'Active');
    const accounts = await call(`${insecure}/api/v1/namespaces/kf-probe/serviceaccounts`);
    assert.deepEqual(
      accounts.json.items.map((a: { metadata: { name: string } }) => a.metadata.name),
      ['default'],
    );
    const secrets = await call(`${insecure}/api/v1/namespaces/kf-probe/secrets`);
    assert.equal(
      secrets.json.items[0].type,
      'kubernetes.io/service-account-token',
      'a 1.16 cluster makes token secrets',
    );
    const during = await lab.snapshot();
    assert.notDeepEqual(during, before);
    assert.equal(
      (during.objects['v1/namespaces'] as { metadata: { name: string } }[]).filter(
        (n) => n.metadata.name === 'kf-probe',
      ).length,
      1,
    );
    const badName = await call(`${insecure}/api/v1/namespaces`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } },
    });
    assert.equal(badName.status, 422, 'namespace names are RFC 1123 labels');
    const deleted = await call(`${insecure}/api/v1/namespaces/kf-probe`, { method: 'DELETE' });
    assert.equal(deleted.json.status.phase, 'Terminating');
    assert.equal(
      (await call(`${insecure}/api/v1/namespaces/kf-probe/secrets`)).json.items.length,
      0,
      'its objects go with it',
    );
    assert.deepEqual(await lab.snapshot(), before);
  });

  it('answers access and rules reviews for the caller', async () => {
    const ask = (token: string | undefined, attrs: object) =>
      call(`${secure}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
        method: 'POST',
        token,
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: attrs },
        },
      });
    const reader = lab.credentials.reader.token;
    const yes = await ask(reader, { namespace: 'default', verb: 'list', resource: 'pods' });
    assert.equal(yes.status, 201);
    assert.equal(yes.json.kind, 'SelfSubjectAccessReview');
    assert.equal(yes.json.status.allowed, true);
    const no = await ask(reader, { namespace: 'default', verb: 'get', resource: 'secrets' });
    assert.equal(no.json.status.allowed, false);
    assert.equal(lab.can('reader', { verb: 'get', group: '', resource: 'secrets', namespace: 'default' }), false);
    const rules = await call(`${secure}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews`, {
      method: 'POST',
      token: lab.credentials.deployer.token,
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'dev' } },
    });
    assert.ok(
      rules.json.status.resourceRules.some(
        (r: { resources: string[]; verbs: string[] }) => r.resources.includes('pods') && r.verbs.includes('create'),
      ),
    );
    assert.equal(rules.json.status.incomplete, false);
  });

  it('prints Tables for kubectl, with the columns of the real server', async () => {
    const r = await call(`${insecure}/api/v1/pods?limit=500`, { headers: { accept: TABLE } });
    assert.equal(r.json.kind, 'Table');
    assert.equal(r.json.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(
      r.json.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority]),
      [
        ['Name', 0],
        ['Ready', 0],
        ['Status', 0],
        ['Restarts', 0],
        ['Age', 0],
        ['IP', 1],
        ['Node', 1],
        ['Nominated Node', 1],
        ['Readiness Gates', 1],
      ],
    );
    const row = r.json.rows.find((x: { cells: string[] }) => x.cells[0] === 'debug-tools');
    assert.deepEqual(row.cells.slice(1, 5), ['1/1', 'Running', '0', '9d']);
    assert.equal(row.object.kind, 'PartialObjectMetadata');
    assert.equal(row.object.metadata.namespace, 'default');
    const nodes = await call(`${insecure}/api/v1/nodes`, { headers: { accept: TABLE } });
    assert.deepEqual(
      nodes.json.rows.map((x: { cells: string[] }) => x.cells[1]),
      ['Ready', 'Ready'],
    );
  });

  it('filters lists by label and field selectors and pages them', async () => {
    const byLabel = await call(`${insecure}/api/v1/pods?labelSelector=${encodeURIComponent('k8s-app=kube-proxy')}`);
    assert.equal(byLabel.json.items.length, 2);
    const byNode = await call(
      `${insecure}/api/v1/pods?fieldSelector=${encodeURIComponent('spec.nodeName=lab-node-1')}`,
    );
    assert.ok(byNode.json.items.length > 0);
    assert.ok(byNode.json.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName === 'lab-node-1'));
    const badField = await call(`${insecure}/api/v1/pods?fieldSelector=spec.image%3Dx`);
    assert.equal(badField.status, 400);
    const page = await call(`${insecure}/api/v1/namespaces?limit=2`);
    assert.equal(page.json.items.length, 2);
    assert.ok(page.json.metadata.continue);
    const rest = await call(
      `${insecure}/api/v1/namespaces?limit=100&continue=${encodeURIComponent(page.json.metadata.continue)}`,
    );
    const all = await call(`${insecure}/api/v1/namespaces`);
    assert.equal(page.json.items.length + rest.json.items.length, all.json.items.length);
  });

  it('streams a watch, starting with every object as ADDED', async () => {
    const controller = new AbortController();
    const res = await fetch(`${insecure}/api/v1/namespaces?watch=true`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (text.split('\n').length < 4) text += Buffer.from((await reader.read()).value!).toString('utf8');
    controller.abort();
    const first = JSON.parse(text.split('\n')[0]);
    assert.equal(first.type, 'ADDED');
    assert.equal(first.object.kind, 'Namespace');
  });

  it('serves pod logs, refuses exec without an upgrade, proxies to kubelets and issues tokens', async () => {
    const pods = await call(`${insecure}/api/v1/namespaces/default/pods?labelSelector=app%3Dweb`);
    const web = pods.json.items[0].metadata.name;
    const log = await call(`${insecure}/api/v1/namespaces/default/pods/${web}/log`);
    assert.equal(log.status, 200);
    assert.match(log.text, /nginx/);
    const exec = await call(`${insecure}/api/v1/namespaces/default/pods/${web}/exec?command=id&stdout=true`, {
      method: 'POST',
    });
    assert.equal(exec.status, 400);
    assert.equal(exec.json.message, 'Upgrade request required');
    const before = lab.requests.length;
    const proxied = await call(`${insecure}/api/v1/nodes/lab-node-1/proxy/pods`);
    assert.equal(proxied.status, 200);
    assert.equal(proxied.json.kind, 'PodList');
    // The kubelet logs its answer once sent in full, which the proxied list may outrun: wait for the entry.
    const viaNode = () => lab.requests.slice(before).find((q) => q.component === 'kubelet' && q.path === '/pods');
    for (let i = 0; i < 100 && !viaNode(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(viaNode()?.identity, 'kube-apiserver-kubelet-client');
    const token = await call(`${secure}/api/v1/namespaces/default/serviceaccounts/reader/token`, {
      method: 'POST',
      token: lab.credentials.admin.token,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
    });
    assert.equal(token.status, 201, token.text);
    const issued = token.json.status.token as string;
    assert.equal((jwtClaims(issued) as { sub: string }).sub, 'system:serviceaccount:default:reader');
    assert.ok(lab.secretValues().includes(issued));
    assert.equal((await call(`${secure}/api/v1/pods`, { token: issued })).status, 200);
  });
  it('refuses oversized bodies and proxies only to nodes that run', async () => {
    const big = await call(`${insecure}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'big' },
        data: { x: 'a'.repeat(4 * 1024 * 1024) },
      },
    });
    assert.equal(big.status, 413);
    assert.equal(big.json.message, 'Request entity too large: limit is 3145728');
    const node = await call(`${insecure}/api/v1/nodes`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ghost-node' } },
    });
    assert.equal(node.status, 201);
    const proxied = await call(`${insecure}/api/v1/nodes/ghost-node/proxy/pods`);
    assert.equal(proxied.status, 503);
    assert.equal(proxied.json.reason, 'ServiceUnavailable');
    await call(`${insecure}/api/v1/nodes/ghost-node`, { method: 'DELETE' });
  });
});

describe('API server, default profile', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ base: '127.11.1.2', profile: 'default', etcd: 'off' });
  });
  after(() => lab.stop());

  it('has no insecure port', async () => {
    assert.equal(await portState('127.11.1.2', 8080), 'closed');
  });

  it('shows anonymous callers only the public-info endpoints', async () => {
    const version = await call(`${lab.apiServer}/version`);
    assert.equal(version.status, 200);
    assert.equal(version.json.gitVersion, 'v1.32.4');
    assert.equal((await call(`${lab.apiServer}/healthz`)).text, 'ok');
    assert.equal((await call(`${lab.apiServer}/readyz?verbose`)).text.split('\n').at(-2), 'readyz check passed');
    const api = await call(`${lab.apiServer}/api`);
    assert.equal(api.status, 403);
    assert.equal(api.json.message, 'forbidden: User "system:anonymous" cannot get path "/api"');
    assert.deepEqual(api.json.details, {});
    const pods = await call(`${lab.apiServer}/api/v1/pods`);
    assert.equal(pods.status, 403);
    assert.equal(
      pods.json.message,
      'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope',
    );
    assert.ok(version.headers['x-kubernetes-pf-flowschema-uid']);
    assert.match(String(version.headers['audit-id']), /^[0-9a-f-]{36}$/);
  });

  it('answers aggregated discovery to clients that ask for it', async () => {
    const token = lab.credentials.reader.token;
    const v2 = await call(`${lab.apiServer}/apis`, { token, headers: { accept: AGGREGATED } });
    assert.equal(v2.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    assert.equal(v2.json.kind, 'APIGroupDiscoveryList');
    assert.equal(v2.json.apiVersion, 'apidiscovery.k8s.io/v2');
    const apps = v2.json.items.find((g: { metadata: { name: string } }) => g.metadata.name === 'apps');
    const deployments = apps.versions[0].resources.find((r: { resource: string }) => r.resource === 'deployments');
    assert.deepEqual(deployments.responseKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(deployments.scope, 'Namespaced');
    const beta = await call(`${lab.apiServer}/api`, {
      token,
      headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' },
    });
    assert.equal(beta.json.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.equal(beta.json.items[0].versions[0].version, 'v1');
    const plain = await call(`${lab.apiServer}/api`, { token });
    assert.equal(plain.json.kind, 'APIVersions');
  });

  it('gives a new namespace its root CA config map (1.20 and later)', async () => {
    const admin = lab.credentials.admin.token;
    await call(`${lab.apiServer}/api/v1/namespaces`, {
      method: 'POST',
      token: admin,
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kf-ca' } },
    });
    const cm = await call(`${lab.apiServer}/api/v1/namespaces/kf-ca/configmaps/kube-root-ca.crt`, { token: admin });
    assert.equal(cm.json.data['ca.crt'], lab.ca);
    const seeded = await call(`${lab.apiServer}/api/v1/namespaces/kube-system/configmaps/kube-root-ca.crt`, {
      token: admin,
    });
    assert.equal(seeded.json.data['ca.crt'], lab.ca, 'the seeded namespaces have theirs too');
    const secrets = await call(`${lab.apiServer}/api/v1/namespaces/kf-ca/secrets`, { token: admin });
    assert.equal(secrets.json.items.length, 0, 'no token secrets since 1.24');
  });

  it('accepts the protobuf reviews kubectl sends', async () => {
    // `kubectl auth can-i list pods -n default` as a SelfSubjectAccessReview in Kubernetes protobuf.
    const str = (field: number, s: string) =>
      Buffer.concat([Buffer.from([(field << 3) | 2, Buffer.byteLength(s)]), Buffer.from(s)]);
    const sub = (field: number, b: Buffer) => Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
    const attrs = Buffer.concat([str(1, 'default'), str(2, 'list'), str(3, ''), str(5, 'pods')]);
    const object = sub(2, sub(1, attrs));
    const typeMeta = Buffer.concat([str(1, 'authorization.k8s.io/v1'), str(2, 'SelfSubjectAccessReview')]);
    const body = Buffer.concat([Buffer.from('k8s\0'), sub(1, typeMeta), sub(2, object)]);
    const r = await call(`${lab.apiServer}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST',
      token: lab.credentials.reader.token,
      headers: {
        'content-type': 'application/vnd.kubernetes.protobuf',
        accept: 'application/json',
      },
      body,
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.status.allowed, true);
    assert.equal(r.json.spec.resourceAttributes.resource, 'pods');
  });
});

describe('API server, hardened profile', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ base: '127.11.2.2', profile: 'hardened', etcd: 'off', nodes: 1 });
  });
  after(() => lab.stop());

  it('refuses anonymous callers everywhere with 401', async () => {
    for (const path of ['/version', '/healthz', '/api', '/api/v1/pods']) {
      const r = await call(`${lab.apiServer}${path}`);
      assert.equal(r.status, 401, path);
      assert.equal(r.json.reason, 'Unauthorized');
    }
  });

  it('authenticates client certificates signed by the cluster CA, and only those', async () => {
    const jane = lab.credentials.jane;
    const before = lab.requests.length;
    const pods = await call(`${lab.apiServer}/api/v1/pods`, { cert: jane.clientCert, key: jane.clientKey, ca: lab.ca });
    assert.equal(pods.status, 200);
    // The log records an exchange once the server has sent it all, which a large list may outlast on the
    // client's side: wait for its entry.
    const logged = () => lab.requests.slice(before).find((r) => r.path === '/api/v1/pods');
    for (let i = 0; i < 100 && !logged(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(logged()?.identity, 'jane');
    const secrets = await call(`${lab.apiServer}/api/v1/secrets`, {
      cert: jane.clientCert,
      key: jane.clientKey,
      ca: lab.ca,
    });
    assert.equal(secrets.status, 403);
    const stranger = await (await CertificateAuthority.create('CN=not-the-cluster-ca')).issue({
      subject: 'CN=mallory, O=system:masters',
      usage: 'client',
    });
    const refusedCert = await call(`${lab.apiServer}/api/v1/secrets`, { cert: stranger.cert, key: stranger.key });
    assert.equal(refusedCert.status, 401);
    const admin = lab.credentials['kubernetes-admin'];
    assert.equal(
      (await call(`${lab.apiServer}/api/v1/secrets`, { cert: admin.clientCert, key: admin.clientKey })).status,
      200,
    );
  });
});

describe('API server, namespaces that take a moment to terminate', () => {
  let lab: Lab;
  let insecure: string;
  before(async () => {
    lab = await startLab({ base: '127.11.4.2', etcd: 'off', nodes: 1, namespaceTerminationMs: 400 });
    insecure = 'http://127.11.4.2:8080';
  });
  after(() => lab.stop());

  it('answers 200 at once, shows Terminating, refuses a second delete with 409, then is gone with its objects', async () => {
    const before = await lab.snapshot();
    const url = `${insecure}/api/v1/namespaces/kf-slow`;
    const created = await call(`${insecure}/api/v1/namespaces`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kf-slow' } },
    });
    assert.equal(created.status, 201);
    const deleted = await call(url, { method: 'DELETE' });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.json.status.phase, 'Terminating');
    const during = await call(url);
    assert.equal(during.status, 200);
    assert.equal(during.json.status.phase, 'Terminating');
    assert.match(during.json.metadata.deletionTimestamp, /^\d{4}-\d\d-\d\dT/);
    const again = await call(url, { method: 'DELETE' });
    assert.equal(again.status, 409);
    assert.equal(again.json.reason, 'Conflict');
    assert.match(again.json.message, /The system is ensuring all content is removed from this namespace/);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal((await call(url)).status, 404);
    assert.equal((await call(`${url}/serviceaccounts`)).json.items.length, 0, 'its objects went with it');
    assert.deepEqual(await lab.snapshot(), before);
  });
});
