import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { NetError } from '../../src/core/errors.js';
import type { EventPayloads, KfEvent } from '../../src/core/events.js';
import { selfSignedServing } from '../../src/lab/pki.js';
import { type ClientHooks, Network, type NetworkOptions } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace, type TraceRecord } from '../../src/net/trace.js';
import {
  startFlakyServer,
  startHttpServer,
  startHttpsServer,
  startTcpServer,
  type TestServer,
} from '../helpers/servers.js';

// This file's loopback addresses: 127.0.0.2 and 127.0.0.9 (the issue's own example), 127.0.2.0/24.
const IN = '127.0.0.2';
const OUT = '127.0.0.9';

function network(scope: string[], trace = new Trace(), extra: Partial<NetworkOptions> = {}) {
  const s = new Scope();
  for (const text of scope) s.addText(text);
  return new Network({
    scope: s,
    trace,
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    maxBodyBytes: 1024 * 1024,
    ...extra,
  });
}

async function rejectsWith(p: Promise<unknown>, kind: NetError['kind'], pattern?: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NetError, `a NetError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (pattern) assert.match(err.message, pattern);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  });
}

describe('scope guard', () => {
  let inside: TestServer;
  let outside: TestServer;
  let tracePath: string;

  before(async () => {
    outside = await startHttpServer(OUT, (_req, res) => res.end('you should not be here'));
    inside = await startHttpServer(IN, (req, res) => {
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `${outside.url}/stolen` });
        res.end();
      } else if (req.url === '/relative') {
        res.writeHead(301, { location: '/final' });
        res.end();
      } else res.end(`hello ${req.url}`);
    });
    tracePath = join(await mkdtemp(join(tmpdir(), 'kf-net-')), 'trace.jsonl');
  });
  after(async () => {
    await inside.close();
    await outside.close();
  });

  it('never follows a redirect out of scope: the server at 127.0.0.9 receives nothing', async () => {
    const trace = new Trace(tracePath);
    await trace.open();
    const net = network([IN], trace);
    const client = net.for('redirect-test');

    const unfollowed = await client.http({ url: `${inside.url}/redirect` });
    assert.equal(unfollowed.status, 302, 'redirects are not followed by default');
    assert.equal(unfollowed.headers.location, `${outside.url}/stolen`);

    await rejectsWith(
      client.http({ url: `${inside.url}/redirect`, followRedirects: 3 }),
      'out-of-scope',
      /127\.0\.0\.9 is outside the scope/,
    );
    await rejectsWith(client.http({ url: `${outside.url}/direct` }), 'out-of-scope');
    await rejectsWith(client.tcp(OUT, outside.port), 'out-of-scope');

    const followed = await client.http({ url: `${inside.url}/relative`, followRedirects: 1 });
    assert.equal(followed.status, 200);
    assert.equal(followed.text(), 'hello /final');
    assert.deepEqual(followed.redirects, [`${inside.url}/final`]);

    await net.close();
    await trace.close();
    assert.equal(outside.connections(), 0, 'the out-of-scope server was never contacted');

    const lines = readFileSync(tracePath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TraceRecord);
    const refused = lines.filter((l) => l.refused);
    assert.deepEqual(
      refused.map((l) => [l.hunter, l.method, l.url]),
      [
        ['redirect-test', 'GET', `${outside.url}/stolen`],
        ['redirect-test', 'GET', `${outside.url}/direct`],
        ['redirect-test', 'CONNECT', `tcp://${OUT}:${outside.port}`],
      ],
    );
    const sent = lines.filter((l) => !l.refused);
    assert.ok(sent.every((l) => typeof l.time === 'string' && typeof l.durationMs === 'number'));
    assert.deepEqual(
      sent.map((l) => [l.method, l.url, l.status]),
      [
        ['GET', `${inside.url}/redirect`, 302],
        ['GET', `${inside.url}/redirect`, 302],
        ['GET', `${inside.url}/relative`, 301],
        ['GET', `${inside.url}/final`, 200],
      ],
    );
    assert.equal(sent[3].bytes, 'hello /final'.length);
    assert.equal(trace.counts.requests, 4);
    assert.equal(trace.counts.refused, 3);
    assert.equal(trace.counts.byHunter['redirect-test'], 4);
    assert.equal(trace.counts.byHost[IN], 4);
  });

  it('checks hostnames after resolution and learned addresses before any connect', async () => {
    const net = network([IN]);
    // localhost resolves to 127.0.0.1 (and maybe ::1), neither in scope.
    await rejectsWith(
      net.for('t').http({ url: `http://localhost:${inside.port}/` }),
      'out-of-scope',
      /localhost resolves to/,
    );
    assert.equal(net.scope.contains('127.0.0.1'), false);
    assert.equal(net.for('t').inScope('::ffff:127.0.0.2'), true, 'IPv4-mapped IPv6 is the same host');
    await net.close();
  });

  it('refuses everything when the scope is empty', async () => {
    const net = network([]);
    await rejectsWith(net.for('t').http({ url: `${inside.url}/` }), 'out-of-scope');
    await net.close();
  });
});

