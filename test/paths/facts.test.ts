import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { namespaceFact, podFact, podSecrets } from '../../src/paths/facts.js';

// API objects reduced to graph facts: the Secrets a pod mounts (and what is not a Secret), whether its
// token is mounted, and a namespace's Pod Security level.

const pod = (spec: NonNullable<Pod['spec']>, name = 'p'): Pod => ({ metadata: { name, namespace: 'ops' }, spec });

describe('pod facts', () => {
  it('finds Secrets in volumes, projected sources, env and envFrom of every container', () => {
    const p = pod({
      volumes: [
        { name: 'a', secret: { secretName: 'vol' } },
        { name: 'b', projected: { sources: [{ secret: { name: 'projected' } }, { configMap: { name: 'cm' } }] } },
        { name: 'c', configMap: { name: 'not-a-secret' } },
        { name: 'd', emptyDir: {} },
      ],
      initContainers: [
        { name: 'i', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'init-env', key: 'k' } } }] },
      ],
      containers: [
        {
          name: 'c',
          env: [
            { name: 'PASSWORD', value: 'literal, not a Secret' },
            { name: 'Y', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } },
            { name: 'Z', valueFrom: { secretKeyRef: { name: 'vol', key: 'again' } } },
          ],
          envFrom: [{ secretRef: { name: 'from' } }, { configMapRef: { name: 'cm-from' } }],
        },
      ],
    });
    assert.deepEqual(podSecrets(p).sort(), ['from', 'init-env', 'projected', 'vol']);
  });

  it('takes the token as mounted unless the pod, or else its account, says false', () => {
    const spec = { containers: [{ name: 'c' }], serviceAccountName: 'sa' };
    const mounts = new Map([['ops/sa', false]]);
    assert.equal(podFact(pod(spec))?.tokenMounted, true);
    assert.equal(podFact(pod(spec), mounts)?.tokenMounted, false);
    assert.equal(podFact(pod({ ...spec, automountServiceAccountToken: true }), mounts)?.tokenMounted, true);
    assert.equal(podFact(pod({ containers: [{ name: 'c' }] }))?.serviceAccount, 'default');
    assert.equal(podFact(pod(spec))?.secrets, undefined, 'no Secret, no list');
    assert.equal(podFact({ metadata: { name: 'x' }, spec }), undefined, 'no namespace');
  });

  it('marks host access: privileged, host namespaces, hostPath', () => {
    assert.equal(
      podFact(pod({ containers: [{ name: 'c', securityContext: { privileged: true } }] }))?.hostAccess,
      true,
    );
    assert.equal(podFact(pod({ hostPID: true, containers: [{ name: 'c' }] }))?.hostAccess, true);
    assert.equal(podFact(pod({ containers: [{ name: 'c' }] }))?.hostAccess, false);
  });
});

describe('namespace facts', () => {
  it('reads the enforced Pod Security level, nothing else', () => {
    const labels = {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'baseline',
    };
    assert.deepEqual(namespaceFact({ metadata: { name: 'a', labels } }), { name: 'a', podSecurity: 'restricted' });
    assert.deepEqual(
      namespaceFact({ metadata: { name: 'b', labels: { 'pod-security.kubernetes.io/audit': 'restricted' } } }),
      { name: 'b' },
      'audit and warn refuse nothing',
    );
    assert.equal(namespaceFact({ metadata: {} }), undefined);
  });
});
