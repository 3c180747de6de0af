import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { BARE_PODS_ONE_BY_ONE } from '../../../src/hunters/apiserver/workload-fold.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { huntLab, type LabHunt } from '../lab-hunt.js';

// Block 127.136.0.0/16: a pod's weakness is its controller's finding when the controller's template shows
// it, and many pods no controller owns are one finding per namespace, not one each (a cluster of 100,000
// such pods once gave 100,000 findings and 859 MB).

const BULK = 40;
let many: Lab;
let few: Lab;

before(async () => {
  [many, few] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.136.0.2', nodes: 1, etcd: 'off', scale: { podsPerNode: BULK } }),
    startLab({
      profile: 'vulnerable',
      base: '127.136.1.2',
      nodes: 1,
      etcd: 'off',
      scale: { podsPerNode: BARE_PODS_ONE_BY_ONE },
    }),
  ]);
});

after(async () => {
  await Promise.all([many.stop(), few.stop()]);
});

interface LabPod {
  metadata: { name: string; namespace: string; ownerReferences?: { kind: string; name: string }[] };
}

async function bulkPods(lab: Lab): Promise<string[]> {
  const pods = (await lab.snapshot()).objects['v1/pods'] as unknown as LabPod[];
  return pods.filter((p) => p.metadata.namespace === 'a-bulk').map((p) => p.metadata.name);
}

const bulkFindings = (hunt: LabHunt) => hunt.of('KF-WORKLOAD-005').filter((f) => f.object?.startsWith('a-bulk/'));

describe('pod weaknesses at size', () => {
  it(`more than ${BARE_PODS_ONE_BY_ONE} pods with the same weakness and no owner: one finding naming their count`, async () => {
    const names = await bulkPods(many);
    assert.equal(names.length, BULK, 'the lab made the bulk pods');
    const hunt = await huntLab(many, { hunters: apiserverHunters, ports: [PORTS.apiserver] });
    const found = bulkFindings(hunt);
    assert.deepEqual(
      found.map((f) => f.object),
      ['a-bulk/Pod/*'],
    );
    assert.match(found[0].evidence, new RegExp(`^a-bulk/Pod/\\*: ${BULK} pods of namespace a-bulk`));
    assert.match(found[0].evidence, new RegExp(`and ${BULK - 5} more`));
    // The sample names real pods of the lab.
    const quoted = [...found[0].evidence.matchAll(/(a-bulk-pod-[\w-]+) \(/g)].map((m) => m[1]);
    assert.equal(quoted.length, 5);
    for (const name of quoted) assert.ok(names.includes(name), `${name} is a pod of the lab`);
  });

  it(`up to ${BARE_PODS_ONE_BY_ONE}: one finding per pod, as before`, async () => {
    const names = await bulkPods(few);
    const hunt = await huntLab(few, { hunters: apiserverHunters, ports: [PORTS.apiserver] });
    assert.deepEqual(
      bulkFindings(hunt)
        .map((f) => f.object)
        .sort(),
      names.map((n) => `a-bulk/Pod/${n}`).sort(),
    );
  });

  it("a controller's pods add no finding of their own for what its template shows", async () => {
    const hunt = await huntLab(few, { hunters: apiserverHunters, ports: [PORTS.apiserver] });
    const pods = (await few.snapshot()).objects['v1/pods'] as unknown as LabPod[];
    const byKb = new Map<string, string[]>();
    for (const f of hunt.findings.filter((f) => f.kb.startsWith('KF-WORKLOAD-00') && f.object)) {
      byKb.set(f.kb, [...(byKb.get(f.kb) ?? []), f.object!]);
    }
    let checked = 0;
    for (const pod of pods) {
      const owner = pod.metadata.ownerReferences?.[0];
      if (owner?.kind !== 'DaemonSet') continue;
      const ownerKey = `${pod.metadata.namespace}/DaemonSet/${owner.name}`;
      const podKey = `${pod.metadata.namespace}/Pod/${pod.metadata.name}`;
      for (const [kb, objects] of byKb) {
        if (objects.includes(ownerKey)) {
          checked++;
          assert.ok(!objects.includes(podKey), `${kb}: ${podKey} is folded into ${ownerKey}`);
        }
      }
    }
    assert.ok(checked > 0, 'the lab has DaemonSet pods whose template shows a weakness');
  });
});