describe('http client', () => {
  const servers: TestServer[] = [];
  const H = '127.0.2.2';
  let net: Network;
  let seenAuth: string | undefined;
  let seenMethod: string | undefined;
  let seenBody = '';

  before(async () => {
    net = network(['127.0.2.0/24']);
    servers.push(
      await startHttpServer(H, (req, res) => {
        seenAuth = req.headers.authorization;
        seenMethod = req.method;
        seenBody = '';
        req.on('data', (c) => {
          seenBody += c;
        });
        req.on('end', () => {
          if (req.url === '/big') {
            // 5 MiB in 64 KiB chunks: the client must stop at its cap.
            const chunk = Buffer.alloc(64 * 1024, 'x');
            let sent = 0;
            const pump = () => {
              while (sent < 80) {
                sent++;
                if (!res.write(chunk)) return res.once('drain', pump);
              }
              res.end();
            };
            pump();
          } else if (req.url === '/hang-body') {
            res.writeHead(200, { 'content-length': '100' });
            res.write('partial');
          } else {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ path: req.url }));
          }
        });
      }),
    );
  });
  after(async () => {
    await net.close();
    for (const s of servers) await s.close();
  });

  it('sends bearer tokens and basic credentials, parses JSON', async () => {
    const client = net.for('t');
    const res = await client.http({ url: `${servers[0].url}/x`, credential: { token: 'tok-123' } });
    assert.equal(seenAuth, 'Bearer tok-123');
    assert.deepEqual(res.json(), { path: '/x' });
    await client.http({ url: `${servers[0].url}/y`, credential: { username: 'u', password: 'p' } });
    assert.equal(seenAuth, `Basic ${Buffer.from('u:p').toString('base64')}`);
    await client.http({ url: `${servers[0].url}/z`, method: 'POST', body: 'cmd=' });
    assert.equal(seenMethod, 'POST');
    assert.equal(seenBody, 'cmd=');
    assert.equal(res.truncated, false);
  });

  it('cuts an oversized body at the cap and marks it truncated', async () => {
    const res = await net.for('t').http({ url: `${servers[0].url}/big` });
    assert.equal(res.status, 200);
    assert.equal(res.truncated, true);
    assert.equal(res.body.length, 1024 * 1024);
    const small = await net.for('t').http({ url: `${servers[0].url}/big`, maxBytes: 1000 });
    assert.equal(small.body.length, 1000);
  });

  it('times out a server that accepts and never answers, and one that stalls mid-body', async () => {
    const tarpit = await startTcpServer('127.0.2.3', () => undefined);
    servers.push(tarpit);
    const started = Date.now();
    await rejectsWith(net.for('t').http({ url: `${tarpit.url}/`, timeoutMs: 300 }), 'timeout');
    assert.ok(Date.now() - started < 2000, 'gave up near its deadline');
    await rejectsWith(net.for('t').http({ url: `${servers[0].url}/hang-body`, timeoutMs: 300 }), 'timeout');
  });

  it('reports garbage answers, refused connections, failed TLS and bad URLs as one line', async () => {
    const garbage = await startTcpServer('127.0.2.4', (s) => s.end('\x00\x01garbage that is not HTTP\r\n\r\n'));
    servers.push(garbage);
    await rejectsWith(net.for('t').http({ url: `${garbage.url}/` }), 'protocol');

    // Nothing listens on this port of an in-scope address.
    await rejectsWith(net.for('t').http({ url: 'http://127.0.2.5:9/' }), 'refused');
    assert.equal(await net.for('t').tcp('127.0.2.5', 9), 'closed');
    assert.equal(await net.for('t').tcp(H, servers[0].port), 'open');

    // A TLS client talking to a plain-text server: the handshake fails.
    const plain = await startTcpServer('127.0.2.6', (s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    servers.push(plain);
    await assert.rejects(net.for('t').http({ url: `https://127.0.2.6:${plain.port}/` }), (err: unknown) => {
      assert.ok(err instanceof NetError);
      assert.ok(['tls', 'protocol'].includes(err.kind), err.kind);
      return true;
    });

    // A malformed client key (e.g. from a broken kubeconfig) is one TLS error, not a crashed process.
    await rejectsWith(
      net.for('t').http({
        url: `https://127.0.2.6:${plain.port}/`,
        credential: { clientCert: 'not a certificate', clientKey: '-----BEGIN PRIVATE KEY-----\ngarbage' },
      }),
      'tls',
      /TLS setup failed/,
    );

    await rejectsWith(net.for('t').http({ url: 'not a url' }), 'protocol', /is not a URL/);
    await rejectsWith(net.for('t').http({ url: 'ftp://127.0.2.2/' }), 'protocol', /only http and https/);
  });
});

