import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { runHunt } from '../../src/run/hunt.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns.js';

// This file's loopback block: 127.95.0.0/16. Gaps of the run itself, not of a hunter: a target name that
// does not resolve, and a port scan stopped before it probed everything.

let dns: TestDnsServer;
before(async () => {
  dns = await startDnsServer('127.95.0.53', {});
});
after(() => dns.close());

const gapsOf = (events: KfEvent[]) => events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap');

describe('coverage gaps of the run', () => {
  it('a target name that does not resolve is a discovery gap, with the reason', async () => {
    const result = await runHunt(
      defaultConfig({
        targets: [parseTarget('gone.cluster.test')],
        ports: [9],
        dnsServers: [dns.server],
      }),
      [],
    );
    assert.deepEqual(
      gapsOf(result.events).map((g) => [g.hunter, g.subject, g.reason, g.detail]),
      [
        [
          'discovery',
          'target gone.cluster.test',
          'error',
          `gone.cluster.test does not resolve (ENOTFOUND at ${dns.server})`,
        ],
      ],
    );
  });

  it('a scan stopped part way says how much of it was never probed', async () => {
    const controller = new AbortController();
    // 16,384 addresses × 2 closed ports on loopback: long enough to be stopped part way.
    const running = runHunt(
      defaultConfig({ targets: [parseTarget('127.95.64.0/18')], ports: [9, 11], concurrency: 50 }),
      [],
      {
        signal: controller.signal,
        onScanProgress: (p) => {
          if (p.probes > 200) controller.abort();
        },
      },
    );
    const result = await running;
    assert.equal(result.interrupted, true);
    const gaps = gapsOf(result.events);
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0].hunter, 'discovery');
    assert.equal(gaps[0].subject, 'port scan');
    assert.equal(gaps[0].reason, 'skipped');
    const m = /^stopped after (\d+) of 32768 probes \((\d+) of 16384 hosts\)$/.exec(gaps[0].detail);
    assert.ok(m, gaps[0].detail);
    assert.ok(Number(m[1]) < 32768);
  });

  it('a scan that finished has no such gap', async () => {
    const result = await runHunt(defaultConfig({ targets: [parseTarget('127.95.1.0/30')], ports: [9] }), []);
    assert.deepEqual(gapsOf(result.events), []);
  });
});
