import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { runProcess } from '../helpers/cli.js';
import { requireComponent } from '../helpers/components.js';
import { call } from './call.js';

// Block 127.145.4.0/24: user impersonation on the lab's API server (impersonation.ts), by the headers and by
// the real kubectl's --as: who may impersonate whom is RBAC's `impersonate` on users, groups, service
// accounts, as seed-paths.ts grants it (helpdesk → oncall-admin, a cluster-admin).

let lab: Lab;
let admin: string;
const home = mkdtempSync(join(tmpdir(), 'kf-impersonate-'));

const as = (user: string, groups: string[] = []) => ({
  'impersonate-user': user,
  ...(groups.length > 0 && { 'impersonate-group': groups.join(', ') }),
});

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.145.4.2', nodes: 1, etcd: 'off' });
  admin = lab.credentials.admin.token!;
});

after(async () => {
  await lab.stop();
  rmSync(home, { recursive: true, force: true });
});

describe('impersonation', () => {
  it('runs the request as the user impersonated, with its own rights only', async () => {
    const secrets = `${lab.apiServer}/api/v1/namespaces/ops/secrets`;
    const asOncall = await call(secrets, { token: admin, headers: as('oncall-admin') });
    assert.equal(asOncall.status, 200, asOncall.text);
    assert.ok(
      lab.requests.some((r) => r.path.startsWith('/api/v1/namespaces/ops/secrets') && r.identity === 'oncall-admin'),
    );
    const asJane = await call(secrets, { token: admin, headers: as('jane', ['developers']) });
    assert.equal(asJane.status, 403);
    assert.match(asJane.json.message, /^secrets is forbidden: User "jane" cannot list resource "secrets"/);
  });

  it('needs impersonate on the user, group or service account: refusals as the server words them', async () => {
    const jane = { cert: lab.credentials.jane.clientCert, key: lab.credentials.jane.clientKey };
    const url = `${lab.apiServer}/api/v1/namespaces/default/pods`;
    const user = await call(url, { ...jane, headers: as('oncall-admin') });
    assert.equal(user.status, 403);
    assert.equal(
      user.json.message,
      'users "oncall-admin" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    const account = await call(url, { ...jane, headers: as('system:serviceaccount:ops:operator') });
    assert.equal(account.status, 403);
    assert.match(account.json.message, /^serviceaccounts "operator" is forbidden: .* in the namespace "ops"$/);
    const groupOnly = await call(url, { token: admin, headers: { 'impersonate-group': 'system:masters' } });
    assert.equal(groupOnly.status, 400);
    // The lab's ground truth agrees with the server.
    assert.equal(lab.can('jane', { verb: 'impersonate', group: '', resource: 'users', name: 'oncall-admin' }), false);
  });

  it('impersonating a service account gives its groups; a group adds its bindings', async () => {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      spec: { namespace: 'ops' },
    };
    const url = `${lab.apiServer}/apis/authorization.k8s.io/v1/selfsubjectrulesreviews`;
    const asOperator = await call(url, {
      method: 'POST',
      body: review,
      token: admin,
      headers: as('system:serviceaccount:ops:operator'),
    });
    assert.equal(asOperator.status, 201, asOperator.text);
    assert.ok(
      (asOperator.json.status.resourceRules as { verbs: string[]; resources?: string[] }[]).some(
        (r) => r.verbs.includes('*') && r.resources?.includes('*'),
      ),
      'cluster-admin through the ops-operator binding',
    );
  });

  it('kubectl --as goes through the same check', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const kubeconfig = join(home, 'admin.kubeconfig');
    lab.kubeconfig('admin', kubeconfig);
    const run = (args: string[]) =>
      runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig });
    const allowed = await run(['--as=oncall-admin', 'auth', 'can-i', 'list', 'secrets', '-n', 'ops']);
    assert.equal(allowed.stdout.trim(), 'yes', allowed.stderr);
    const denied = await run(['--as=jane', '--as-group=developers', 'auth', 'can-i', 'list', 'secrets', '-n', 'ops']);
    assert.equal(denied.stdout.trim(), 'no', denied.stderr);
  });
});