describe('retries', () => {
  // 127.0.2.60-79. A fast policy: the backoff is what the retry policy tests check, here only what is resent.
  const retry = { attempts: 3, baseDelayMs: 10, maxDelayMs: 2000 };
  const servers: TestServer[] = [];
  let cert: { cert: string; key: string };
  before(async () => {
    cert = await selfSignedServing('flaky', [], ['127.0.2.60', '127.0.2.61']);
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  /** A client whose coverage gaps are collected. */
  function client(net: Network, readOnly?: ClientHooks['readOnly']) {
    const gaps: Omit<EventPayloads['CoverageGap'], 'hunter'>[] = [];
    return { gaps, client: net.for('t', undefined, { readOnly, gap: (g) => gaps.push(g) }) };
  }

  it('sends again, on a new connection, a request whose TLS handshake stalled: a GET, and a POST never written', async () => {
    let posts = 0;
    const flaky = await startFlakyServer(
      '127.0.2.60',
      (req, res) => {
        if (req.method === 'POST') posts++;
        res.end('ok');
      },
      { stall: 1, tls: cert },
    );
    servers.push(flaky);
    const trace = new Trace();
    const records: TraceRecord[] = [];
    const record = trace.record.bind(trace);
    trace.record = (r, host) => {
      records.push(r);
      record(r, host);
    };
    const net = network(['127.0.2.60'], trace, { connectTimeoutMs: 1000, handshakeTimeoutMs: 300, retry });
    const { client: c, gaps } = client(net);
    const res = await c.http({ url: `${flaky.url}/version` });
    assert.equal(res.status, 200);
    assert.equal(res.attempts, 2);
    assert.equal(flaky.connections(), 2);
    assert.match(records[0].error ?? '', /TLS handshake timed out after 300 ms/);
    assert.equal(records[1].attempt, 2);
    assert.equal(trace.counts.retries, 1);
    assert.deepEqual(gaps, []);
    await net.close();

    // A state-changing request whose handshake stalled was provably never sent: it may be sent again.
    const again = await startFlakyServer('127.0.2.61', (req, res) => res.end(req.method), { stall: 1, tls: cert });
    servers.push(again);
    const net2 = network(['127.0.2.61'], new Trace(), { handshakeTimeoutMs: 300, retry });
    const post = await net2
      .for('t')
      .http({ url: `${again.url}/create`, method: 'POST', body: '{}', idempotent: false });
    assert.equal(post.text(), 'POST');
    assert.equal(post.attempts, 2);
    await net2.close();
    assert.equal(posts, 0, 'the POSTs went to the second server');
  });

  it('gives the TLS handshake its own deadline, longer than the connect deadline', async () => {
    const slow = await startFlakyServer('127.0.2.62', (_req, res) => res.end('ok'), { delayMs: 400, tls: cert });
    servers.push(slow);
    const patient = network(['127.0.2.62'], new Trace(), { connectTimeoutMs: 100, handshakeTimeoutMs: 2000, retry });
    const res = await patient.for('t').http({ url: `${slow.url}/` });
    assert.equal(res.attempts, 1, 'a slow handshake is not a connect timeout');
    await patient.close();

    const hasty = network(['127.0.2.62'], new Trace(), {
      connectTimeoutMs: 1000,
      handshakeTimeoutMs: 150,
      retry: { ...retry, attempts: 2 },
    });
    const { client: c, gaps } = client(hasty);
    await rejectsWith(c.http({ url: `${slow.url}/metrics` }), 'timeout', /TLS handshake timed out after 150 ms/);
    assert.deepEqual(gaps, [
      {
        host: '127.0.2.62',
        port: slow.port,
        subject: 'GET /metrics (anonymous)',
        reason: 'retry-budget',
        detail: `GET ${slow.url}/metrics: TLS handshake timed out after 150 ms, after 2 attempts`,
      },
    ]);
    await hasty.close();
  });

  it('resends a GET and a declared read-only POST whose connection was reset, never another POST', async () => {
    const asked: string[] = [];
    const resetOnce = new Set<string>();
    const server = await startHttpServer('127.0.2.63', (req, res) => {
      const key = `${req.method} ${req.url}`;
      asked.push(key);
      if (!resetOnce.has(key)) {
        resetOnce.add(key);
        req.socket.destroy();
        return;
      }
      res.end('ok');
    });
    servers.push(server);
    const net = network(['127.0.2.63'], new Trace(), { retry });
    const { client: c, gaps } = client(net, [{ method: 'POST', path: '/v3/kv/range' }]);
    assert.equal((await c.http({ url: `${server.url}/pods` })).status, 200);
    assert.equal((await c.http({ url: `${server.url}/v3/kv/range`, method: 'POST', body: '{}' })).status, 200);
    await rejectsWith(c.http({ url: `${server.url}/run/x`, method: 'POST', body: 'cmd=id' }), 'protocol');
    assert.deepEqual(asked, ['GET /pods', 'GET /pods', 'POST /v3/kv/range', 'POST /v3/kv/range', 'POST /run/x']);
    assert.equal(gaps.length, 1, 'the POST that could not be completed is a gap');
    assert.equal(gaps[0].subject, 'POST /run/x (anonymous)');
    assert.equal(gaps[0].reason, 'error');
    await net.close();
  });

  it('retries 429 and 503 on reads, honouring Retry-After; reports a gap once the budget is spent', async () => {
    const asked: string[] = [];
    const server = await startHttpServer('127.0.2.64', (req, res) => {
      asked.push(`${req.method} ${req.url}`);
      const n = asked.filter((a) => a === `${req.method} ${req.url}`).length;
      if (req.url === '/busy' && n === 1) {
        res.writeHead(429, { 'retry-after': '1' });
      } else if (req.url === '/down' || (req.url === '/later' && n === 1)) {
        res.writeHead(503);
      } else if (req.url === '/tomorrow') {
        res.writeHead(429, { 'retry-after': '86400' });
      } else if (req.url === '/denied') {
        res.writeHead(403);
      }
      res.end('.');
    });
    servers.push(server);
    const net = network(['127.0.2.64'], new Trace(), { retry });
    const { client: c, gaps } = client(net);
    const started = Date.now();
    const busy = await c.http({ url: `${server.url}/busy` });
    assert.equal(busy.status, 200);
    assert.ok(Date.now() - started >= 950, 'waited as Retry-After asked');
    assert.equal((await c.http({ url: `${server.url}/later` })).status, 200);
    const down = await c.http({ url: `${server.url}/down`, credential: { token: 'tok-abc' } });
    assert.equal(down.status, 503);
    assert.equal(down.attempts, 3);
    assert.equal((await c.http({ url: `${server.url}/tomorrow` })).status, 429);
    assert.equal((await c.http({ url: `${server.url}/denied` })).status, 403);
    assert.equal((await c.http({ url: `${server.url}/down`, method: 'DELETE' })).status, 503);
    assert.deepEqual(asked, [
      'GET /busy',
      'GET /busy',
      'GET /later',
      'GET /later',
      'GET /down',
      'GET /down',
      'GET /down',
      'GET /tomorrow',
      'GET /denied',
      'DELETE /down',
    ]);
    assert.deepEqual(
      gaps.map((g) => [g.subject, g.reason, g.detail]),
      [
        [
          `GET /down (credential sha256:${gaps[0].subject.match(/sha256:([0-9a-f]{8})/)?.[1]})`,
          'retry-budget',
          'still HTTP 503, after 3 attempts',
        ],
        ['GET /tomorrow (anonymous)', 'retry-budget', 'still HTTP 429, after 1 attempt'],
        ['DELETE /down (anonymous)', 'retry-budget', 'still HTTP 503, after 1 attempt'],
      ],
    );
    assert.ok(!JSON.stringify(gaps).includes('tok-abc'), 'no secret in a gap');
    await net.close();
  });

  it('does not retry a refused connection (an answer), and stops at once when the caller gives up', async () => {
    const trace = new Trace();
    const net = network(['127.0.2.0/24'], trace, { retry: { attempts: 5, baseDelayMs: 5000, maxDelayMs: 5000 } });
    const { client: c, gaps } = client(net);
    await rejectsWith(c.http({ url: 'http://127.0.2.65:9/' }), 'refused');
    assert.equal(trace.counts.retries, 0);
    assert.deepEqual(gaps, []);

    const server = await startHttpServer('127.0.2.66', (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    servers.push(server);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('hunter timed out')), 200);
    const started = Date.now();
    const last = await c.http({ url: `${server.url}/x`, signal: controller.signal });
    assert.equal(last.status, 503, 'the answer in hand');
    assert.ok(Date.now() - started < 3000, 'the backoff ended with the caller');
    assert.deepEqual(gaps, [], "the caller's own deadline is its to report");
    await net.close();
  });
});

describe('TLS server name', () => {
  const H = '127.0.2.40';
  let server: TestServer;
  const seen: (string | false | null)[] = [];

  before(async () => {
    const cert = await selfSignedServing('sni', ['api.cluster.test'], [H]);
    server = await startHttpsServer(
      H,
      (req, res) => {
        seen.push((req.socket as TLSSocket).servername);
        res.end('ok');
      },
      cert,
    );
  });
  after(() => server?.close());

  it('sends the name the user gave for an address as SNI, and none for an address named as such', async () => {
    const named = network([H], new Trace(), { pinned: new Map([['api.cluster.test', [H]]]) });
    const res = await named.for('t').http({ url: `https://${H}:${server.port}/` });
    assert.equal(res.status, 200);
    const bare = network([H]);
    assert.equal((await bare.for('t').http({ url: `https://${H}:${server.port}/` })).status, 200);
    assert.deepEqual(seen, ['api.cluster.test', false]);
  });
});

describe('trace redaction', () => {
  it("writes a URL or error that quotes one of the run's secrets redacted, whatever its shape", async () => {
    // Shaped like no pattern catches (short, with dashes): only knowing the value redacts it.
    const secret = 'plain-Secret-42';
    const path = join(await mkdtemp(join(tmpdir(), 'kf-net-')), 'trace.jsonl');
    const server = await startHttpServer('127.0.2.41', (_req, res) => res.end('ok'));
    try {
      const trace = new Trace(path);
      trace.redactor.observe({
        id: 'e1',
        type: 'Credential',
        parents: [],
        publisher: 'test',
        time: new Date().toISOString(),
        name: 'plain',
        source: 'token',
        secret: { token: secret },
      } as KfEvent<'Credential'>);
      await trace.open();
      const net = network(['127.0.2.41'], trace);
      assert.equal((await net.for('t').http({ url: `${server.url}/hook/${secret}` })).status, 200);
      await net
        .for('t')
        .http({ url: `http://127.0.2.99/${secret}` })
        .catch(() => undefined);
      await net.close();
      await trace.close();
    } finally {
      await server.close();
    }
    const text = readFileSync(path, 'utf8');
    assert.equal(text.trim().split('\n').length, 2, 'the request and the refusal');
    assert.ok(!text.includes(secret), text);
    assert.match(text, /\/hook\/\[redacted sha256:[0-9a-f]{8}\]/);
  });
});

describe('shared reads', () => {
  const H = '127.0.2.3';
  let server: TestServer;
  const got: string[] = [];
  let stall = false;

  before(async () => {
    server = await startHttpServer(H, (req, res) => {
      got.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      if (req.url === '/ten-kb') return res.end(Buffer.alloc(10_000, 'x'));
      const answer = () => res.end(JSON.stringify({ kind: 'PodList', items: [], url: req.url }));
      if (stall) setTimeout(answer, 300);
      else answer();
    });
  });
  after(() => server.close());

  it('sends a shared GET once for every hunter that asks, at the same time or later', async () => {
    got.length = 0;
    stall = true;
    const net = network([H]);
    const url = `${server.url}/pods`;
    const [a, b] = await Promise.all([
      net.for('a').http({ url, shared: true }),
      net.for('b').http({ url, shared: true }),
    ]);
    stall = false;
    const c = await net.for('c').http({ url, shared: true });
    assert.deepEqual(got, ['GET /pods -']);
    for (const res of [a, b, c]) assert.equal(res.json<{ url: string }>()?.url, '/pods');
    await net.close();
  });

  it('shares plain GETs by default, between the same URL, headers and identity; a change forgets them', async () => {
    got.length = 0;
    const net = network([H]);
    const client = net.for('h');
    const url = `${server.url}/pods`;
    for (let i = 0; i < 2; i++) {
      await client.http({ url, credential: { token: 'tok-a' } });
      await client.http({ url, credential: { token: 'tok-b' } });
      await client.http({ url, maxBytes: 4096 });
      await client.http({ url, headers: { accept: 'application/json' } });
      await client.http({ url, headers: { Accept: 'application/json' } });
      await client.http({ url: `${url}?x` });
      // Read with a smaller cap, whole: it serves the default cap too.
      await client.http({ url });
    }
    await client.http({ url, shared: false });
    await client.http({ url, method: 'POST', body: '' });
    await client.http({ url });
    assert.deepEqual(got, [
      'GET /pods Bearer tok-a',
      'GET /pods Bearer tok-b',
      'GET /pods -',
      'GET /pods -',
      'GET /pods?x -',
      'GET /pods -',
      'POST /pods -',
      'GET /pods -',
    ]);
    await net.close();
  });

  it('serves a read with a smaller cap from a bigger one, never a bigger cap from a cut answer', async () => {
    got.length = 0;
    const net = network([H]);
    const client = net.for('h');
    const url = `${server.url}/ten-kb`;
    const shapes: string[] = [];
    for (const maxBytes of [1000, 500, 1000, 2000, undefined, 3000, 20_000]) {
      const res = await client.http({ url, maxBytes });
      shapes.push(`${res.body.length}${res.truncated ? ' cut' : ''}`);
    }
    assert.deepEqual(shapes, ['1000 cut', '500 cut', '1000 cut', '2000 cut', '10000', '3000 cut', '10000']);
    assert.equal(got.length, 3);
    await net.close();
  });

  it('a waiter whose shared answer failed sends its own request', async () => {
    got.length = 0;
    stall = true;
    const net = network([H]);
    const url = `${server.url}/pods`;
    const first = net.for('a').http({ url, shared: true, timeoutMs: 100 });
    const second = net.for('b').http({ url, shared: true });
    await rejectsWith(first, 'timeout');
    assert.equal((await second).status, 200);
    stall = false;
    assert.equal(got.length, 2);
    await net.close();
  });
});
