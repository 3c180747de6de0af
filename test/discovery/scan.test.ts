import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_PORTS } from '../../src/core/config.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { planScan } from '../../src/discovery/plan.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { etcdHunters } from '../../src/hunters/etcd/index.js';
import type { TraceRecord } from '../../src/net/trace.js';
import { startDnsServer } from '../helpers/dns.js';
import { startHttpServer, startTcpServer, type TestServer } from '../helpers/servers.js';
import { COMPONENTS, startComponent } from './fakes.js';
import { discoverTargets, eventsOf, serviceAt } from './run.js';

// Block 127.20.0.0/16 (and ::1, and localhost with ports chosen by the OS).

const servers: TestServer[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function keep(s: Promise<TestServer>): Promise<TestServer> {
  const server = await s;
  servers.push(server);
  return server;
}

function traceFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'kf-scan-'));
  dirs.push(d);
  return join(d, 'trace.jsonl');
}

function readTrace(path: string): TraceRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('scan plan', () => {
  const sizeOf = (targets: string[], ports = [1, 2]) => planScan(targets.map(parseTarget), new Map(), ports);

  it('merges overlapping targets into distinct hosts without listing them', () => {
    const plan = sizeOf(['10.0.0.0/16', '10.0.128.0/17', '10.0.5.5', '10.0.255.250-10.1.0.4']);
    assert.equal(plan.hostCount, 65536 + 5, 'the /17 and the single address lie inside the /16');
    assert.equal(plan.probeCount, (65536 + 5) * 2);
    const hosts = plan.hosts();
    assert.deepEqual(hosts.next().value, { address: '10.0.0.0', ports: [1, 2] });
  });

  it('yields each host once, in address order, across IPv4 and IPv6', () => {
    const plan = sizeOf(['127.0.0.3', '127.0.0.1-127.0.0.3', '::1', '0:0:0:0:0:0:0:1', '127.0.0.2/31']);
    assert.deepEqual(
      [...plan.hosts()].map((h) => h.address),
      ['127.0.0.1', '127.0.0.2', '127.0.0.3', '::1'],
    );
  });

  it('adds a host:port probe to its host, and only when the port set lacks it', () => {
    const plan = sizeOf(['127.0.0.1/31', '127.0.0.1:2', '127.0.0.1:9', '127.0.0.7:9', '[::1]:9', '[::1]:9']);
    assert.deepEqual(
      [...plan.hosts()],
      [
        { address: '127.0.0.0', ports: [1, 2] },
        { address: '127.0.0.1', ports: [1, 2, 9] },
        { address: '127.0.0.7', ports: [9] },
        { address: '::1', ports: [9] },
      ],
    );
    assert.equal(plan.hostCount, 4);
    assert.equal(plan.probeCount, 7);
  });

  it('scans every resolved address of a hostname', () => {
    const plan = planScan(
      [parseTarget('api.example.test')],
      new Map([['api.example.test', ['127.0.0.5', '::1']]]),
      [7],
    );
    assert.deepEqual(
      [...plan.hosts()].map((h) => h.address),
      ['127.0.0.5', '::1'],
    );
  });

  it('scans the default port set: kube-hunter ports and the ones it misses', () => {
    for (const p of [443, 2379, 2380, 3000, 3100, 4194, 6443, 8001, 8080, 8443, 9090, 9100, 10249, 10250]) {
      assert.ok(DEFAULT_PORTS.includes(p), `${p}`);
    }
    for (const p of [10255, 10256, 10257, 10259, 30000]) assert.ok(DEFAULT_PORTS.includes(p), `${p}`);
  });
});

