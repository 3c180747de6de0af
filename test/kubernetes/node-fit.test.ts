import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import {
  admits,
  meets,
  type NodeFacts,
  NodeIndex,
  nodeFacts,
  placementOf,
  tolerates,
} from '../../src/kubernetes/node-fit.js';

// The scheduler's filters as kube-scheduler applies them (NodeName, NodeUnschedulable, NodeAffinity,
// TaintToleration), pure: no socket involved.

const node = (
  name: string,
  labels: Record<string, string> = {},
  taints: Taint[] = [],
  unschedulable = false,
): NodeFacts => ({
  name,
  labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels },
  taints,
  unschedulable,
});

const nodes = new NodeIndex([
  node('web-1', { pool: 'web', cores: '8' }),
  node('web-2', { pool: 'web', cores: '8' }),
  node('gpu-1', { pool: 'gpu', cores: '32' }, [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]),
  node('old-1', { pool: 'old', cores: '4' }, [], true),
  node('batch-1', { pool: 'batch' }, [{ key: 'batch', effect: 'PreferNoSchedule' }]),
]);

const fit = (spec: Partial<PodSpec>) => nodes.noFit(placementOf({ containers: [], ...spec } as PodSpec));
const term = (...expressions: { key: string; operator: string; values?: string[] }[]) => ({
  matchExpressions: expressions,
});
const affinity = (...terms: object[]) =>
  ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
  }) as PodSpec['affinity'];

describe('node fit: label requirements', () => {
  it('judges each operator as labels.Requirement does', () => {
    const r = (operator: string, values?: string[]) => ({ key: 'k', operator, values });
    assert.equal(meets(r('In', ['a', 'b']), 'b'), true);
    assert.equal(meets(r('In', ['a']), undefined), false);
    assert.equal(meets(r('NotIn', ['a']), undefined), true, 'NotIn matches a node without the label');
    assert.equal(meets(r('NotIn', ['a']), 'a'), false);
    assert.equal(meets(r('Exists'), ''), true);
    assert.equal(meets(r('DoesNotExist'), 'x'), false);
    assert.equal(meets(r('Gt', ['7']), '8'), true);
    assert.equal(meets(r('Gt', ['8']), '8'), false);
    assert.equal(meets(r('Lt', ['10']), '9'), true);
    assert.equal(meets(r('Gt', ['7']), 'eight'), false, 'a label that is not an integer meets neither Gt nor Lt');
    assert.equal(meets(r('Gt', ['7', '8']), '9'), false, 'Gt takes exactly one value');
    assert.equal(meets(r('Near', ['a']), 'a'), false, 'an unknown operator matches nothing');
  });

  it('tolerations: key, value, effect and Exists', () => {
    const taint: Taint = { key: 'gpu', value: 'yes', effect: 'NoSchedule' };
    assert.equal(tolerates({ key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }, taint), true);
    assert.equal(tolerates({ key: 'gpu', value: 'yes' }, taint), true, 'no operator is Equal; no effect is any');
    assert.equal(tolerates({ key: 'gpu', value: 'no' }, taint), false);
    assert.equal(tolerates({ key: 'gpu', operator: 'Exists' }, taint), true);
    assert.equal(tolerates({ operator: 'Exists' }, taint), true, 'Exists without a key tolerates every taint');
    assert.equal(tolerates({ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }, taint), false);
  });
});

