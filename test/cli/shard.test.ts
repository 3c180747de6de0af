import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { after, before, describe, it } from 'node:test';
import { parseShard, shardTargets } from '../../src/cli/flags/shard.js';
import { UsageError } from '../../src/core/errors.js';
import { parseTarget, type Target } from '../../src/discovery/targets.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { rangeSize } from '../../src/net/scope.js';
import { runKubeferret } from '../helpers/cli.js';

// This file's loopback block: 127.104.0.0/16. --shard I/N cuts the targets into disjoint balanced slices;
// `kubeferret merge` joins the shards' reports into what one run would have reported.

const targets = (...texts: string[]) => texts.map(parseTarget);
/** Every address (or single) of a shard's targets, as text. */
function members(ts: Target[]): string[] {
  const out: string[] = [];
  for (const t of ts) {
    if (t.kind !== 'range' || t.port !== undefined) out.push(t.label);
    else for (let n = t.range.first; n <= t.range.last; n++) out.push(`${t.range.family}:${n}`);
  }
  return out;
}

describe('shard slices', () => {
  it('are disjoint, balanced within one, and together exactly the targets, each address once', () => {
    const given = targets('10.0.0.0/28', '10.0.0.8-10.0.0.20', '10.0.1.5', 'api.example', '10.0.2.1:6443', '::1');
    const all = new Set(members(shardTargets(given, { index: 1, count: 1 })));
    assert.equal(
      all.size,
      21 + 1 + 1 + 1 + 1,
      '10.0.0.0-20 counted once, 10.0.1.5, ::1, the hostname, the port target',
    );
    for (const count of [1, 2, 3, 7, 25, 40]) {
      const shards = Array.from({ length: count }, (_, i) => members(shardTargets(given, { index: i + 1, count })));
      const sizes = shards.map((s) => s.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced for N=${count}: ${sizes}`);
      const joined = shards.flat();
      assert.equal(joined.length, all.size, `disjoint for N=${count}`);
      assert.deepEqual(new Set(joined), all);
    }
  });

  it('do not depend on the order the targets were given in', () => {
    const a = shardTargets(targets('10.0.0.0/24', 'b.example', '10.0.5.0/30', 'a.example'), { index: 2, count: 3 });
    const b = shardTargets(targets('a.example', '10.0.5.0/30', 'b.example', '10.0.0.0/24'), { index: 2, count: 3 });
    assert.deepEqual(a, b);
  });

  it('cut a /8 without listing it', () => {
    const [first] = shardTargets(targets('10.0.0.0/8'), { index: 4, count: 16 });
    assert.equal(first.kind === 'range' && rangeSize(first.range), 1_048_576n);
    assert.equal(first.label, '10.48.0.0-10.63.255.255');
  });

  it('may be empty when there are more shards than addresses', () => {
    assert.deepEqual(shardTargets(targets('10.0.0.1'), { index: 2, count: 3 }), []);
  });

  it('--shard takes I/N with 1 ≤ I ≤ N', () => {
    assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '-1/3', '']) assert.throws(() => parseShard(bad), UsageError);
    // In an Indexed Job: the completion index counts from 0.
    assert.deepEqual(parseShard('job/4', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 4 });
    assert.deepEqual(parseShard('job/4', { JOB_COMPLETION_INDEX: '3' }), { index: 4, count: 4 });
    assert.throws(() => parseShard('job/4', { JOB_COMPLETION_INDEX: '4' }), UsageError);
    assert.throws(() => parseShard('job/4', {}), { message: /JOB_COMPLETION_INDEX is not set/ });
  });
});

describe('a sharded sweep of a /20 holding two labs, merged', () => {
  let labs: Lab[];
  let dir: string;
  const RANGE = '127.104.0.0/20';
  const N = 3;
  before(async () => {
    labs = [
      await startLab({ base: '127.104.0.2', etcd: 'simulated', nodes: 2 }),
      await startLab({ base: '127.104.9.2', etcd: 'simulated', nodes: 1 }),
    ];
    dir = mkdtempSync(join(tmpdir(), 'kf-shard-'));
  });
  after(async () => {
    for (const lab of labs ?? []) await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hunt = async (name: string, extra: string[]) => {
    const out = join(dir, name);
    // A generous request deadline: on a loaded machine a slow answer must not make two runs differ.
    const r = await runKubeferret(
      ['hunt', RANGE, '--quick', '--request-timeout', '30', '--format', 'json', '--output', out, ...extra],
      {},
      180_000,
    );
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return out;
  };
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

  it('equals the single run', async () => {
    const single = read(await hunt('single.json', []));
    const shards: string[] = [];
    for (let i = 1; i <= N; i++) shards.push(await hunt(`shard-${i}.json`, ['--shard', `${i}/${N}`]));
    const shardReports = shards.map(read);
    assert.ok(
      shardReports.filter((r) => r.findings.length > 0).length >= 2,
      'the labs fall into different shards, or this tests nothing',
    );
    const m = await runKubeferret(['merge', ...shards, '--format', 'json', '--output', join(dir, 'merged.json')]);
    assert.equal(m.code, 0, m.stderr);
    const merged = read(join(dir, 'merged.json'));

    assert.ok(single.findings.length > 50);
    // Two runs of the same hunt place some findings by a race between the ports of one host: which port
    // first disclosed a version (CVE findings) or which kubelet port first listed the pods (the pod
    // findings' evidence and chain). Findings are therefore compared by what they are and where, which is
    // the same in any run.
    const what = (r: { findings: Record<string, unknown>[] }) =>
      r.findings
        .map((f) =>
          String(f.kb).startsWith('CVE-')
            ? `${f.kb}|${f.host}|${f.severity}`
            : `${f.fingerprint}|${f.kb}|${f.host}|${f.severity}|${f.identity ?? ''}|${f.object ?? ''}`,
        )
        .sort();
    const [inMerged, inSingle] = [what(merged), what(single)];
    assert.deepEqual(
      {
        onlyMerged: inMerged.filter((x) => !inSingle.includes(x)),
        onlySingle: inSingle.filter((x) => !inMerged.includes(x)),
      },
      { onlyMerged: [], onlySingle: [] },
      "the merged shards report exactly the single run's findings",
    );
    assert.deepEqual(inMerged, inSingle);
    const facts = (r: { graph: { nodes: { id: string; kind: string }[] } }) =>
      r.graph.nodes
        .filter((n) => ['host', 'port', 'service', 'credential', 'access'].includes(n.kind))
        .map((n) => n.id)
        .sort();
    assert.deepEqual(facts(merged), facts(single), 'the graph joins the same facts');
    for (const part of ['hosts', 'access', 'notContacted', 'problems', 'changes'] as const) {
      assert.deepEqual(merged[part], single[part], part);
    }
    for (const stat of ['hosts', 'openPorts', 'services', 'portsProbed', 'findings'] as const) {
      assert.deepEqual(merged.stats[stat], single.stats[stat], `stats.${stat}`);
    }
    assert.deepEqual(Object.keys(merged.trace.byHost).sort(), Object.keys(single.trace.byHost).sort());
    assert.deepEqual(
      merged.scan.targets,
      shardReports.flatMap((r) => r.scan.targets),
    );
    // Statistics are sums: every shard's requests are in the merged audit trail.
    assert.equal(
      merged.trace.requests,
      shardReports.reduce((n, r) => n + r.trace.requests, 0),
    );
  });

  it('discover --shard: the shards together find the services one discovery finds', async () => {
    const discover = async (extra: string[]) => {
      const args = ['discover', RANGE, '--quick', '--format', 'json', '--request-timeout', '30', ...extra];
      const r = await runKubeferret(args, {}, 180_000);
      assert.equal(r.code, 0, r.stderr);
      // Open ports, not their kinds: under heavy load a fingerprint may time out into `unknown` in any run.
      return JSON.parse(r.stdout).map((s: { host: string; port: number }) => `${s.host}:${s.port}`);
    };
    const whole = await discover([]);
    const parts = [await discover(['--shard', '1/2']), await discover(['--shard', '2/2'])];
    assert.ok(whole.length > 10);
    assert.deepEqual([...parts[0], ...parts[1]].sort(), [...whole].sort());
    assert.ok(parts[0].length > 0 && parts[1].length > 0);
  });

  it('merge: a file that is not a report is one line and exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"x":1}');
    const r = await runKubeferret(['merge', bad]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `kubeferret: ${bad} is not a kubeferret report: give a report written with --format json\n`);
    const none = await runKubeferret(['merge']);
    assert.equal(none.code, 2);
  });
});