describe('port scan', () => {
  it('finds open ports among closed ones, and probes each host:port once despite overlapping targets', async () => {
    const a = await keep(startComponent('etcd', '127.20.1.2'));
    const b = await keep(startComponent('etcd', '127.20.1.3'));
    const trace = traceFile();
    const result = await discoverTargets(
      ['127.20.1.0/30', '127.20.1.2', '127.20.1.1-127.20.1.3', `127.20.1.2:${a.port}`, '127.20.1.3/32'],
      { ports: [a.port, b.port, 9], tracePath: trace },
    );
    const open = eventsOf(result, 'PortOpen')
      .map((e) => `${e.host}:${e.port}`)
      .sort();
    assert.deepEqual(open, [`127.20.1.2:${a.port}`, `127.20.1.3:${b.port}`].sort());
    const connects = readTrace(trace).filter((r) => r.method === 'CONNECT' && r.hunter === 'discovery');
    const keys = connects.map((r) => r.url);
    assert.equal(new Set(keys).size, keys.length, 'no host:port probed twice');
    assert.equal(keys.length, 4 * 3, 'four hosts, three ports each');
    assert.equal(result.trace.connects, 12);
    assert.equal(serviceAt(result, '127.20.1.2', a.port).kind, 'etcd');
  });

  it('does not stall on a port that accepts and never answers: it is reported within the request timeout', async () => {
    const tarpit = await keep(startTcpServer('127.20.2.2', () => undefined));
    const web = await keep(startHttpServer('127.20.2.3', (_q, r) => r.end('hello')));
    const result = await discoverTargets(['127.20.2.2-127.20.2.3'], {
      ports: [tarpit.port, web.port],
      requestTimeoutMs: 1000,
      hunterTimeoutMs: 20_000,
    });
    const s = serviceAt(result, '127.20.2.2', tarpit.port);
    assert.equal(s.kind, 'unknown');
    assert.match(s.evidence[0], /gave no answer in time/);
    assert.equal(serviceAt(result, '127.20.2.3', web.port).kind, 'unknown');
    assert.deepEqual(result.problems, [], 'no hunter ran into its own timeout');
  });

  it('scans IPv6 (::1)', async () => {
    const v6 = await keep(startComponent('etcd', '::1'));
    const result = await discoverTargets(['::1', `[::1]:${v6.port}`], { ports: [v6.port] });
    const s = serviceAt(result, '::1', v6.port);
    assert.equal(s.kind, 'etcd');
    assert.equal(eventsOf(result, 'PortOpen').length, 1);
  });

  it('resolves a hostname once and puts its addresses in the scope', async () => {
    const local = await keep(startComponent('etcd', '127.0.0.1'));
    const result = await discoverTargets([`localhost:${local.port}`, 'localhost'], { ports: [local.port] });
    assert.ok(result.scope.includes('127.0.0.1'), result.scope.join(', '));
    assert.equal(serviceAt(result, '127.0.0.1', local.port).kind, 'etcd');
    assert.equal(eventsOf(result, 'PortOpen').length, 1);
  });

  it('--dns-server resolves names through that name server alone, and says in one line what does not resolve', async () => {
    const web = await keep(startComponent('etcd', '127.20.2.4'));
    const dns = await startDnsServer('127.20.3.53', { 'api.cluster.test': ['127.20.2.4'] });
    servers.push({ close: dns.close } as TestServer);
    const result = await discoverTargets([`api.cluster.test:${web.port}`, 'gone.cluster.test'], {
      ports: [9],
      dnsServers: [dns.server],
    });
    assert.equal(serviceAt(result, '127.20.2.4', web.port).kind, 'etcd');
    assert.ok(result.scope.includes('127.20.2.4'), result.scope.join(', '));
    assert.deepEqual(
      result.warnings.filter((w) => w.includes('does not resolve')),
      [`target gone.cluster.test: gone.cluster.test does not resolve (ENOTFOUND at ${dns.server})`],
    );
    assert.deepEqual(
      dns.asked.sort(),
      ['AAAA api.cluster.test', 'AAAA gone.cluster.test', 'A api.cluster.test', 'A gone.cluster.test'].sort(),
    );
  });

  it('a name server that never answers costs its deadline and one line; the hunt goes on', async () => {
    const web = await keep(startComponent('etcd', '127.20.2.5'));
    const dns = await startDnsServer('127.20.3.54', {}, { silent: true });
    servers.push({ close: dns.close } as TestServer);
    const result = await discoverTargets(['api.cluster.test', `127.20.2.5:${web.port}`], {
      ports: [9],
      dnsServers: [dns.server],
    });
    assert.deepEqual(
      result.warnings.filter((w) => w.includes('does not resolve')),
      [`target api.cluster.test: api.cluster.test does not resolve (ETIMEOUT from ${dns.server})`],
    );
    assert.equal(serviceAt(result, '127.20.2.5', web.port).kind, 'etcd');
  });

  it('respects --rate and --concurrency and still finds everything', async () => {
    const web = await keep(startComponent('etcd', '127.20.2.9'));
    const result = await discoverTargets(['127.20.2.8-127.20.2.11'], {
      ports: [web.port, 9],
      rate: 50,
      concurrency: 2,
    });
    assert.deepEqual(
      eventsOf(result, 'PortOpen').map((e) => e.host),
      ['127.20.2.9'],
    );
    assert.equal(result.trace.connects, 8);
  });

  it("--rate is one budget: the scan's, the fingerprint's and the hunters' HTTP connections are all spaced by it", async () => {
    // Every answer closes its connection, so each request the fingerprint sends is a new connect.
    const accepted: number[] = [];
    const server = http.createServer((req, res) => {
      res.setHeader('connection', 'close');
      COMPONENTS.etcd(req, res);
    });
    server.on('connection', () => accepted.push(performance.now()));
    server.listen(0, '127.20.2.12');
    await once(server, 'listening');
    servers.push({ close: () => new Promise<void>((r) => server.close(() => r())) } as TestServer);
    const port = (server.address() as AddressInfo).port;
    const rate = 4;
    const result = await discoverTargets(['127.20.2.12-127.20.2.13'], { ports: [port, 9], rate, concurrency: 8 }, [
      ...discoveryHunters,
      ...etcdHunters,
    ]);
    assert.equal(serviceAt(result, '127.20.2.12', port).kind, 'etcd');
    assert.ok(
      accepted.length >= 3,
      `the scan's connect, the fingerprint's and the etcd hunter's requests (${accepted.length})`,
    );
    // The limiter spaces the starts of connections; the server sees each one when its loop accepts it, which
    // a busy moment may delay. So the test asks for the span of them all, less a generous 100 ms: without
    // the one budget the fingerprint's and hunter's connections follow the scan's within a few ms.
    const gaps = accepted.slice(1).map((t, i) => Math.round(t - accepted[i]));
    const span = accepted[accepted.length - 1] - accepted[0];
    assert.ok(
      span >= (accepted.length - 1) * (1000 / rate) - 100,
      `${accepted.length} connections in ${Math.round(span)} ms (gaps ${gaps.join(', ')})`,
    );
  });
});
