import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { huntApiAs, type LabHunt } from '../lab-hunt.js';

// Block 127.143.16.0/20 (test/README.md: 127.143.0.0/16). A cluster of 700 nodes: one page of 500 of
// them is past the 1 MiB a body may have by default, and the lab's own node (whose kubelet listens) is
// listed last. Every node's address must be learned, paged to the end.

const API_NODES = 700;

describe('node addresses at a large cluster’s size', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({
      profile: 'default',
      base: '127.143.16.2',
      nodes: 1,
      etcd: 'off',
      scale: { apiNodes: API_NODES },
    });
    hunt = await huntApiAs(lab, 'reader');
  });
  after(() => lab?.stop());

  it('learns every node’s address, the lab’s own kubelet (listed last) among them', () => {
    const learned = hunt.result.events.filter(
      (e): e is KfEvent<'AddressLearned'> => e.type === 'AddressLearned' && e.origin.startsWith('node '),
    );
    const outside = new Set(learned.filter((e) => !e.inScope).map((e) => e.address));
    assert.equal(outside.size, API_NODES, 'every API-only node, each out of the scope');
    const kubelet = lab.hosts.find((h) => h.role === 'node')!.address;
    assert.ok(
      learned.some((e) => e.address === kubelet && e.inScope),
      'the kubelet node, listed after the 700 others',
    );
  });

  it('reads the nodes in pages to the end, with no coverage gap and no problem', () => {
    const pages = hunt.requests.filter((r) => r.path.startsWith('/api/v1/nodes?') && r.identity.includes('reader'));
    assert.ok(pages.length >= 3, `${pages.length} pages`);
    assert.ok(pages.every((r) => r.status === 200));
    assert.ok(pages.some((r) => r.path.includes('continue=')));
    assert.deepEqual(
      hunt.gaps.filter((g) => g.hunter === 'apiserver-node-addresses'),
      [],
    );
    assert.deepEqual(hunt.result.problems, []);
  });
});
