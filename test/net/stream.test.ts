import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetError } from '../../src/core/errors.js';
import { JsonStream } from '../../src/net/json-stream.js';
import { type BodySink, Network, type ResponseHead } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace, type TraceRecord } from '../../src/net/trace.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';

// Loopback block 127.0.7.0/24 (see test/README.md).
const HOST = '127.0.7.1';

/** A sink counting the items of `{"items":[…]}` as they arrive, keeping none of them. */
function itemCounter(head: ResponseHead): BodySink<{ status: number; items: number; chunks: number }> {
  const seen = { status: head.status, items: 0, chunks: 0 };
  const json = new JsonStream({ paths: ['$.items.*'], onValue: () => seen.items++ });
  return {
    write: (chunk) => {
      seen.chunks++;
      json.write(chunk);
    },
    end: () => json.end(),
    result: () => seen,
  };
}

/** Writes `{"items":[…]}` of `n` items in chunks of `per`, then calls `tail` instead of closing the list. */
function list(res: http.ServerResponse, n: number, per: number, tail: (res: http.ServerResponse) => void) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"items":[');
  for (let i = 0; i < n; i += per) {
    const items = Array.from({ length: Math.min(per, n - i) }, (_, k) => JSON.stringify({ n: i + k }));
    res.write(`${i > 0 ? ',' : ''}${items.join(',')}`);
  }
  tail(res);
}

