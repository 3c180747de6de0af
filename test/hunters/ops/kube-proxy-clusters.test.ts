import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { opsHunters } from '../../../src/hunters/ops/index.js';
import { DNS_KB } from '../../../src/hunters/ops/objects.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { call } from '../../lab/call.js';
import { type Hunt, huntServices, type KnownService, labServices, tokenIdentity } from '../lab-hunt.js';

// Blocks 127.156.2.0/24 and 127.156.3.0/24 (of correct5's 127.156.0.0/16): two labs in one run, whose
// reader (one token: the labs' identities are the same) reads both. A kube-proxy in IPVS on a node of the second is judged with the second's kube-dns (UDP
// 53), not the first's (made TCP-only: the decoy, which would hide the finding); a kube-proxy on the first's
// control plane is judged with the first's and not reported; one no API server lists says it could not be
// tied to a cluster.

const A = '127.156.2.2';
const B = '127.156.3.2';
const B_NODE = '127.156.3.3';
const UNTIED = '127.156.3.50';
const servers: TestServer[] = [];
let labA: Lab;
let labB: Lab;

/** A kube-proxy metrics port in IPVS with the kernel's UDP timeout. */
async function ipvsProxy(host: string): Promise<KnownService> {
  const send = (res: http.ServerResponse, type: string, body: string) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  };
  const config = { 'kubeproxy.config.k8s.io': { mode: 'ipvs', ipvs: { udpTimeout: '0s' } } };
  servers.push(
    await startHttpServer(
      host,
      (req, res) => {
        if (req.url === '/proxyMode') send(res, 'text/plain', 'ipvs');
        else if (req.url === '/configz') send(res, 'application/json', JSON.stringify(config));
        else {
          res.writeHead(404);
          res.end();
        }
      },
      PORTS.kubeProxyMetrics,
    ),
  );
  return { host, port: PORTS.kubeProxyMetrics, kind: 'kube-proxy', scheme: 'http' };
}

const apiserverOf = (lab: Lab) => labServices(lab).filter((s) => s.port === PORTS.apiserver);
const running = (h: Hunt) => h.findings.filter((f) => f.kb === DNS_KB.ipvsUdp && f.object === 'kube-proxy (running)');

before(async () => {
  [labA, labB] = await Promise.all([
    startLab({ profile: 'default', base: A, nodes: 1, etcd: 'off' }),
    startLab({ profile: 'default', base: B, nodes: 1, etcd: 'off' }),
  ]);
  // The first lab's kube-dns serves DNS over TCP only: judged with it, an IPVS kube-proxy is no risk.
  const admin = labA.credentials['kubernetes-admin'];
  const url = `${labA.apiServer}/api/v1/namespaces/kube-system/services/kube-dns`;
  const tls = { cert: admin.clientCert, key: admin.clientKey };
  const service = (await call(url, tls)).json;
  service.spec.ports = service.spec.ports.filter((p: { protocol?: string }) => p.protocol !== 'UDP');
  assert.equal((await call(url, { ...tls, method: 'PUT', body: service })).status, 200);
});
after(async () => {
  for (const s of servers) await s.close();
  await Promise.all([labA?.stop(), labB?.stop()]);
});

describe('ops-kube-proxy-ipvs across clusters: each kube-proxy judged with its own cluster', () => {
  it("a node of the second lab reads the second's kube-dns; the first's control plane the first's", async () => {
    const proxies = [await ipvsProxy(B_NODE), await ipvsProxy(A)];
    const debug: string[] = [];
    const h = await huntServices([...apiserverOf(labA), ...apiserverOf(labB), ...proxies], {
      hunters: [...apiserverHunters, ...opsHunters],
      identities: [tokenIdentity(labA, 'reader')],
      hooks: { onDebug: (line) => debug.push(line) },
    });
    assert.deepEqual(h.result.problems, []);
    const [found, ...more] = running(h);
    assert.equal(more.length, 0, JSON.stringify(more));
    assert.equal(found?.host, B, "the finding is the second cluster's");
    assert.match(
      found.evidence,
      new RegExp(
        `^kube-proxy at ${B_NODE}:10249: .*udpTimeout 0s.* \\(node [a-z0-9-]+ of the API server at ${B}:6443\\); kube-system/Service/kube-dns serves UDP 53 \\(read as reader at ${B}:6443\\)$`,
      ),
    );
    // The kube-proxy on the first lab's control plane was judged with the first's TCP-only kube-dns.
    assert.ok(
      debug.some((l) =>
        new RegExp(
          `^ops-kube-proxy-ipvs-dns on hunt: kube-proxy at ${A}:10249: .* \\((node [a-z0-9-]+ of|on the host of) the API server at ${A}:(6443|8080)\\); kube-system/Service/kube-dns serves no UDP 53 \\(read as reader at ${A}:6443\\): not reported$`,
        ).test(l),
      ),
      debug.filter((l) => l.includes('kube-proxy at')).join('\n'),
    );
  });

  it('a kube-proxy no API server of the run lists: read with the identities there are, and says its cluster was not told', async () => {
    const proxy = await ipvsProxy(UNTIED);
    const h = await huntServices([...apiserverOf(labB), proxy], {
      hunters: [...apiserverHunters, ...opsHunters],
      identities: [tokenIdentity(labB, 'reader')],
    });
    assert.deepEqual(h.result.problems, []);
    const [found, ...more] = running(h);
    assert.equal(more.length, 0);
    assert.equal(found?.host, undefined, 'no cluster, no host');
    assert.match(
      found.evidence,
      new RegExp(
        `^kube-proxy at ${UNTIED}:10249: .* \\(its cluster could not be told: no node list the run read names ${UNTIED}, and no API server of the run is there\\); kube-system/Service/kube-dns serves UDP 53 \\(read as reader at ${B}:6443\\)$`,
      ),
    );
  });
});
