import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { daemonPodTolerations, daemonTolerations, isDaemonToleration } from '../../src/kubernetes/daemon-pods.js';

const keys = (tolerations: { key?: string; effect?: string; tolerationSeconds?: number }[]) =>
  tolerations.map(
    (t) => `${t.key ?? '*'}:${t.effect ?? '*'}${t.tolerationSeconds === undefined ? '' : `:${t.tolerationSeconds}`}`,
  );

describe("daemon pods: the DaemonSet controller's tolerations", () => {
  it('six for every pod, network-unavailable too on the host network, all Exists and forever', () => {
    const pod = daemonTolerations({ containers: [] });
    assert.deepEqual(keys(pod), [
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.ok(pod.every((t) => t.operator === 'Exists' && !('hostNetworkOnly' in t)));
    const host = daemonTolerations({ containers: [], hostNetwork: true });
    assert.deepEqual(keys(host).slice(6), ['node.kubernetes.io/network-unavailable:NoSchedule']);
  });

  it("after the template's own; the same rule with a period replaced in place; a wider one kept beside them", () => {
    const spec: PodSpec = {
      containers: [],
      tolerations: [
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
        { operator: 'Exists' },
      ],
    };
    assert.deepEqual(keys(daemonPodTolerations(spec)), [
      'CriticalAddonsOnly:*',
      'node.kubernetes.io/unreachable:NoExecute',
      '*:*',
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.equal(spec.tolerations?.length, 3, 'the template is not changed');
  });

  it('garbage in a manifest is no toleration; a missing spec gets the six', () => {
    const spec = { containers: [], tolerations: [null, 'x', { key: 'a', operator: 'Exists' }] } as unknown as PodSpec;
    assert.deepEqual(keys(daemonPodTolerations(spec)).slice(0, 2), ['a:*', 'node.kubernetes.io/not-ready:NoExecute']);
    assert.equal(daemonPodTolerations(undefined).length, 6);
    assert.equal(daemonPodTolerations({ containers: [], tolerations: 'all' as never }).length, 6);
  });

  it("tells the controller's own from a template's (a period, another effect)", () => {
    assert.ok(isDaemonToleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }));
    assert.ok(
      !isDaemonToleration({
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      }),
    );
    assert.ok(!isDaemonToleration({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }));
    assert.ok(!isDaemonToleration({ operator: 'Exists' }));
  });
});
