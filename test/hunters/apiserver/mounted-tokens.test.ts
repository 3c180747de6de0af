import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Agent } from 'undici';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

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

async function create(p: Pod): Promise<void> {
  const address = lab.hosts[0].address;
  const res = await fetch(`https://${address}:${PORTS.apiserver}/api/v1/namespaces/${p.metadata!.namespace}/pods`, {
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
  hunt = await huntLab(lab, {
    hunters: apiserverHunters,
    ports: [PORTS.apiserver],
    identities: [tokenIdentity(lab, 'admin')],
  });
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
    const objects = hunt.of('KF-WORKLOAD-007').map((f) => f.object);
    assert.ok(!objects.includes('ops/Pod/quiet'), 'automountServiceAccountToken: false');
    assert.ok(!objects.includes('staging/Pod/build'), 'view only');
    const builder = {
      name: 'system:serviceaccount:staging:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:staging', 'system:authenticated'],
    };
    assert.equal(lab.can(builder, { verb: 'create', group: '', resource: 'pods', namespace: 'staging' }), false);
    assert.equal(lab.can(builder, { verb: 'list', group: '', resource: 'secrets', namespace: 'staging' }), false);
  });

  it('only reads', () => {
    assertOnlyReads(hunt);
  });
});
