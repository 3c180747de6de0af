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

  it('marks the Dashboard by its image (v2, v1, any registry), not look-alikes', () => {
    const runs = (image: string) => podFact(pod({ containers: [{ name: 'c', image }] }))?.dashboard === true;
    assert.equal(runs('kubernetesui/dashboard:v2.7.0'), true);
    assert.equal(
      runs('docker.io/kubernetesui/dashboard@sha256:2e500d29e9d5f4a086b908eb8dfe7ecac57d2ab09d65b24f588b1d449841ef93'),
      true,
    );
    assert.equal(runs('registry.k8s.io/kubernetes-dashboard-amd64:v1.10.1'), true);
    // v3's API container acts with each user's token; a metrics scraper, a fork, no image: not the Dashboard.
    assert.equal(runs('kubernetesui/dashboard-api:1.10.0'), false);
    assert.equal(runs('kubernetesui/metrics-scraper:v1.0.8'), false);
    assert.equal(runs('example.com/my-kubernetesui/dashboard-clone:1'), false);
    assert.equal(podFact(pod({ containers: [{ name: 'c' }] }))?.dashboard, undefined);
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
