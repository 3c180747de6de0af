import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Engine, type EngineOptions } from '../../src/core/engine.js';
import type { KfEvent } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { Network, type NetworkOptions } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';

// This file's loopback block: 127.0.1.0/24.
const HOST = '127.0.1.2';

function makeEngine(hunters: AnyHunter[], options: Partial<EngineOptions> = {}, net: Partial<NetworkOptions> = {}) {
  const network = new Network({
    scope: new Scope([]),
    trace: new Trace(),
    connectTimeoutMs: 1000,
    requestTimeoutMs: 5000,
    maxBodyBytes: 1024 * 1024,
    ...net,
  });
  network.scope.addText('127.0.1.0/24');
  const lines: string[] = [];
  const engine = new Engine(
    hunters,
    network,
    { active: false, includePatchedVersions: false, cloud: false },
    { concurrency: 16, perHost: 4, hunterTimeoutMs: 5000, onProblem: (l) => lines.push(l), ...options },
  );
  return { engine, network, lines };
}

/** A server that holds each request for `holdMs` and records the most requests it had in flight at once. */
let slow: TestServer;
let inFlight = 0;
let maxInFlight = 0;
const maxByHost = new Map<string, number>();
const inFlightByHost = new Map<string, number>();

before(async () => {
  slow = await startHttpServer(HOST, (req, res) => {
    const key = String(req.headers['x-subject-host']);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    inFlightByHost.set(key, (inFlightByHost.get(key) ?? 0) + 1);
    maxByHost.set(key, Math.max(maxByHost.get(key) ?? 0, inFlightByHost.get(key) ?? 0));
    setTimeout(() => {
      inFlight--;
      inFlightByHost.set(key, (inFlightByHost.get(key) ?? 1) - 1);
      res.end('ok');
    }, 60);
  });
});
after(() => slow.close());

