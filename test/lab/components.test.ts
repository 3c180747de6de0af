import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { type Lab, startLab } from '../../src/lab/index.js';
import { call, portState } from './call.js';

// Loopback block 127.14.0.0/16 (see test/README.md).

function peerCertificate(host: string, port: number): Promise<tls.DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      const cert = s.getPeerCertificate(true);
      s.destroy();
      resolve(cert);
    });
    s.once('error', reject);
  });
}

describe('lab components, vulnerable profile', () => {
  let lab: Lab;
  const cp = '127.14.0.2';
  before(async () => {
    lab = await startLab({ base: cp, etcd: 'off' });
  });
  after(() => lab.stop());

  it('serves the dashboard with skip-login and its JSON API to anyone', async () => {
    const index = await call(`http://${cp}:30000/`);
    assert.match(index.text, /<title>Kubernetes Dashboard<\/title>/);
    assert.deepEqual((await call(`http://${cp}:30000/api/v1/login/skippable`)).json, { skippable: true });
    // kube-hunter's test: a service list with listMeta and no errors means the dashboard is open.
    const services = await call(`http://${cp}:30000/api/v1/service/default`);
    assert.ok(services.text.includes('listMeta'));
    assert.deepEqual(services.json.errors, []);
    assert.ok(services.json.services.some((s: { objectMeta: { name: string } }) => s.objectMeta.name === 'kubernetes'));
    const nodes = await call(`http://${cp}:30000/api/v1/node`);
    assert.deepEqual(
      nodes.json.nodes.map((n: { objectMeta: { name: string } }) => n.objectMeta.name),
      ['lab-node-1', 'lab-node-2'],
    );
    // The dashboard's data select: one page of a list, listMeta counting the whole.
    const all = (await call(`http://${cp}:30000/api/v1/secret`)).json;
    const page = (await call(`http://${cp}:30000/api/v1/secret?itemsPerPage=3&page=2`)).json;
    assert.equal(page.listMeta.totalItems, all.secrets.length);
    assert.deepEqual(page.secrets, all.secrets.slice(3, 6));
    const secret = await call(`http://${cp}:30000/api/v1/secret/default/db-credentials`);
    const password = Buffer.from(secret.json.data.password, 'base64').toString();
    assert.ok(lab.secretValues().includes(password));
    assert.equal(lab.requests.at(-1)?.component, 'dashboard');
  });

  it('runs kubectl proxy, forwarding anyone to the API server as kubernetes-admin', async () => {
    const r = await call(`http://${cp}:8001/api/v1/namespaces/default/secrets`);
    assert.equal(r.status, 200);
    assert.equal(r.json.kind, 'SecretList');
    const [proxy, api] = [
      lab.requests.find((q) => q.component === 'kubectl-proxy' && q.path === '/api/v1/namespaces/default/secrets'),
      lab.requests.find(
        (q) => q.component === 'kube-apiserver' && q.port === 6443 && q.path === '/api/v1/namespaces/default/secrets',
      ),
    ];
    assert.equal(proxy?.identity, 'system:anonymous');
    assert.equal(api?.identity, 'kubernetes-admin', 'the API server sees the proxy owner');
    assert.equal((await call(`http://${cp}:8001/version`)).json.gitVersion, 'v1.16.0');
    const exec = await call(`http://${cp}:8001/api/v1/namespaces/default/pods/web/exec?command=id`);
    assert.equal(exec.status, 403);
    assert.equal(exec.text, 'Forbidden\n', 'kubectl proxy rejects exec paths by default');
  });

  it('exposes kube-proxy health and metrics on the nodes', async () => {
    const health = await call('http://127.14.0.3:10256/healthz');
    assert.equal(health.headers['content-type'], 'application/json');
    assert.ok(Date.parse(health.json.lastUpdated) <= Date.parse(health.json.currentTime));
    assert.equal(health.json.nodeEligible, undefined, 'a 1.16 kube-proxy does not report eligibility');
    assert.equal((await call('http://127.14.0.3:10249/proxyMode')).text, 'iptables');
    assert.match(
      (await call('http://127.14.0.4:10249/metrics')).text,
      /kubernetes_build_info\{.*git_version="v1\.16\.0"/,
    );
  });

  it('lets anonymous callers read the controller manager and scheduler metrics and configuration', async () => {
    const metrics = await call(`https://${cp}:10257/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /kubernetes_build_info/);
    assert.equal(lab.requests.at(-1)?.component, 'kube-controller-manager');
    const configz = await call(`https://${cp}:10257/configz`);
    assert.equal(configz.json.componentconfig.SAController.ServiceAccountKeyFile, '/etc/kubernetes/pki/sa.key');
    const cmdline = await call(`https://${cp}:10257/debug/pprof/cmdline`);
    assert.ok(cmdline.text.split('\0').includes('--service-account-private-key-file=/etc/kubernetes/pki/sa.key'));
    const scheduler = await call(`https://${cp}:10259/configz`);
    assert.equal(scheduler.json.componentconfig.kind, 'KubeSchedulerConfiguration');
    assert.equal((await call(`https://${cp}:10259/healthz`)).text, 'ok');
  });

  it('runs a standalone cAdvisor on the first node', async () => {
    const root = await call('http://127.14.0.3:4194/');
    assert.equal(root.status, 307);
    assert.equal(root.headers.location, '/containers/');
    assert.match((await call('http://127.14.0.3:4194/containers/')).text, /<title>cAdvisor - \/<\/title>/);
    assert.equal((await call('http://127.14.0.3:4194/api/v1.3/machine')).json.num_cores, 4);
    assert.equal(await portState('127.14.0.4', 4194), 'closed', 'only on the first node');
  });

  it("signs the API server's certificate with the lab CA, SANs like a real one and an e-mail in the subject", async () => {
    const cert = await peerCertificate(cp, 6443);
    assert.equal(cert.subject.CN, 'kube-apiserver');
    assert.equal(cert.subject.emailAddress, 'cluster-admin@example.com');
    assert.equal(cert.issuer.CN, 'kubernetes');
    for (const san of [
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
      'IP Address:10.96.0.1',
      `IP Address:${cp}`,
    ]) {
      assert.ok(cert.subjectaltname?.split(', ').includes(san), `${san} in ${cert.subjectaltname}`);
    }
    const verified = await call(`https://${cp}:6443/version`, { ca: lab.ca });
    assert.equal(verified.status, 200, 'a client that trusts the lab CA verifies the server');
    const kubelet = await peerCertificate('127.14.0.3', 10250);
    assert.match(String(kubelet.subject.CN), /^lab-node-1@\d+$/);
    assert.match(String(kubelet.issuer.CN), /^lab-node-1-ca@\d+$/, 'a kubelet makes its own self-signed pair');
  });
});

describe('lab components, default profile', () => {
  let lab: Lab;
  const cp = '127.14.1.2';
  before(async () => {
    lab = await startLab({ base: cp, profile: 'default', etcd: 'off', nodes: 1 });
  });
  after(() => lab.stop());

  it('has no dashboard, kubectl proxy, kube-proxy metrics or cAdvisor', async () => {
    for (const [host, port] of [
      [cp, 30000],
      [cp, 8001],
      ['127.14.1.3', 10249],
      ['127.14.1.3', 4194],
    ] as const) {
      assert.equal(await portState(host, port), 'closed', `${host}:${port}`);
    }
    const health = await call('http://127.14.1.3:10256/healthz');
    assert.equal(health.json.nodeEligible, true);
  });

  it('lets anonymous callers see only the health of the controller manager and scheduler', async () => {
    for (const port of [10257, 10259]) {
      assert.equal((await call(`https://${cp}:${port}/healthz`)).text, 'ok');
      const metrics = await call(`https://${cp}:${port}/metrics`);
      assert.equal(metrics.status, 403);
      assert.deepEqual(metrics.json, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'forbidden: User "system:anonymous" cannot get path "/metrics"',
        reason: 'Forbidden',
        details: {},
        code: 403,
      });
      assert.equal((await call(`https://${cp}:${port}/metrics`, { token: lab.credentials.admin.token })).status, 200);
      assert.equal((await call(`https://${cp}:${port}/configz`, { token: 'bogus' })).status, 401);
    }
  });

  it('puts no e-mail address in the API server certificate', async () => {
    const cert = await peerCertificate(cp, 6443);
    assert.equal(cert.subject.CN, 'kube-apiserver');
    assert.equal(cert.subject.emailAddress, undefined);
  });
});
