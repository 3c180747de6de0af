import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configFromFlags } from '../../src/cli/hunt.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { type Lab, PORTS, startLab } from '../../src/lab/index.js';
import { runHunt } from '../../src/run/hunt.js';
import { makeCert } from '../helpers/certs.js';
import type { TestServer } from '../helpers/servers.js';
import { K8S_VERSION, serve } from './fakes.js';
import { eventsOf } from './run.js';

// Block 127.143.32.0/20 (test/README.md: 127.143.0.0/16). `--discover-nodes` on a cluster of 700 nodes:
// the node list is more than the 1 MiB a body may have by default, and the lab's own node (the only one
// with a kubelet) comes last. Every node is learned, page by page; the one in the scope is scanned.

describe('--discover-nodes at a large cluster’s size', () => {
  let lab: Lab;
  const dir = mkdtempSync(join(tmpdir(), 'kf-discover-nodes-'));

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.143.32.2', nodes: 1, etcd: 'off', scale: { apiNodes: 700 } });
  });
  after(() => lab?.stop());

  it('learns all 701 nodes in pages, scans the one inside the scope, and reports no gap', async () => {
    const kubeconfig = join(dir, 'reader.kubeconfig');
    lab.kubeconfig('reader', kubeconfig);
    const kubelet = lab.hosts.find((h) => h.role === 'node')!.address;
    const config = await configFromFlags([], {
      kubeconfig,
      discoverNodes: true,
      scope: [`${kubelet}/32`],
      ports: [PORTS.apiserver, PORTS.kubelet],
      requestTimeout: 15_000,
      timeout: 10_000,
    });
    const before = lab.requests.length;
    const result = await runHunt(config, discoveryHunters);
    const learned = eventsOf(result, 'AddressLearned');
    assert.equal(new Set(learned.map((l) => l.address)).size, 701);
    assert.deepEqual(
      learned.filter((l) => l.inScope).map((l) => l.address),
      [kubelet],
    );
    const pages = lab.requests.slice(before).filter((r) => r.path.startsWith('/api/v1/nodes?limit=500'));
    assert.equal(pages.length, 2, pages.map((p) => p.path).join(', '));
    assert.ok(pages[1].path.includes('&continue='));
    assert.ok(
      lab.requests.slice(before).some((r) => r.host === kubelet && r.port === PORTS.kubelet),
      'the kubelet inside the scope was scanned',
    );
    assert.deepEqual(eventsOf(result, 'CoverageGap'), []);
  });
});

// Block 127.143.48.0/24: API servers whose second page of nodes goes wrong, each one way.
describe('--discover-nodes when a page of nodes goes wrong', () => {
  const TOKEN = 'kf-test-nodes-7d2e';
  const dir = mkdtempSync(join(tmpdir(), 'kf-discover-pages-'));
  const ca = makeCert({ cn: 'kubernetes-ca' });
  const servers: TestServer[] = [];
  const firstPage = (address: string) => ({
    kind: 'NodeList',
    apiVersion: 'v1',
    metadata: { continue: 'page-2' },
    items: [{ metadata: { name: 'node-1' }, status: { addresses: [{ type: 'InternalIP', address }] } }],
  });
  const secondPages = {
    refused: (res: import('node:http').ServerResponse) => {
      res.statusCode = 500;
      res.end('{"kind":"Status","code":500}');
    },
    garbage: (res: import('node:http').ServerResponse) => res.end('{"kind":"NodeList","items":[{'),
    'same token': (res: import('node:http').ServerResponse) => res.end(JSON.stringify(firstPage('127.143.48.99'))),
  };

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const [i, [how, second]] of Object.entries(secondPages).entries()) {
    it(`${how}: the first page's node is learned, and a coverage gap says the list was not read to the end`, async () => {
      const host = `127.143.48.${i + 2}`;
      const tls = makeCert({ cn: 'kube-apiserver', ips: [host], issuer: ca });
      const server = await serve(
        (req, res) => {
          res.setHeader('content-type', 'application/json');
          if (req.url === '/version') return res.end(JSON.stringify(K8S_VERSION));
          if (req.headers.authorization !== `Bearer ${TOKEN}`) {
            res.statusCode = 401;
            return res.end('{"kind":"Status","code":401}');
          }
          if (req.url === '/api/v1/nodes?limit=500') return res.end(JSON.stringify(firstPage('127.143.48.99')));
          if (req.url === '/api/v1/nodes?limit=500&continue=page-2') return second(res);
          res.statusCode = 404;
          res.end('{"kind":"Status","code":404}');
        },
        host,
        { tls },
      );
      servers.push(server);
      const kubeconfig = join(dir, `${i}.kubeconfig`);
      writeFileSync(
        kubeconfig,
        `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "${server.url}", certificate-authority-data: ${Buffer.from(ca.cert).toString('base64')}}
users:
- name: u
  user: {token: ${TOKEN}}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`,
      );
      const config = await configFromFlags([], {
        kubeconfig,
        discoverNodes: true,
        ports: [server.port],
        requestTimeout: 5000,
      });
      const result = await runHunt(config, discoveryHunters);
      assert.deepEqual(
        eventsOf(result, 'AddressLearned').map((l) => l.address),
        ['127.143.48.99'],
      );
      const gaps = eventsOf(result, 'CoverageGap').filter((g) => g.hunter === 'discover-nodes');
      assert.equal(gaps.length, 1, JSON.stringify(eventsOf(result, 'CoverageGap')));
      assert.equal(gaps[0].reason, 'page-failed');
      assert.match(gaps[0].detail, /^page 2 /);
    });
  }
});