describe('engine', () => {
  it('chains A → B → C and records provenance', async () => {
    const a = defineHunter({
      id: 'a',
      title: 'A',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(e, ctx) {
        ctx.publish('ServiceFound', { host: e.host, port: e.port, kind: 'apiserver', scheme: 'http', evidence: ['t'] });
      },
    });
    const b = defineHunter({
      id: 'b',
      title: 'B',
      mode: 'passive',
      on: 'ServiceFound',
      when: (e) => e.kind === 'apiserver',
      async hunt(e, ctx) {
        const res = await ctx.net.http({ url: `${slow.url}/version`, headers: { 'x-subject-host': e.host } });
        ctx.publish('Version', { host: e.host, port: e.port, component: 'kubernetes', version: res.text() });
      },
    });
    const c = defineHunter({
      id: 'c',
      title: 'C',
      mode: 'passive',
      on: 'Version',
      reports: ['KF-TLS-001'],
      async hunt(e, ctx) {
        ctx.report({ kb: 'KF-TLS-001', host: e.host, port: e.port, evidence: `version ${e.version}` });
      },
    });
    const { engine } = makeEngine([c, b, a]);
    const open = engine.publish('PortOpen', { host: HOST, port: 6443 });
    const stats = await engine.run();
    const finding = engine.events.find((e) => e.type === 'Finding') as KfEvent<'Finding'>;
    assert.ok(finding, 'C reported a finding');
    assert.equal(finding.evidence, 'version ok');
    const byId = new Map(engine.events.map((e) => [e.id, e]));
    const chain: string[] = [];
    for (let e: KfEvent | undefined = finding; e; e = byId.get(e.parents[0])) chain.unshift(`${e.type}@${e.publisher}`);
    assert.deepEqual(chain, ['PortOpen@discovery', 'ServiceFound@a', 'Version@b', 'Finding@c']);
    assert.equal(byId.get(finding.parents[0])?.parents[0] !== undefined, true);
    assert.equal(open.parents.length, 0);
    assert.deepEqual(stats.huntersRun, ['a', 'b', 'c']);
    assert.equal(stats.hunterRuns, 3);
  });

  it('keeps who published an event apart from what its payload says', async () => {
    const finder = defineHunter({
      id: 'finder',
      title: 'publishes a found credential',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(e, ctx) {
        ctx.publish('Credential', {
          name: 'found:ns/token',
          source: 'found',
          apiServer: { host: e.host, port: e.port, scheme: 'https' },
          secret: { token: 'x' },
        });
      },
    });
    const { engine } = makeEngine([finder]);
    engine.publish('PortOpen', { host: HOST, port: 6443 });
    await engine.run();
    const cred = engine.events.find((e) => e.type === 'Credential') as KfEvent<'Credential'>;
    assert.equal(cred.publisher, 'finder');
    assert.equal(cred.source, 'found');
  });

  it('replaces an earlier event of the same subject in place when asked, and only then', async () => {
    const { engine } = makeEngine([]);
    const first = engine.publish('Version', { host: HOST, port: 1, component: 'kubernetes', version: 'v1.30.0' });
    const other = engine.publish('PortOpen', { host: HOST, port: 2 });
    const kept = engine.publish('Version', { host: HOST, port: 1, component: 'kubernetes', version: 'v1.31.0' });
    assert.equal(kept, first, 'without replace, the earlier event stays');
    const replaced = engine.publish(
      'Version',
      { host: HOST, port: 1, component: 'kubernetes', version: 'v1.32.0' },
      [],
      'test',
      { replace: true },
    );
    assert.notEqual(replaced.id, first.id);
    assert.deepEqual(
      engine.events.map((e) => (e.type === 'Version' ? e.version : e.type)),
      ['v1.32.0', 'PortOpen'],
    );
    assert.deepEqual(
      engine.known('Version').map((e) => e.version),
      ['v1.32.0'],
    );
    assert.equal(engine.events[1], other);
  });

  it('runs each (hunter, subject) pair once and does not republish a repeated fact', async () => {
    let runs = 0;
    let subjectRuns = 0;
    const counter = defineHunter({
      id: 'counter',
      title: 'counts',
      mode: 'passive',
      on: 'PortOpen',
      async hunt() {
        runs++;
      },
    });
    const perHost = defineHunter({
      id: 'per-host',
      title: 'one run per host',
      mode: 'passive',
      on: 'PortOpen',
      subject: (e) => e.host,
      async hunt() {
        subjectRuns++;
      },
    });
    const { engine } = makeEngine([counter, perHost]);
    const first = engine.publish('PortOpen', { host: HOST, port: 1 });
    const again = engine.publish('PortOpen', { host: HOST, port: 1 });
    engine.publish('PortOpen', { host: HOST, port: 2 });
    await engine.run();
    assert.equal(again.id, first.id, 'the repeated fact is the same event');
    assert.equal(engine.events.length, 2);
    assert.equal(runs, 2, 'once per port');
    assert.equal(subjectRuns, 1, 'once per host with a custom subject');
  });

  it('respects the overall and per-host concurrency bounds (measured by a real server)', async () => {
    const prober = defineHunter({
      id: 'prober',
      title: 'holds a request open',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(e, ctx) {
        // Each a request of its own, never one answer shared between them.
        await ctx.net.http({ url: `${slow.url}/`, headers: { 'x-subject-host': e.host }, shared: false });
      },
    });
    maxInFlight = 0;
    maxByHost.clear();
    // 3 overall; per host 2: 4 hosts × 4 ports.
    const { engine } = makeEngine([prober], { concurrency: 3, perHost: 2 });
    for (let h = 10; h < 14; h++)
      for (let p = 1; p <= 4; p++) engine.publish('PortOpen', { host: `127.0.1.${h}`, port: p });
    const stats = await engine.run();
    assert.equal(stats.hunterRuns, 16);
    assert.equal(maxInFlight, 3, 'never more than 3 in flight, and the bound was reached');
    assert.ok(
      [...maxByHost.values()].every((n) => n <= 2),
      `per host at most 2: ${[...maxByHost.entries()]}`,
    );
    assert.ok(
      [...maxByHost.values()].some((n) => n === 2),
      'the per-host bound was reached',
    );

    maxInFlight = 0;
    maxByHost.clear();
    const single = makeEngine([prober], { concurrency: 10, perHost: 1 });
    for (let p = 1; p <= 5; p++) single.engine.publish('PortOpen', { host: '127.0.1.20', port: p });
    await single.engine.run();
    assert.equal(maxByHost.get('127.0.1.20'), 1, 'one host with perHost 1 never has two in flight');
  });

  it('isolates a throwing hunter: one line, and the hunt goes on', async () => {
    let others = 0;
    const thrower = defineHunter({
      id: 'thrower',
      title: 'throws',
      mode: 'passive',
      on: 'PortOpen',
      async hunt() {
        throw new Error('boom\nsecond line must not appear');
      },
    });
    const syncThrower = defineHunter({
      id: 'sync-thrower',
      title: 'throws before its first await',
      mode: 'passive',
      on: 'PortOpen',
      hunt() {
        throw new TypeError('sync boom');
      },
    });
    const fine = defineHunter({
      id: 'fine',
      title: 'fine',
      mode: 'passive',
      on: 'PortOpen',
      async hunt() {
        others++;
      },
    });
    const { engine, lines } = makeEngine([thrower, syncThrower, fine]);
    engine.publish('PortOpen', { host: HOST, port: 1 });
    engine.publish('PortOpen', { host: HOST, port: 2 });
    await engine.run();
    assert.equal(others, 2);
    assert.equal(engine.problems.filter((p) => p.kind === 'error').length, 4);
    assert.ok(
      lines.every((l) => !l.includes('\n')),
      'each problem is one line',
    );
    assert.ok(lines.some((l) => l === 'thrower on 127.0.1.2:1: boom'));
    assert.ok(lines.some((l) => l === 'sync-thrower on 127.0.1.2:2: sync boom'));
    // A hunter that threw did not examine its subject: each failure is also a coverage gap, on its port.
    const gaps = engine.known('CoverageGap').map((g) => [g.hunter, g.host, g.port, g.reason, g.detail]);
    assert.deepEqual(gaps.sort(), [
      ['sync-thrower', HOST, 1, 'error', 'sync boom'],
      ['sync-thrower', HOST, 2, 'error', 'sync boom'],
      ['thrower', HOST, 1, 'error', 'boom'],
      ['thrower', HOST, 2, 'error', 'boom'],
    ]);
  });

  it('abandons a hanging hunter at its timeout, ignores what it publishes later, and ends', async () => {
    let released: () => void = () => undefined;
    const hanger = defineHunter({
      id: 'hanger',
      title: 'never returns',
      mode: 'passive',
      on: 'PortOpen',
      timeoutMs: 150,
      async hunt(e, ctx) {
        await new Promise<void>((r) => {
          released = r;
        });
        ctx.publish('Version', { host: e.host, port: e.port, component: 'etcd', version: 'late' });
        throw new Error('late failure must not be an unhandled rejection');
      },
    });
    let aborted = false;
    const waiter = defineHunter({
      id: 'waiter',
      title: 'waits on its signal',
      mode: 'passive',
      on: 'PortOpen',
      timeoutMs: 150,
      async hunt(_e, ctx) {
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
        aborted = true;
      },
    });
    const { engine, lines } = makeEngine([hanger, waiter]);
    engine.publish('PortOpen', { host: HOST, port: 1 });
    await engine.run();
    assert.deepEqual(
      engine.problems.map((p) => [p.hunter, p.kind]),
      [
        ['hanger', 'timeout'],
        ['waiter', 'timeout'],
      ],
    );
    assert.ok(lines[0].includes('timed out after 150 ms'));
    assert.equal(aborted, true, 'the signal was aborted at the timeout');
    assert.deepEqual(
      engine
        .known('CoverageGap')
        .map((g) => [g.hunter, g.host, g.port, g.subject, g.reason, g.detail])
        // Both time out together; which one's grace ends first is not the point.
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      [
        ['hanger', HOST, 1, 'port 1', 'deadline', 'timed out after 150 ms'],
        ['waiter', HOST, 1, 'port 1', 'deadline', 'timed out after 150 ms'],
      ],
    );
    released();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(engine.events.filter((e) => e.type === 'Version').length, 0, 'late facts are dropped');
  });

  it('refuses at construction a hunter declaring an id the knowledge base does not hold', () => {
    const typo = defineHunter({
      id: 'typo',
      title: 'declares a misspelt id',
      mode: 'passive',
      on: 'PortOpen',
      reports: ['KF-API-001', 'KF-APl-002', 'CVE-2018-1002105'],
      async hunt() {},
    });
    assert.throws(
      () => makeEngine([typo]),
      /^Error: hunter typo declares KF-APl-002 in `reports`, not in the knowledge base$/,
    );
  });

  it('refuses a report of an id the hunter did not declare: a one-line problem, no finding', async () => {
    const stray = defineHunter({
      id: 'stray',
      title: 'reports what it did not declare',
      mode: 'passive',
      on: 'PortOpen',
      reports: ['KF-TLS-001'],
      async hunt(e, ctx) {
        ctx.report({ kb: 'KF-TLS-001', host: e.host, port: e.port, evidence: 'declared' });
        ctx.report({ kb: 'KF-TLS-002', host: e.host, port: e.port, evidence: 'not declared' });
      },
    });
    const { engine, lines } = makeEngine([stray]);
    engine.publish('PortOpen', { host: HOST, port: 3 });
    await engine.run();
    const findings = engine.events.filter((e) => e.type === 'Finding') as KfEvent<'Finding'>[];
    assert.deepEqual(
      findings.map((f) => f.kb),
      ['KF-TLS-001'],
    );
    assert.deepEqual(lines, ['stray on 127.0.1.2:3: reported KF-TLS-002, which is not in its `reports`']);
  });

  it('runs the hunters of HuntSettled once, when the bus is idle, after every fact; a stopped run says they did not', async () => {
    const order: string[] = [];
    const slowFact = defineHunter({
      id: 'slow-fact',
      title: 'publishes a fact late',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(e, ctx) {
        await new Promise((r) => setTimeout(r, 50));
        order.push('fact');
        ctx.publish('Observation', { host: e.host, fact: 'os', value: 'linux', source: 'test' });
      },
    });
    const judge = defineHunter({
      id: 'judge',
      title: 'Judges on every fact',
      mode: 'passive',
      on: 'HuntSettled',
      async hunt(_e, ctx) {
        order.push(`judge saw ${ctx.known('Observation').length}`);
      },
    });
    const { engine } = makeEngine([judge, slowFact]);
    engine.publish('PortOpen', { host: HOST, port: 4 });
    engine.publish('PortOpen', { host: HOST, port: 5 });
    await engine.run();
    assert.deepEqual(order, ['fact', 'fact', 'judge saw 1']);
    assert.equal(engine.events.filter((e) => e.type === 'HuntSettled').length, 1);

    const stopped = makeEngine([judge, slowFact]);
    stopped.engine.publish('PortOpen', { host: HOST, port: 6 });
    const running = stopped.engine.run();
    stopped.engine.stop('interrupted');
    await running;
    const gaps = stopped.engine.events.filter((e) => e.type === 'CoverageGap') as KfEvent<'CoverageGap'>[];
    assert.deepEqual(
      gaps.map((g) => [g.hunter, g.reason, g.detail]),
      [
        ['judge', 'skipped', 'not run: the hunt was interrupted before every fact was gathered'],
        // The fact-gatherer stopped mid-run is a gap of its own.
        ['slow-fact', 'skipped', 'interrupted while it was running'],
      ],
    );
    assert.equal(stopped.engine.events.filter((e) => e.type === 'HuntSettled').length, 0);
  });

  it('publishes no HuntSettled when no hunter listens for it', async () => {
    const { engine } = makeEngine([]);
    engine.publish('PortOpen', { host: HOST, port: 7 });
    await engine.run();
    assert.deepEqual(
      engine.events.map((e) => e.type),
      ['PortOpen'],
    );
  });

  it('ends cleanly: with nothing to do, after a hold is released, and after stop()', async () => {
    const { engine } = makeEngine([]);
    const stats = await engine.run();
    assert.equal(stats.events, 0);

    const held = makeEngine([]);
    const release = held.engine.hold();
    let done = false;
    const running = held.engine.run().then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(done, false, 'a hold keeps the run open');
    held.engine.publish('PortOpen', { host: HOST, port: 1 });
    release();
    await running;
    assert.equal(done, true);

    const forever = defineHunter({
      id: 'forever',
      title: 'runs until stopped',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(_e, ctx) {
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
      },
    });
    const stopping = makeEngine([forever]);
    stopping.engine.publish('PortOpen', { host: HOST, port: 1 });
    const run = stopping.engine.run();
    setTimeout(() => stopping.engine.stop('test'), 30);
    await run;
    assert.equal(stopping.engine.stopped, true);
    assert.equal(stopping.engine.problems.length, 0, 'a stopped hunter is not a failure');
    assert.deepEqual(
      stopping.engine.known('CoverageGap').map((g) => [g.hunter, g.port, g.reason, g.detail]),
      [['forever', 1, 'skipped', 'test while it was running']],
      'but it did not finish its subject: a gap',
    );
  });

  it('a stop names what it dropped: the running runs each, the queued ones per hunter', async () => {
    const forever = defineHunter({
      id: 'forever',
      title: 'runs until stopped',
      mode: 'passive',
      on: 'PortOpen',
      async hunt(_e, ctx) {
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
      },
    });
    const quick = defineHunter({ id: 'quick', title: 'q', mode: 'passive', on: 'PortOpen', async hunt() {} });
    // One run per host at a time: the first port's run holds the host, the others wait in the queue.
    const { engine } = makeEngine([forever, quick], { perHost: 1 });
    for (const port of [1, 2, 3]) engine.publish('PortOpen', { host: HOST, port });
    const run = engine.run();
    setTimeout(() => engine.stop('interrupted'), 30);
    await run;
    const gaps = engine.known('CoverageGap').map((g) => [g.hunter, g.port ?? '-', g.subject, g.detail]);
    assert.deepEqual(
      gaps.sort((a, b) => String(a).localeCompare(String(b))),
      [
        ['forever', '-', `2 subjects (${HOST}:2, …)`, 'interrupted before it started'],
        ['forever', 1, 'port 1', 'interrupted while it was running'],
        ['quick', '-', `3 subjects (${HOST}:1, …)`, 'interrupted before it started'],
      ],
    );
  });

  it('a predicate that throws is a problem and a gap: the hunter never looked at that event', async () => {
    const picky = defineHunter({
      id: 'picky',
      title: 'p',
      mode: 'passive',
      on: 'PortOpen',
      when: () => {
        throw new Error('cannot decide');
      },
      async hunt() {},
    });
    const { engine } = makeEngine([picky]);
    engine.publish('PortOpen', { host: HOST, port: 7 });
    await engine.run();
    assert.deepEqual(
      engine.known('CoverageGap').map((g) => [g.hunter, g.port, g.subject, g.reason, g.detail]),
      [['picky', 7, 'port 7', 'error', 'predicate failed: cannot decide']],
    );
  });

  it("publishes a request its hunter could not complete as that hunter's coverage gap, without the hunter's help", async () => {
    const busy = await startHttpServer('127.0.1.3', (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    try {
      const reader = defineHunter({
        id: 'reader',
        title: 'reads a busy server',
        mode: 'passive',
        on: 'HuntStarted',
        async hunt(_event, ctx) {
          const res = await ctx.net.http({ url: `${busy.url}/metrics` });
          assert.equal(res.status, 503);
          // A copy of a known credential's secret: the gap names the identity, never the secret.
          await ctx.net.http({ url: `${busy.url}/pods`, credential: { token: 'tok-dev-123456' } });
        },
      });
      const retry = { attempts: 2, baseDelayMs: 5, maxDelayMs: 100 };
      const { engine, network } = makeEngine([reader as AnyHunter], {}, { retry });
      engine.publish('Credential', { name: 'dev', source: 'token', secret: { token: 'tok-dev-123456' } });
      engine.publish('HuntStarted', {});
      await engine.run();
      const gaps = engine.known('CoverageGap');
      assert.equal(gaps.length, 2);
      assert.equal(gaps[1].subject, 'GET /pods (dev)');
      assert.ok(!JSON.stringify(gaps).includes('tok-dev'));
      assert.equal(gaps[0].hunter, 'reader');
      assert.equal(gaps[0].publisher, 'reader');
      assert.equal(gaps[0].subject, 'GET /metrics (anonymous)');
      assert.equal(gaps[0].reason, 'retry-budget');
      assert.equal(gaps[0].port, busy.port);
      await network.close();
    } finally {
      await busy.close();
    }
  });

  it('refuses two hunters with the same id', () => {
    const h = defineHunter({ id: 'same', title: 's', mode: 'passive', on: 'PortOpen', async hunt() {} });
    assert.throws(() => makeEngine([h, { ...h }]), /share the id same/);
  });
});
