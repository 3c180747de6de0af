import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Agent } from 'undici';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertOnlyReads, huntApiAs, type LabHunt } from '../lab-hunt.js';

// Block 127.121.0.0/16: pods that mount the token of a service account that holds rights (KF-WORKLOAD-007),
// in the default lab with three pods the test creates as the lab's admin before the hunt.

let lab: Lab;
let hunt: LabHunt;

function pod(namespace: string, name: string, serviceAccountName: string, automount?: boolean): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      serviceAccountName,
      ...(automount !== undefined && { automountServiceAccountToken: automount }),
      // What `restricted` admits: staging enforces it (seed-paths.ts).
      containers: [
        {
          name: 'app',
          image: 'registry.example/app:1',
          securityContext: {
            allowPrivilegeEscalation: false,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        },
      ],
    },
  };
}

/** A controller whose pods run as `serviceAccountName`, the template's automount as given. */
function controller(
  kind: 'Deployment' | 'DaemonSet' | 'CronJob',
  namespace: string,
  name: string,
  sa: string,
  automount?: boolean,
) {
  const template = {
    metadata: { labels: { app: name } },
    spec: {
      serviceAccountName: sa,
      ...(automount !== undefined && { automountServiceAccountToken: automount }),
      restartPolicy: kind === 'CronJob' ? 'Never' : 'Always',
      containers: [{ name: 'app', image: 'registry.example/app:1' }],
    },
  };
  const spec =
    kind === 'CronJob'
      ? { schedule: '* * * * *', jobTemplate: { spec: { template } } }
      : { ...(kind === 'Deployment' && { replicas: 2 }), selector: { matchLabels: { app: name } }, template };
  return {
    apiVersion: kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace },
    spec,
  };
}

const PLURAL: Record<string, string> = {
  Pod: 'api/v1/namespaces/{ns}/pods',
  Deployment: 'apis/apps/v1/namespaces/{ns}/deployments',
  DaemonSet: 'apis/apps/v1/namespaces/{ns}/daemonsets',
  CronJob: 'apis/batch/v1/namespaces/{ns}/cronjobs',
};

async function create(p: { kind?: string; metadata?: { namespace?: string } }): Promise<void> {
  const address = lab.hosts[0].address;
  const path = PLURAL[p.kind ?? 'Pod'].replace('{ns}', p.metadata!.namespace!);
  const res = await fetch(`https://${address}:${PORTS.apiserver}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${lab.credentials.admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(p),
    // @ts-expect-error undici's dispatcher option: the lab's certificate is self-signed.
    dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.121.1.2', nodes: 1, etcd: 'off' });
  // ops/operator is bound to cluster-admin (seed-paths.ts); staging/builder holds only `view`.
  await create(pod('ops', 'runner', 'operator'));
  await create(pod('ops', 'quiet', 'operator', false));
  await create(pod('staging', 'build', 'builder'));
  // Controllers: two running as ops/operator (a Deployment of two pods, a CronJob whose Job runs once the
  // clock moves), one that opts out in its template, one whose account holds only `view`.
  await create(controller('Deployment', 'ops', 'reconciler', 'operator'));
  await create(controller('CronJob', 'ops', 'sweeper', 'operator'));
  await create(controller('Deployment', 'ops', 'quiet-deploy', 'operator', false));
  await create(controller('DaemonSet', 'staging', 'agent', 'builder'));
  lab.clock.advance(120);
  hunt = await huntApiAs(lab, 'admin');
});

after(() => lab.stop());

describe('a pod that mounts a powerful token', () => {
  it('is reported with what its account can do, when its token is mounted', () => {
    assert.deepEqual(hunt.result.problems, []);
    const operator = {
      name: 'system:serviceaccount:ops:operator',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ops', 'system:authenticated'],
    };
    assert.equal(lab.can(operator, { verb: '*', group: '*', resource: '*' }), true, 'the ground truth');
    const [runner, ...more] = hunt.of('KF-WORKLOAD-007').filter((f) => f.object === 'ops/Pod/runner');
    assert.ok(
      runner,
      hunt
        .of('KF-WORKLOAD-007')
        .map((f) => f.object)
        .join(', '),
    );
    assert.equal(more.length, 0);
    assert.match(
      runner.evidence,
      /^pod ops\/runner mounts the token of service account ops\/operator \(automountServiceAccountToken not false\), which reaches cluster-admin in 1 step, .*: 1\. wildcard → cluster-admin: \* \* \(ClusterRoleBinding ops-operator → ClusterRole cluster-admin\)$/,
    );
  });

  it('is not reported when the pod opts out, nor when its account reaches nothing', () => {
    const objects = hunt.of('KF-WORKLOAD-007').map((f) => f.object ?? '');
    assert.ok(!objects.includes('ops/Pod/quiet'), 'automountServiceAccountToken: false');
    assert.ok(!objects.includes('staging/Pod/build'), 'view only');
    const builder = {
      name: 'system:serviceaccount:staging:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:staging', 'system:authenticated'],
    };
    assert.equal(lab.can(builder, { verb: 'create', group: '', resource: 'pods', namespace: 'staging' }), false);
    assert.equal(lab.can(builder, { verb: 'list', group: '', resource: 'secrets', namespace: 'staging' }), false);
  });

  it('judges a controller’s template once, with the pods it runs now folded into it', () => {
    const objects = hunt.of('KF-WORKLOAD-007').map((f) => f.object ?? '');
    const [deployment, ...twice] = hunt.of('KF-WORKLOAD-007').filter((f) => f.object === 'ops/Deployment/reconciler');
    assert.ok(deployment, objects.join(', '));
    assert.equal(twice.length, 0);
    assert.match(
      deployment.evidence,
      /^Deployment ops\/reconciler runs its pods with the token of service account ops\/operator mounted \(automountServiceAccountToken not false\); 2 pods of it run now \(reconciler-[^)]+\), which reaches cluster-admin in 1 step, /,
    );
    // Its pods, and the ReplicaSet between, are not findings of their own.
    assert.deepEqual(
      objects.filter((o) => /^ops\/(Pod|ReplicaSet)\/reconciler/.test(o)),
      [],
    );
  });

  it('folds a CronJob’s Job and its pod into the CronJob', () => {
    const objects = hunt.of('KF-WORKLOAD-007').map((f) => f.object ?? '');
    const [cron] = hunt.of('KF-WORKLOAD-007').filter((f) => f.object === 'ops/CronJob/sweeper');
    assert.ok(cron, objects.join(', '));
    assert.match(cron.evidence, /; 1 pod of it runs now \(sweeper-/);
    assert.deepEqual(
      objects.filter((o) => /^ops\/(Job|Pod)\/sweeper/.test(o)),
      [],
    );
  });

  it('leaves out a template that opts out and one whose account reaches nothing', () => {
    const objects = hunt.of('KF-WORKLOAD-007').map((f) => f.object ?? '');
    assert.ok(!objects.some((o) => o.includes('quiet-deploy')), objects.join(', '));
    assert.ok(!objects.some((o) => o.includes('/agent')), objects.join(', '));
  });

  it('only reads', () => {
    assertOnlyReads(hunt);
  });
});
