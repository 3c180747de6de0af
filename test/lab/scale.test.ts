import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { BULK_NAMESPACE, type Lab, PORTS, startLab } from '../../src/lab/index.js';
import { call } from './call.js';

// Loopback block 127.111.0.0/16 (see test/README.md).

const SCALE = { podsPerNode: 1500, secrets: 1200, namespaces: 700, roles: 300, seed: 7 };

describe('a lab grown on demand (LabOptions.scale)', () => {
  let lab: Lab;
  let api: string;
  let kubelet: string;

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.111.0.2', nodes: 2, etcd: 'simulated', scale: SCALE });
    api = `http://${lab.hosts[0].address}:${PORTS.apiserverInsecure}`;
    kubelet = `http://${lab.hosts[1].address}:${PORTS.kubeletReadOnly}`;
  });
  after(() => lab?.stop());

  /** Every page of a list, following `continue` to the end. */
  async function allPages(path: string): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let pages = 0;
    let next = '';
    do {
      const page = await call(`${api}${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`);
      assert.equal(page.status, 200, page.text);
      for (const item of page.json.items) names.push(`${item.metadata.namespace ?? ''}/${item.metadata.name}`);
      next = page.json.metadata.continue ?? '';
      pages++;
    } while (next);
    return { names, pages };
  }

  it("adds the objects asked for, named to sort before the lab's own, and pages them like an API server", async () => {
    const secrets = await allPages('/api/v1/secrets');
    const bulk = secrets.names.filter((n) => n.startsWith(`${BULK_NAMESPACE}/`));
    assert.equal(bulk.length, SCALE.secrets);
    assert.ok(secrets.pages >= 3, `${secrets.pages} pages`);
    assert.deepEqual(secrets.names.slice(0, SCALE.secrets), bulk, 'the added Secrets come first');
    assert.ok(
      secrets.names.slice(SCALE.secrets).some((n) => n.startsWith('default/')),
      "the lab's own Secrets come after them",
    );
    const namespaces = await allPages('/api/v1/namespaces');
    assert.equal(namespaces.names.filter((n) => n.startsWith(`/${BULK_NAMESPACE}-`)).length, SCALE.namespaces);
    assert.ok(namespaces.names.indexOf('/default') > SCALE.namespaces, 'default is listed after the added namespaces');
    const roles = await allPages('/apis/rbac.authorization.k8s.io/v1/clusterroles');
    assert.equal(roles.names.filter((n) => n.startsWith('/a-bulk-role-')).length, SCALE.roles);
    assert.ok(roles.names.indexOf('/cluster-admin') > SCALE.roles);
  });

  it("puts the extra pods on every node, and the kubelet streams its list with the lab's own pods last", async () => {
    const res = await call(`${kubelet}/pods`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], undefined, 'streamed, not built whole first');
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    const names: string[] = res.json.items.map(
      (p: { metadata: { namespace: string; name: string } }) => `${p.metadata.namespace}/${p.metadata.name}`,
    );
    const bulk = names.filter((n) => n.startsWith(`${BULK_NAMESPACE}/`));
    assert.equal(bulk.length, SCALE.podsPerNode);
    assert.deepEqual(names.slice(0, SCALE.podsPerNode), bulk);
    assert.ok(names.length > SCALE.podsPerNode, "the node's own pods are listed too");
    const summary = await call(`${kubelet}/stats/summary`);
    assert.equal(summary.json.node.nodeName, lab.hosts[1].name);
    assert.equal(summary.json.pods.length, names.length);
  });

  it('gives the same objects for the same seed, and different ones for another', async () => {
    const again = await startLab({ base: '127.111.1.2', nodes: 1, etcd: 'off', scale: { ...SCALE, podsPerNode: 40 } });
    const other = await startLab({
      base: '127.111.2.2',
      nodes: 1,
      etcd: 'off',
      scale: { ...SCALE, podsPerNode: 40, seed: 8 },
    });
    try {
      const images = async (l: Lab) => {
        const res = await call(`http://${l.hosts[1].address}:${PORTS.kubeletReadOnly}/pods`);
        return res.json.items
          .filter((p: { metadata: { namespace: string } }) => p.metadata.namespace === BULK_NAMESPACE)
          .map((p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0].image);
      };
      const mine = (await call(`${kubelet}/pods`)).json.items
        .filter((p: { metadata: { namespace: string } }) => p.metadata.namespace === BULK_NAMESPACE)
        .slice(0, 40)
        .map((p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0].image);
      assert.equal(new Set(mine).size > 1, true, 'images vary');
      assert.deepEqual(await images(again), await images(again));
      assert.notDeepEqual(await images(again), await images(other));
    } finally {
      await again.stop();
      await other.stop();
    }
  });

  it('keeps the added objects out of etcd', async () => {
    const res = await call(`http://${lab.hosts[0].address}:${PORTS.etcd}/v3/kv/range`, {
      method: 'POST',
      body: {
        key: Buffer.from('/registry/secrets/').toString('base64'),
        range_end: Buffer.from('/registry/secrets0').toString('base64'),
        keys_only: true,
      },
    });
    const keys = (res.json.kvs ?? []).map((kv: { key: string }) => Buffer.from(kv.key, 'base64').toString());
    assert.ok(keys.length > 0);
    assert.equal(keys.filter((k: string) => k.includes(BULK_NAMESPACE)).length, 0);
  });

  it('refuses counts that are not whole numbers from 0, in one line', async () => {
    for (const [scale, message] of [
      [{ podsPerNode: -1 }, /^--pods-per-node takes a whole number from 0 to 1000000, not "-1"$/],
      [{ secrets: 1.5 }, /^--secrets takes a whole number/],
      [{ namespaces: 2_000_000 }, /^--namespaces takes a whole number from 0 to 1000000/],
      [{ seed: -3 }, /^--seed takes a whole number/],
    ] as const) {
      await assert.rejects(
        startLab({ base: '127.111.3.2', etcd: 'off', scale }),
        (err: Error) => err instanceof UsageError && message.test(err.message),
      );
    }
  });
});
