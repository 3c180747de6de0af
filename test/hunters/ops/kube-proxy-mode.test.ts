import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { opsHunters } from '../../../src/hunters/ops/index.js';
import { DNS_KB } from '../../../src/hunters/ops/objects.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { call } from '../../lab/call.js';
import {
  assertOnlyReads,
  type Hunt,
  huntServices,
  type KnownService,
  labServices,
  tokenIdentity,
} from '../lab-hunt.js';

// Block 127.140.2.0/24 (of test/hunters/ops/dns.test.ts's 127.140.0.0/16): kube-proxy metrics ports that
// run IPVS with and without a tuned UDP timeout, iptables, and ones whose /configz cannot be read. Block
// 127.151.0.0/16: the lab's API server (127.151.1.0/24) beside a kube-proxy in IPVS (127.151.2.0/24), its
// kube-dns Service read with the run's identities, and made TCP-only (the decoy).

const PORT = 10249;
const servers: TestServer[] = [];

type Answer = (res: http.ServerResponse) => void;
const text =
  (body: string, status = 200): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  };
const configz =
  (ipvs: Record<string, unknown>): Answer =>
  (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ 'kubeproxy.config.k8s.io': { mode: 'ipvs', metricsBindAddress: '0.0.0.0:10249', ipvs } }));
  };

/** A kube-proxy metrics port answering `paths`; anything else is a 404. */
async function kubeProxy(host: string, paths: Record<string, Answer>): Promise<KnownService> {
  servers.push(
    await startHttpServer(host, (req, res) => (paths[req.url ?? ''] ?? text('404 page not found\n', 404))(res), PORT),
  );
  return { host, port: PORT, kind: 'kube-proxy', scheme: 'http' };
}

let untuned: KnownService[];
let safe: KnownService[];
let unreadable: KnownService;
let garbage: KnownService;

before(async () => {
  const ipvsUntuned = { '/proxyMode': text('ipvs'), '/configz': configz({ udpTimeout: '0s', scheduler: 'rr' }) };
  untuned = [await kubeProxy('127.140.2.10', ipvsUntuned), await kubeProxy('127.140.2.15', ipvsUntuned)];
  safe = [
    await kubeProxy('127.140.2.11', { '/proxyMode': text('ipvs'), '/configz': configz({ udpTimeout: '5s' }) }),
    await kubeProxy('127.140.2.12', { '/proxyMode': text('iptables'), '/configz': configz({}) }),
  ];
  unreadable = await kubeProxy('127.140.2.13', { '/proxyMode': text('ipvs') });
  garbage = await kubeProxy('127.140.2.14', { '/proxyMode': text('ipvs'), '/configz': text('{"kubeproxy.config') });
});

after(async () => {
  for (const s of servers) await s.close();
});

const hunt = (services: KnownService[]) => huntServices(services, { hunters: opsHunters });

describe('ops-kube-proxy-ipvs: KF-OPS-008 from kube-proxy metrics ports', () => {
  it('two nodes in IPVS with udpTimeout 0s: one finding for the cluster, naming the lowest address, counting the other', async () => {
    const h = await hunt(untuned);
    assert.deepEqual(h.result.problems, []);
    const found = h.findings.filter((f) => f.kb === DNS_KB.ipvsUdp);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].object, 'kube-proxy (running)');
    assert.equal(found[0].possible, undefined);
    assert.match(
      found[0].evidence,
      /^kube-proxy at 127\.140\.2\.10:10249: GET \/proxyMode → 200: ipvs; GET \/configz → 200: mode ipvs with ipvs\.udpTimeout 0s, so the kernel keeps UDP entries 300 s/,
    );
    // No API server in this hunt: neither the kube-proxies' cluster nor its Service could be asked, and the
    // finding says so.
    assert.match(
      found[0].evidence,
      /\(its cluster could not be told: no node list the run read names 127\.140\.2\.10,/,
    );
    assert.equal(found[0].host, undefined);
    assert.match(
      found[0].evidence,
      /; kube-system\/Service\/kube-dns not read: whether DNS goes over UDP was not checked \(no API identity in the run to read it\); 1 other kube-proxy in IPVS$/,
    );
  });

  it('IPVS with a tuned timeout and iptables are not reported', async () => {
    const h = await hunt(safe);
    assert.deepEqual(h.result.problems, []);
    assert.deepEqual(h.findings, []);
  });

  it('IPVS whose /configz is missing or garbage is a possible finding that says why', async () => {
    for (const [service, why] of [
      [unreadable, /\/configz answered 404/],
      [garbage, /\/configz answered 200/],
    ] as const) {
      const h = await hunt([service]);
      assert.deepEqual(h.result.problems, []);
      const [f, ...more] = h.findings;
      assert.equal(more.length, 0);
      assert.equal(f?.kb, DNS_KB.ipvsUdp);
      assert.match(f.possible ?? '', /^whether ipvs\.udpTimeout is tuned/);
      assert.match(f.possible ?? '', why);
      assert.match(f.evidence, /its UDP timeout could not be read/);
    }
  });

  it('a port that resets every request is nothing, and the hunt goes on', async () => {
    const reset = await startHttpServer('127.140.2.20', (req) => req.socket.destroy(), PORT);
    servers.push(reset);
    const h = await hunt([{ host: '127.140.2.20', port: PORT, kind: 'kube-proxy', scheme: 'http' }, ...untuned]);
    assert.ok(reset.connections() > 0, 'the reset port was asked');
    assert.deepEqual(
      h.findings.map((f) => f.kb),
      [DNS_KB.ipvsUdp],
      'the other nodes still judged',
    );
  });
});

