import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { kubeProxyIpvsHunter } from '../../../src/hunters/ops/kube-proxy-mode.js';
import { DNS_KB } from '../../../src/hunters/ops/objects.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { huntServices, type KnownService } from '../lab-hunt.js';

// Block 127.140.2.0/24 (of test/hunters/ops/dns.test.ts's 127.140.0.0/16): kube-proxy metrics ports that
// run IPVS with and without a tuned UDP timeout, iptables, and ones whose /configz cannot be read.

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

const hunt = (services: KnownService[]) => huntServices(services, { hunters: [kubeProxyIpvsHunter] });

describe('ops-kube-proxy-ipvs: KF-OPS-008 from kube-proxy metrics ports', () => {
  it('two nodes in IPVS with udpTimeout 0s: one finding for the cluster, naming the first node', async () => {
    const h = await hunt(untuned);
    assert.deepEqual(h.result.problems, []);
    const found = h.findings.filter((f) => f.kb === DNS_KB.ipvsUdp);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0].object, 'kube-proxy (running)');
    assert.equal(found[0].possible, undefined);
    assert.match(
      found[0].evidence,
      /^kube-proxy at 127\.140\.2\.1[05]:10249: GET \/proxyMode → 200: ipvs; GET \/configz → 200: mode ipvs with ipvs\.udpTimeout 0s, so the kernel keeps UDP entries 300 s/,
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
