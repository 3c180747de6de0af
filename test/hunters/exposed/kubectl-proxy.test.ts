import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { exposedHunters } from '../../../src/hunters/exposed/index.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { hasCommand, requireComponent } from '../../helpers/components.js';
import { assertOnlyReads, createAsAdmin, type Hunt, huntDiscovered, type LabHunt } from '../lab-hunt.js';

// This file's loopback block: 127.66.0.0/16. The real kubectl proxy, started with the kubeconfig of a
// low-privileged lab identity (dev/deployer: pods in dev, and here the Secrets of dev): the proxy may not
// list namespaces, yet /api and dev's Secrets answer through it. It is reported, with what it lends.
const BASE = '127.66.0.2';
const PROXY = '127.66.1.1';

let lab: Lab;
let dir: string;
let proxy: ChildProcess | undefined;
let hunt: Hunt | undefined;
/** Where the hunt's requests start in the lab's log (the set-up's are before). */
let from = 0;

async function waitForPort(host: string, port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`kubectl proxy exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${host}:${port} did not open in 30 s: ${log()}`);
}

before(async () => {
  if (!hasCommand('kubectl')) return;
  lab = await startLab({ profile: 'default', base: BASE, nodes: 1, etcd: 'off' });
  dir = mkdtempSync(join(tmpdir(), 'kf-kubectl-proxy-'));
  const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/dev';
  await createAsAdmin(lab, `${rbac}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'secret-reader', namespace: 'dev' },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
  });
  await createAsAdmin(lab, `${rbac}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer-lists-secrets', namespace: 'dev' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'dev' }],
  });
  const kubeconfig = join(dir, 'deployer.kubeconfig');
  lab.kubeconfig('deployer', kubeconfig);
  // Its default --accept-hosts: only a Host of localhost is served, which the hunter sends.
  proxy = spawn('kubectl', ['--kubeconfig', kubeconfig, 'proxy', `--address=${PROXY}`, '--port=8001'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  for (const s of [proxy.stdout, proxy.stderr]) s?.on('data', (d) => (out = (out + d).slice(-4000)));
  await waitForPort(PROXY, 8001, proxy, () => out);
  from = lab.requests.length;
  hunt = await huntDiscovered([{ host: PROXY, port: 8001 }], { hunters: exposedHunters });
});
after(async () => {
  proxy?.kill();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the real kubectl proxy in front of a low-privileged user', () => {
  it('is reported with what its identity can do, although it may not list namespaces', (t: TestContext) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client') || !hunt) return;
    assert.deepEqual(hunt.result.problems, []);
    const [f] = hunt.of('KF-PROXY-001');
    assert.ok(f, 'reported');
    assert.equal(f.severity, 'high');
    assert.match(
      f.evidence,
      /^GET \/api → 200: APIVersions without credentials \(with Host: localhost, which the proxy requires\); the proxy acts as system:serviceaccount:dev:deployer; through the proxy: /,
    );
    assert.match(
      f.evidence,
      /listed 0 pods \(namespace dev only\), \d+ secrets \(namespace dev only\); may create pods \(namespace dev\)/,
    );
    const access = hunt.result.events.find((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess');
    assert.equal(access?.identity, 'kubectl-proxy');
    assert.equal(access?.can['list namespaces'], false);
    assert.equal(access?.can['list secrets'], true);
    assert.equal(access?.can['* *'], false);
  });

  it('asked through the proxy, as the proxy user, and only read', (t: TestContext) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client') || !hunt) return;
    const through = lab.requests.slice(from).filter((r) => r.component === 'kube-apiserver');
    assert.ok(through.length > 0);
    assert.ok(through.every((r) => r.identity === 'system:serviceaccount:dev:deployer'));
    const namespaces = through.find((r) => r.path.startsWith('/api/v1/namespaces?'));
    assert.equal(namespaces?.status, 403);
    const secrets = through.find((r) => r.path.startsWith('/api/v1/namespaces/dev/secrets'));
    assert.equal(secrets?.status, 200);
    assertOnlyReads({ ...hunt, requests: through } as LabHunt);
  });
});
