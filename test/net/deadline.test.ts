import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NetError } from '../../src/core/errors.js';
import type { EventPayloads } from '../../src/core/events.js';
import { selfSignedServing } from '../../src/lab/pki.js';
import { Deadline } from '../../src/net/deadline.js';
import { Network, type NetworkOptions } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';
import { STEP, type StallServer, startStallServer } from '../helpers/stall.js';

// Loopback block 127.152.1.0/24 (see test/README.md).
// The hunt's own pauses are not the server's silence: an answer that arrived in time while the hunt's
// thread was busy past the deadline (a large graph computed in one go) is read, as in bench/scale.ts, where
// a page of the token Secrets' Table was lost so. The server runs in a worker thread, so it answers while
// this thread is stalled, as a real server in another process does.

const HOST = '127.152.1.1';
const TIMEOUT_MS = 300;
/** How far past a deadline the thread stays stalled. */
const PAST_MS = 300;

function network(extra: Partial<NetworkOptions> = {}) {
  const scope = new Scope();
  scope.addText(HOST);
  return new Network({
    scope,
    trace: new Trace(),
    connectTimeoutMs: 1000,
    requestTimeoutMs: TIMEOUT_MS,
    maxBodyBytes: 1024 * 1024,
    ...extra,
  });
}

type Gap = Omit<EventPayloads['CoverageGap'], 'hunter'>;

describe('deadlines judge the server, not the hunt’s own pauses', () => {
  let server: StallServer;
  let net: Network;
  const gaps: Gap[] = [];
  const client = () => net.for('stall-test', undefined, { gap: (g) => gaps.push(g) });

  before(async () => {
    server = await startStallServer(HOST, 500);
    net = network();
  });
  after(async () => {
    await net.close();
    await server.close();
  });

  it('reads a page that arrived while the thread was busy past the request deadline', async () => {
    gaps.length = 0;
    const started = performance.now();
    const asked = client().http({ url: `${server.url}/page` });
    await server.waitFor(STEP.ready);
    // Busy until the deadline is long past; the server writes its answer meanwhile.
    server.stall(started + TIMEOUT_MS + PAST_MS);
    const res = await asked;
    assert.equal(res.status, 200);
    assert.equal(res.text(), server.page, 'the whole page');
    assert.equal((res.json() as { rows: unknown[] }).rows.length, 500);
    assert.equal(res.attempts, 1, 'not asked again');
    assert.deepEqual(gaps, [], 'no coverage gap');
  });

  it('reads a stream whose head arrived while the thread was busy past the deadline', async () => {
    const started = performance.now();
    const read = client().stream({ url: `${server.url}/page` }, () => {
      const chunks: Buffer[] = [];
      return { write: (chunk) => chunks.push(chunk), result: () => Buffer.concat(chunks).toString('utf8') };
    });
    await server.waitFor(STEP.ready);
    server.stall(started + TIMEOUT_MS + PAST_MS);
    const res = await read;
    assert.equal(res.status, 200);
    assert.equal(res.cut, undefined);
    assert.equal(res.value, server.page);
  });

  it('reads the rest of a stream that arrived while the thread was busy past the silence deadline', async () => {
    gaps.length = 0;
    const res = await client().stream({ url: `${server.url}/stream` }, () => {
      const chunks: Buffer[] = [];
      return {
        write: (chunk) => {
          // Busy on the first bytes, as a reader folding what it read, till the silence deadline is long past.
          if (chunks.length === 0) server.stall(performance.now() + TIMEOUT_MS + PAST_MS);
          chunks.push(chunk);
        },
        result: () => Buffer.concat(chunks).toString('utf8'),
      };
    });
    assert.equal(res.cut, undefined, 'read to its end');
    assert.equal(res.value, `{"rows":[${server.page}]}`);
  });

  it('still times out a server that said nothing, stall or not, and reports the gap', async () => {
    gaps.length = 0;
    const asked = client().http({ url: `${server.url}/silent` });
    await new Promise((r) => setTimeout(r, 20));
    server.spin(TIMEOUT_MS + PAST_MS);
    await assert.rejects(asked, (err) => err instanceof NetError && err.kind === 'timeout');
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0].reason, 'timeout');
    assert.match(gaps[0].detail, /\/silent: timed out, after 1 attempt/);
    // A stream's head is held to the same deadline.
    await assert.rejects(
      client().stream({ url: `${server.url}/silent` }, () => ({ write: () => undefined, result: () => 0 })),
      (err) => err instanceof NetError && err.kind === 'timeout',
    );
  });
});

describe('connect deadlines judge the server, not the hunt’s own pauses', () => {
  let server: StallServer;
  before(async () => {
    server = await startStallServer(HOST, 1, await selfSignedServing('stall', [], [HOST]));
  });
  after(() => server.close());

  it('a TLS handshake the server answered while the thread was busy past its deadline is used, not retried', async () => {
    const net = network({ handshakeTimeoutMs: 100, requestTimeoutMs: 5000 });
    const trace: string[] = [];
    try {
      server.reset();
      const started = performance.now();
      const asked = net.for('stall-test').http({ url: `${server.url}/other` });
      await server.waitFor(STEP.accepted);
      server.stall(started + 100 + PAST_MS);
      const res = await asked;
      assert.equal(res.status, 404);
      assert.equal(res.attempts, 1, 'the first connection served: no handshake timeout, no second attempt');
      assert.equal(net.options.trace.counts.retries, 0, trace.join());
    } finally {
      await net.close();
    }
  });

  it('a port probe stays open, and a refused one closed, through a stall past its deadline', async () => {
    const net = network();
    const probe = net.for('stall-test').tcp(HOST, server.port, 100);
    await new Promise((r) => setImmediate(r));
    server.spin(100 + PAST_MS);
    assert.equal(await probe, 'open');
    assert.equal(await net.for('stall-test').tcp(HOST, 1, 100), 'closed');
  });
});

describe('Deadline', () => {
  it('expires after its time; a cleared one never; a silence only once the touches stop', async () => {
    const fired: string[] = [];
    const expiry = (name: string, ms: number) => {
      let deadline!: Deadline;
      const expired = new Promise<void>((resolve) => {
        deadline = new Deadline(ms, () => {
          fired.push(name);
          resolve();
        });
      });
      return { deadline, expired };
    };
    const cleared = expiry('cleared', 20);
    cleared.deadline.clear();
    const silence = expiry('silence', 200);
    const touching = setInterval(() => silence.deadline.touch(), 10);
    await expiry('whole', 50).expired;
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(fired, ['whole'], 'touched every 10 ms, a 200 ms silence never came');
    clearInterval(touching);
    await silence.expired;
    assert.deepEqual(fired, ['whole', 'silence'], 'the cleared one never fired');
  });

  it('expires even while the thread stays busy: moved on at most as long again as its time', {
    timeout: 10_000,
  }, async () => {
    let expired = false;
    const done = new Promise<void>((resolve) => {
      new Deadline(100, () => {
        expired = true;
        resolve();
      });
    });
    // Busy 40 ms in every turn of the loop: every timer comes due late.
    const busy = setInterval(() => {
      const until = performance.now() + 40;
      while (performance.now() < until) {
        // a hunt that never rests
      }
    }, 0);
    try {
      await done;
    } finally {
      clearInterval(busy);
    }
    assert.ok(expired);
  });
});