describe('node fit: which pods some node can run', () => {
  it('a pod without placement fits; a node selector nothing has does not', () => {
    assert.equal(fit({}), undefined);
    assert.equal(fit({ nodeSelector: { pool: 'web' } }), undefined);
    assert.deepEqual(fit({ nodeSelector: { pool: 'arm' } }), { why: 'no-match' });
    assert.deepEqual(fit({ nodeSelector: { pool: 'web', cores: '32' } }), { why: 'no-match' }, 'ANDed');
  });

  it('required affinity: terms ORed, requirements ANDed, an empty term matches nothing', () => {
    assert.equal(
      fit({
        affinity: affinity(
          term({ key: 'pool', operator: 'In', values: ['arm'] }),
          term({ key: 'pool', operator: 'In', values: ['web'] }),
        ),
      }),
      undefined,
    );
    assert.deepEqual(
      fit({
        affinity: affinity(
          term({ key: 'pool', operator: 'In', values: ['web'] }, { key: 'cores', operator: 'Gt', values: ['16'] }),
        ),
      }),
      { why: 'no-match' },
    );
    assert.equal(fit({ affinity: affinity(term({ key: 'cores', operator: 'Lt', values: ['16'] })) }), undefined);
    assert.deepEqual(fit({ affinity: affinity({}) }), { why: 'no-match' }, 'an empty term');
    assert.deepEqual(fit({ affinity: affinity() }), { why: 'no-match' }, 'no terms at all');
    assert.deepEqual(
      fit({ affinity: affinity(term({ key: 'zone', operator: 'Exists' })) }),
      { why: 'no-match' },
      'a label no node has',
    );
    assert.equal(fit({ affinity: affinity(term({ key: 'zone', operator: 'DoesNotExist' })) }), undefined);
    // node selector AND affinity
    assert.deepEqual(
      fit({
        nodeSelector: { pool: 'web' },
        affinity: affinity(term({ key: 'cores', operator: 'Gt', values: ['16'] })),
      }),
      { why: 'no-match' },
    );
  });

  it('names: hostname and matchFields metadata.name, In and NotIn; spec.nodeName', () => {
    const byName = (operator: string, values: string[]) =>
      fit({ affinity: affinity({ matchFields: [{ key: 'metadata.name', operator, values }] }) });
    assert.equal(byName('In', ['web-2']), undefined);
    assert.deepEqual(byName('In', ['web-9']), { why: 'no-match' });
    assert.equal(byName('NotIn', ['web-1']), undefined);
    assert.deepEqual(
      fit({ affinity: affinity(term({ key: 'kubernetes.io/hostname', operator: 'In', values: ['ip-10-0-9-14'] })) }),
      { why: 'no-match' },
    );
    assert.deepEqual(
      fit({
        nodeSelector: { pool: 'web' },
        affinity: affinity(term({ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['web-1', 'web-2'] })),
      }),
      { why: 'no-match' },
      'every web node excluded by name',
    );
    assert.deepEqual(
      fit({ affinity: affinity({ matchFields: [{ key: 'metadata.labels', operator: 'In', values: ['x'] }] }) }),
      { why: 'no-match' },
      'only metadata.name is a field',
    );
    assert.deepEqual(fit({ nodeName: 'gone-7' }), { why: 'no-such-node', nodeName: 'gone-7' });
    assert.equal(fit({ nodeName: 'gpu-1' }), undefined, 'a bound pod is not filtered by taints here');
  });

  it('taints NoSchedule and NoExecute keep pods off unless tolerated; PreferNoSchedule does not; a cordon is a taint', () => {
    assert.deepEqual(fit({ nodeSelector: { pool: 'gpu' } }), {
      why: 'taints',
      taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    });
    assert.equal(
      fit({ nodeSelector: { pool: 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] }),
      undefined,
    );
    assert.equal(fit({ nodeSelector: { pool: 'batch' } }), undefined, 'PreferNoSchedule only prefers');
    assert.deepEqual(fit({ nodeSelector: { pool: 'old' } }), {
      why: 'taints',
      taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
    });
    assert.equal(
      fit({
        nodeSelector: { pool: 'old' },
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }],
      }),
      undefined,
    );
  });

  it('groups alike nodes: the hostname does not split a pool', () => {
    const many = new NodeIndex(Array.from({ length: 2000 }, (_, i) => node(`n-${i}`, { pool: i % 2 ? 'a' : 'b' })));
    assert.equal(many.size, 2000);
    assert.equal(many.groupCount, 2);
    assert.equal(
      many.noFit(placementOf({ containers: [], nodeSelector: { 'kubernetes.io/hostname': 'n-1999' } })),
      undefined,
    );
    assert.deepEqual(
      many.noFit(placementOf({ containers: [], nodeSelector: { 'kubernetes.io/hostname': 'n-2000' } })),
      {
        why: 'no-match',
      },
    );
  });

  it('reads a Node object defensively, and a PersistentVolume affinity ignores taints', () => {
    assert.equal(nodeFacts({ metadata: { labels: {} } }), undefined, 'a node without a name');
    assert.deepEqual(
      nodeFacts({ metadata: { name: 'x', labels: { a: 'b', n: 3 } }, spec: { taints: 'no', unschedulable: true } }),
      {
        name: 'x',
        labels: { a: 'b' },
        taints: [],
        unschedulable: true,
      },
    );
    assert.equal(nodes.anyMeets([term({ key: 'kubernetes.io/hostname', operator: 'In', values: ['gpu-1'] })]), true);
    assert.equal(nodes.anyMeets([term({ key: 'kubernetes.io/hostname', operator: 'In', values: ['gone'] })]), false);
  });
});

describe('node fit: one node at a time (admits)', () => {
  const all = [
    node('web-1', { pool: 'web', cores: '8' }),
    node('web-2', { pool: 'web', cores: '8' }),
    node('gpu-1', { pool: 'gpu', cores: '32' }, [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }]),
    node('old-1', { pool: 'old', cores: '4' }, [], true),
    node('batch-1', { pool: 'batch' }, [{ key: 'batch', effect: 'PreferNoSchedule' }]),
  ];
  const specs: Partial<PodSpec>[] = [
    {},
    { nodeSelector: { pool: 'web' } },
    { affinity: affinity(term({ key: 'cores', operator: 'Gt', values: ['6'] })) },
    { affinity: affinity(term({ key: 'pool', operator: 'In', values: ['gpu'] })) },
    {
      affinity: affinity(term({ key: 'pool', operator: 'In', values: ['gpu'] })),
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }],
    },
    { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }] },
    { nodeName: 'old-1' },
    { nodeName: 'gpu-1' },
    { affinity: affinity({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['web-1'] }] }) },
    { affinity: affinity({}) },
  ];
  it('answers each node as the index answers the cluster: some node admits exactly when noFit is undefined', () => {
    for (const spec of specs) {
      const p = placementOf({ containers: [], ...spec } as PodSpec);
      for (const n of all) {
        // Each node alone, as an index of one, is the reference.
        assert.equal(admits(p, n), new NodeIndex([n]).noFit(p) === undefined, `${JSON.stringify(spec)} on ${n.name}`);
      }
    }
  });
  it('a cordoned node takes a pod bound by name, not a scheduled one; a NoSchedule taint keeps only scheduled pods off', () => {
    const cordoned = node('old-1', {}, [], true);
    const tainted = node('gpu-1', {}, [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }]);
    assert.equal(admits(placementOf({ containers: [] }), cordoned), false);
    assert.equal(admits(placementOf({ containers: [], nodeName: 'old-1' }), cordoned), true);
    assert.equal(admits(placementOf({ containers: [] }), tainted), false);
    assert.equal(admits(placementOf({ containers: [], nodeName: 'gpu-1' }), tainted), true);
    assert.equal(admits(placementOf({ containers: [], nodeName: 'web-1' }), tainted), false);
  });
});