describe('ops-kube-proxy-ipvs on the lab: the kube-dns Service read with the identities of the run', () => {
  const IPVS_NODE = '127.151.2.10';
  let lab: Lab;
  let proxy: KnownService;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.151.1.2', nodes: 1, etcd: 'off' });
    proxy = await kubeProxy(IPVS_NODE, {
      '/proxyMode': text('ipvs'),
      '/configz': configz({ udpTimeout: '0s', scheduler: 'rr' }),
    });
  });
  after(async () => {
    await lab?.stop();
  });

  /** The lab's API server and the IPVS kube-proxy, hunted as `identity` by the API and ops hunters. */
  const huntAs = (identity: 'reader' | 'nobody') =>
    huntServices([...labServices(lab).filter((s) => s.port === PORTS.apiserver), proxy], {
      hunters: [...apiserverHunters, ...opsHunters],
      identities: [tokenIdentity(lab, identity)],
    });
  const running = (h: Hunt) => h.findings.filter((f) => f.kb === DNS_KB.ipvsUdp && f.object === 'kube-proxy (running)');

  it('the reader reads kube-dns (UDP 53): the finding says so and who read it', async () => {
    const h = await huntAs('reader');
    assert.deepEqual(h.result.problems, []);
    const [found, ...more] = running(h);
    assert.equal(more.length, 0);
    assert.equal(found?.possible, undefined);
    assert.match(
      found?.evidence ?? '',
      /^kube-proxy at 127\.151\.2\.10:10249: .*udpTimeout 0s.*; kube-system\/Service\/kube-dns serves UDP 53 \(read as reader at 127\.151\.1\.\d+:\d+\)$/,
    );
  });

  it('an identity that may not read Services: the finding stands and says what it was answered', async () => {
    assert.equal(lab.can('nobody', { verb: 'get', group: '', resource: 'services', namespace: 'kube-system' }), false);
    const h = await huntAs('nobody');
    assert.deepEqual(h.result.problems, []);
    const [found, ...more] = running(h);
    assert.equal(more.length, 0);
    assert.match(
      found?.evidence ?? '',
      /; kube-system\/Service\/kube-dns not read: whether DNS goes over UDP was not checked \(asked as anonymous at 127\.151\.1\.2:\d+: 403; nobody at 127\.151\.1\.2:\d+: 403\)$/,
    );
  });

  it('a kube-proxy found after the hunt settled is judged at once, with the identities known then', async () => {
    const late = defineHunter({
      id: 'test-late-kube-proxy',
      title: 'announces a kube-proxy once the hunt has settled',
      mode: 'passive',
      on: 'HuntSettled',
      async hunt(_settled, ctx) {
        ctx.publish('ServiceFound', { ...proxy, evidence: ['named by the test, late'] });
      },
    }) as AnyHunter;
    const h = await huntServices(
      labServices(lab).filter((s) => s.port === PORTS.apiserver),
      {
        hunters: [...apiserverHunters, ...opsHunters, late],
        identities: [tokenIdentity(lab, 'reader')],
        config: { scope: [IPVS_NODE] },
      },
    );
    assert.deepEqual(h.result.problems, []);
    assert.deepEqual(
      running(h).map((f) => f.evidence.replace(/^.*; kube-system/, 'kube-system')),
      [
        `kube-system/Service/kube-dns serves UDP 53 (read as reader at ${labServices(lab).find((s) => s.port === PORTS.apiserver)?.host}:${PORTS.apiserver})`,
      ],
    );
  });

  it('decoy: kube-dns made TCP-only (no UDP entries to outlive a CoreDNS pod) is not reported, from either path', async () => {
    const admin = lab.credentials['kubernetes-admin'];
    const url = `${lab.apiServer}/api/v1/namespaces/kube-system/services/kube-dns`;
    const tls = { cert: admin.clientCert, key: admin.clientKey };
    const service = (await call(url, tls)).json;
    service.spec.ports = service.spec.ports.filter((p: { protocol?: string }) => p.protocol !== 'UDP');
    const put = await call(url, { ...tls, method: 'PUT', body: service });
    assert.equal(put.status, 200, put.text);
    const before = lab.requests.length;
    const h = await huntAs('reader');
    const requests = lab.requests.slice(before);
    assert.deepEqual(h.result.problems, []);
    assertOnlyReads({ ...h, requests });
    assert.ok(
      requests.some((r) => r.path === '/api/v1/namespaces/kube-system/services/kube-dns' && r.status === 200),
      'the Service was read',
    );
    assert.deepEqual(
      h.findings.filter((f) => f.kb === DNS_KB.ipvsUdp),
      [],
    );
  });
});