describe('NetClient.stream', () => {
  let server: TestServer;
  let tracePath: string;
  let trace: Trace;
  let network: Network;
  const asked: string[] = [];
  let closedEarly = 0;

  before(async () => {
    server = await startHttpServer(HOST, (req, res) => {
      asked.push(req.url ?? '');
      res.on('close', () => {
        if (!res.writableFinished) closedEarly++;
      });
      const path = (req.url ?? '').split('?')[0];
      if (path === '/big') list(res, 200_000, 5_000, (r) => r.end(']}'));
      else if (path === '/stall') list(res, 1_000, 100, () => undefined);
      else if (path === '/reset') list(res, 1_000, 100, (r) => setTimeout(() => r.socket?.resetAndDestroy(), 50));
      else if (path === '/garbage-later') list(res, 10, 10, (r) => r.end(`,${'x'.repeat(1024 * 1024)}`));
      else if (path === '/endless') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"items":[0');
        const timer = setInterval(() => res.write(',1'), 20);
        res.on('close', () => clearInterval(timer));
      } else if (path === '/deep') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      } else if (path === '/slow-shared') list(res, 3, 3, (r) => setTimeout(() => r.end(']}'), 300));
      else {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end('Forbidden (user=system:anonymous)');
      }
    });
    tracePath = join(await mkdtemp(join(tmpdir(), 'kf-stream-')), 'trace.jsonl');
    trace = new Trace(tracePath);
    await trace.open();
    const scope = new Scope();
    scope.addText(HOST);
    network = new Network({
      scope,
      trace,
      connectTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      maxBodyBytes: 64 * 1024,
    });
  });
  after(async () => {
    await network.close();
    await server.close();
  });

  const traced = () =>
    readFileSync(tracePath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TraceRecord);

  it('reads a body far past the body cap item by item, and traces it once with its size', async () => {
    const net = network.for('test-stream');
    const read = await net.stream({ url: `${server.url}/big` }, itemCounter);
    assert.equal(read.status, 200);
    assert.equal(read.cut, undefined);
    assert.equal(read.value.items, 200_000);
    assert.ok(read.value.chunks > 1, 'delivered in chunks');
    assert.ok(read.bytes > 64 * 1024 * 20, `${read.bytes} bytes, far past the 64 KiB cap`);
    await trace.close();
    const line = traced().find((r) => r.url.endsWith('/big'));
    assert.equal(line?.hunter, 'test-stream');
    assert.equal(line?.status, 200);
    assert.equal(line?.bytes, read.bytes);
    assert.equal(line?.error, undefined);
  });

  it('answers a refusal with its status, and the sink sees the head first', async () => {
    const read = await network.for('t').stream({ url: `${server.url}/refused` }, (head) => {
      assert.equal(head.status, 403);
      let text = '';
      return {
        write: (c) => {
          text += c.toString();
        },
        result: () => text,
      };
    });
    assert.equal(read.status, 403);
    assert.equal(read.value, 'Forbidden (user=system:anonymous)');
  });

  it('refuses an address outside the scope before sending anything', async () => {
    const before = asked.length;
    await assert.rejects(network.for('t').stream({ url: 'http://127.0.7.99:80/pods' }, itemCounter), (err) => {
      assert.ok(err instanceof NetError);
      assert.equal(err.kind, 'out-of-scope');
      return true;
    });
    assert.equal(asked.length, before);
  });

  it('throws NetError when no answer comes at all', async () => {
    const closed = await startHttpServer(HOST, () => undefined);
    const url = closed.url;
    await closed.close();
    await assert.rejects(network.for('t').stream({ url: `${url}/pods` }, itemCounter), (err) => {
      assert.ok(err instanceof NetError);
      assert.equal(err.kind, 'refused');
      return true;
    });
  });

  it('keeps what was read when the server falls silent, or a reset cuts the body', async () => {
    const net = network.for('t');
    const stalled = await net.stream({ url: `${server.url}/stall`, timeoutMs: 300 }, itemCounter);
    assert.equal(stalled.value.items, 1_000);
    assert.match(stalled.cut ?? '', /timed out|no answer in time/);
    assert.match(stalled.cut ?? '', /\(after \d+ bytes\)$/);

    const reset = await net.stream({ url: `${server.url}/reset` }, itemCounter);
    assert.equal(reset.value.items, 1_000);
    assert.ok(reset.cut, 'the reset is said');
    assert.ok(!reset.cut.includes('\n'), 'one line');
  });

  it('stops reading, and closes the connection, when the sink refuses the body', async () => {
    const before = closedEarly;
    const read = await network.for('t').stream({ url: `${server.url}/garbage-later` }, itemCounter);
    assert.equal(read.value.items, 10);
    assert.match(read.cut ?? '', /^not JSON: /);
    assert.ok(read.bytes < 1024 * 1024, `${read.bytes} bytes read of a 1 MiB body`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closedEarly, before + 1, 'the server saw the connection closed before it finished');
  });

  it("ends at the caller's signal (the hunter's deadline), not at a whole-request deadline", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_500);
    const read = await network.for('t', controller.signal).stream({ url: `${server.url}/endless` }, itemCounter);
    // Longer than the 1 s request deadline: a trickling body is read for as long as the hunter may.
    assert.ok(read.durationMs >= 1_400, `${read.durationMs} ms`);
    assert.ok(read.value.items > 20, `${read.value.items} items read`);
    assert.match(read.cut ?? '', /timed out/);
  });

  it('shares what a named reader derived among concurrent askers, and forgets a read that was cut', async () => {
    const net = network.for('t');
    const before = asked.filter((u) => u === '/slow-shared').length;
    const reads = await Promise.all(
      [1, 2, 3].map(() => net.stream({ url: `${server.url}/slow-shared`, shared: 'counter' }, itemCounter)),
    );
    for (const r of reads) assert.equal(r.value.items, 3);
    assert.equal(asked.filter((u) => u === '/slow-shared').length, before + 1, 'sent once');
    await net.stream({ url: `${server.url}/slow-shared`, shared: 'counter' }, itemCounter);
    assert.equal(asked.filter((u) => u === '/slow-shared').length, before + 1, 'a complete read is kept');

    const cutBefore = asked.filter((u) => u === '/stall').length;
    const first = await net.stream({ url: `${server.url}/stall`, shared: 'counter', timeoutMs: 200 }, itemCounter);
    assert.ok(first.cut);
    await net.stream({ url: `${server.url}/stall`, shared: 'counter', timeoutMs: 200 }, itemCounter);
    assert.equal(asked.filter((u) => u === '/stall').length, cutBefore + 2, 'a cut read is asked again');
  });

  it('gives no parsed JSON of a held body nested 100,000 levels deep, and keeps its text', async () => {
    const res = await network.for('t').http({ url: `${server.url}/deep`, maxBytes: 512 * 1024 });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 200_000);
    assert.equal(res.json(), undefined);
  });
});
