import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/core/config.js';
import { Engine } from '../../src/core/engine.js';
import type { KfEvent } from '../../src/core/events.js';
import { defineHunter } from '../../src/core/hunter.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { Network } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';
import { runHunt } from '../../src/run/hunt.js';

// Block 127.125.0.0/16. The run's memory budget (--max-memory) against the lab: a budget the process is
// always past runs nothing and names everything it skipped; the default budget changes nothing.

const RANGE = '127.125.0.0/28';
const MIB = 1024 * 1024;

const ofType = <K extends KfEvent['type']>(events: KfEvent[], type: K) =>
  events.filter((e): e is KfEvent<K> => e.type === type);

describe('the memory budget', () => {
  let lab: Lab;
  let ports: number[];

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', nodes: 1, base: '127.125.0.2' });
    ports = [...new Set(lab.hosts.flatMap((h) => h.services.map((s) => s.port)))].sort((a, b) => a - b);
  });
  after(() => lab?.stop());

  const hunt = (maxMemoryBytes: number) =>
    runHunt(defaultConfig({ targets: [parseTarget(RANGE)], ports, requestTimeoutMs: 4000, maxMemoryBytes }), HUNTERS);

  it('past the budget, nothing starts and every skipped run is a budget gap naming its port', async () => {
    const result = await hunt(1 * MIB);
    assert.equal(result.interrupted, false);
    assert.deepEqual(ofType(result.events, 'ServiceFound'), [], 'no port was fingerprinted');
    const gaps = ofType(result.events, 'CoverageGap').filter((g) => g.reason === 'budget');
    const open = lab.hosts.flatMap((h) => h.services.map((s) => `${h.address}:${s.port}`)).sort();
    const skipped = gaps
      .filter((g) => g.hunter === 'fingerprint')
      .map((g) => `${g.host}:${g.port}`)
      .sort();
    assert.deepEqual(skipped, open, 'each open port is named as not fingerprinted');
    for (const g of gaps) {
      assert.match(
        g.detail,
        /^not run: memory near the run's budget \(\d+ MiB resident, \d+ MiB live, of 1 MiB\), see --max-memory$/,
      );
    }
    // The hunters that judge on every fact were queued at the end, and skipped the same way.
    assert.ok(
      gaps.some((g) => g.hunter !== 'fingerprint'),
      `the settled hunters are gaps too: ${JSON.stringify(gaps.map((g) => g.hunter))}`,
    );
    assert.deepEqual(
      ofType(result.events, 'CoverageGap').filter((g) => g.reason !== 'budget'),
      [],
      'no other gap: nothing failed, it was only skipped',
    );
  });

  it('the default budget leaves a hunt of the lab whole: every port identified, no budget gap', async () => {
    const result = await hunt(defaultConfig().maxMemoryBytes);
    const found = ofType(result.events, 'ServiceFound')
      .map((s) => `${s.host}:${s.port} ${s.kind}`)
      .sort();
    const truth = lab.hosts.flatMap((h) => h.services.map((s) => `${h.address}:${s.port} ${s.kind}`)).sort();
    assert.deepEqual(found, truth);
    assert.deepEqual(
      ofType(result.events, 'CoverageGap').filter((g) => g.reason === 'budget'),
      [],
    );
    assert.ok(ofType(result.events, 'Finding').length > 0, 'the vulnerable lab has findings');
  });
});

describe('the memory budget, in the engine', () => {
  it('work queued while a run holds memory near the budget waits for it, then starts once it is freed', async () => {
    const times: Record<string, number> = {};
    // At least the process's resident size, so the budget below is passed on both counts whatever the
    // process already holds (the lab of the tests above runs in it).
    const HOG = Math.max(128 * MIB, process.memoryUsage.rss());
    const hog = defineHunter({
      id: 'hog',
      title: 'holds memory',
      mode: 'passive',
      on: 'PortOpen',
      when: (e) => e.port === 1,
      async hunt(event, ctx) {
        let held: Buffer | undefined = Buffer.alloc(HOG, 1);
        // Queued now, while this run holds the memory: it must not start until this run ends.
        ctx.publish('PortOpen', { host: event.host, port: 2 });
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(held.length, HOG);
        held = undefined;
        times.hogEnded = Date.now();
      },
    });
    const after = defineHunter({
      id: 'after',
      title: 'queued behind the hog',
      mode: 'passive',
      on: 'PortOpen',
      when: (e) => e.port === 2,
      async hunt() {
        times.afterStarted = Date.now();
      },
    });
    const network = new Network({
      scope: new Scope([]),
      trace: new Trace(),
      connectTimeoutMs: 1000,
      requestTimeoutMs: 1000,
      maxBodyBytes: 1024,
    });
    // A budget the process is under now and the hog's buffer takes it near: resident memory past 90% of
    // it, and live memory (the buffer alone) past half.
    const budget = process.memoryUsage.rss() + 0.75 * HOG;
    const engine = new Engine(
      [hog, after],
      network,
      { active: false, includePatchedVersions: false, cloud: false },
      { concurrency: 4, perHost: 4, hunterTimeoutMs: 10_000, maxMemoryBytes: budget },
    );
    engine.publish('PortOpen', { host: '127.125.9.1', port: 1 });
    await engine.run();
    assert.ok(times.hogEnded, 'the hog ran');
    assert.ok(times.afterStarted, 'the queued run started once the memory was freed, not skipped');
    assert.ok(times.afterStarted >= times.hogEnded, 'and not before the hog ended');
    assert.deepEqual(
      engine.events.filter((e) => e.type === 'CoverageGap'),
      [],
    );
  });
});
