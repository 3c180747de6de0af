import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeLab, labOptionsFrom } from '../../src/cli/lab.js';
import { startLab } from '../../src/lab/index.js';
import { call } from '../lab/call.js';

// `kubeferret lab`'s flags as the lab takes them. Loopback block 127.147.0.0/16 (127.147.4.0/24 here).

describe('kubeferret lab --node-local-dns', () => {
  it('seeds the node-local DNS cache DaemonSet the API then serves, and says so; without it, none', async () => {
    for (const [base, nodeLocalDns] of [
      ['127.147.4.2', true],
      ['127.147.4.10', undefined],
    ] as const) {
      const lab = await startLab(labOptionsFrom({ profile: 'default', nodes: 1, base, etcd: 'off', nodeLocalDns }));
      try {
        const r = await call(`${lab.apiServer}/apis/apps/v1/namespaces/kube-system/daemonsets/node-local-dns`, {
          token: lab.credentials.admin.token!,
        });
        const said = describeLab(lab).includes('added: a node-local DNS cache (kube-system/DaemonSet/node-local-dns)');
        if (nodeLocalDns) {
          assert.equal(r.status, 200, r.text);
          assert.equal(r.json.spec.template.metadata.labels['k8s-app'], 'node-local-dns');
          assert.equal(r.json.spec.template.spec.hostNetwork, true);
          assert.ok(said, describeLab(lab));
        } else {
          assert.equal(r.status, 404, r.text);
          assert.ok(!said);
        }
      } finally {
        await lab.stop();
      }
    }
  });
});

describe('kubeferret lab scale flags', () => {
  it('a scale flag of 0 does not drop the others: --pods-per-node 0 --secrets 5 adds the 5 Secrets', async () => {
    const lab = await startLab(
      labOptionsFrom({ profile: 'default', nodes: 1, base: '127.147.4.20', etcd: 'off', podsPerNode: 0, secrets: 5 }),
    );
    try {
      const r = await call(`${lab.apiServer}/api/v1/namespaces/a-bulk/secrets`, {
        token: lab.credentials.admin.token!,
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.items.length, 5);
    } finally {
      await lab.stop();
    }
  });
});
