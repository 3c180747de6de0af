import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanupScope, replayJournal } from '../../src/active/cleanup.js';
import { pendingOf, readJournal } from '../../src/active/journal.js';
import { defaultConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../src/hunters/apiserver/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { Network } from '../../src/net/network.js';
import { Trace } from '../../src/net/trace.js';
import { type HuntResult, runHunt } from '../../src/run/hunt.js';

// This file's loopback block: 127.75.0.0/16. A namespace deleted on a real cluster answers 200 and stays
// Terminating while it is emptied; the lab models that (namespaceTerminationMs). Undone means gone: the run
// and `kubeferret cleanup` wait for the 404, and say "still terminating" when the deadline comes first.

const labs: Lab[] = [];
after(async () => {
  for (const lab of labs) await lab.stop();
});

async function hunt(lab: Lab, base: string, undoWaitMs: number): Promise<{ result: HuntResult; journal: string }> {
  const admin = new Identity('token-file:admin', 'token', undefined, {
    token: lab.credentials.admin.token!,
    trust: { tls: 'unverified' },
  });
  const vantage: VantageSettings = { identities: [admin], discoverNodes: false };
  const journal = join(mkdtempSync(join(tmpdir(), 'kf-terminating-')), 'journal.jsonl');
  const result = await runHunt(
    defaultConfig({
      targets: [parseTarget(`${base}:6443`)],
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 20_000,
      active: true,
      yes: true,
      journalPath: journal,
      undoWaitMs,
      extra: { [VANTAGE_KEY]: vantage },
    }),
    [...discoveryHunters, ...apiserverHunters],
  );
  return { result, journal };
}

const namespaceChange = (result: HuntResult) => {
  const c = result.changes.find((c) => /^create namespace kubeferret-/.test(c.action));
  assert.ok(c, 'a namespace was created');
  return c;
};

describe('undoing a namespace that stays Terminating for a while', () => {
  it('waits for the 404 and only then calls it undone', async () => {
    const base = '127.75.1.2';
    const lab = await startLab({ profile: 'default', base, nodes: 1, etcd: 'off', namespaceTerminationMs: 1500 });
    labs.push(lab);
    const before = await lab.snapshot();
    const { result } = await hunt(lab, base, 20_000);
    const ns = namespaceChange(result);
    assert.equal(ns.undone, true, ns.undoError);
    const name = ns.action.split(' ')[2];
    const asked = lab.requests.filter((r) => r.path.split('?')[0] === `/api/v1/namespaces/${name}`);
    assert.equal(asked.filter((r) => r.method === 'DELETE').length, 1);
    const gets = asked.filter((r) => r.method === 'GET').map((r) => r.status);
    assert.ok(gets.length >= 2 && gets.includes(200), `it looked while Terminating: ${gets}`);
    assert.equal(gets.at(-1), 404, 'and stopped at the 404');
    const proof = result.events.find((e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.kb === 'KF-API-102');
    assert.match(proof?.evidence ?? '', /^deleted namespace kubeferret-\S+ \(HTTP 200, then gone\)/);
    assert.deepEqual(await lab.snapshot(), before);
  });

  it('says "still terminating" at the deadline, keeps it pending, and cleanup counts it under that name until it is gone', async () => {
    const base = '127.75.2.2';
    const lab = await startLab({ profile: 'default', base, nodes: 1, etcd: 'off', namespaceTerminationMs: 4000 });
    labs.push(lab);
    const { result, journal } = await hunt(lab, base, 300);
    const ns = namespaceChange(result);
    assert.equal(ns.undone, false);
    assert.match(
      ns.undoError ?? '',
      /^still terminating: deletion accepted \(HTTP 200\), still there after 0\.3 s \(phase Terminating since \d{4}-/,
    );
    const proof = result.events.find((e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.kb === 'KF-API-102');
    assert.match(
      proof?.evidence ?? '',
      /^deletion of namespace kubeferret-\S+ accepted \(HTTP 200\), still terminating: still there/,
    );

    const replay = async (undoWaitMs: number) => {
      const state = readJournal(journal);
      const pending = pendingOf(state);
      const network = new Network({
        scope: cleanupScope(pending),
        trace: new Trace(),
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 20_000,
        maxBodyBytes: 1024 * 1024,
      });
      const log: string[] = [];
      const admin = {
        name: 'token-file:admin',
        secret: { token: lab.credentials.admin.token!, trust: { tls: 'unverified' as const } },
      };
      try {
        return { pending, log, result: await replayJournal(state, network, [admin], (l) => log.push(l), undoWaitMs) };
      } finally {
        await network.close();
      }
    };
    // Still there: the second DELETE gets the real server's 409, and the replay says so by name.
    const early = await replay(200);
    assert.deepEqual(
      early.pending.map((e) => e.change.action.split(' ').slice(0, 2).join(' ')),
      ['create namespace'],
    );
    assert.equal(early.result.terminating.length, 1);
    assert.deepEqual([early.result.undone, early.result.gone, early.result.failed.length], [0, 0, 0]);
    assert.match(
      early.log[0],
      /^still terminating: delete namespace kubeferret-\S+ \(as token-file:admin\): already being deleted \(HTTP 409\), still there/,
    );
    // Given the time, the same replay sees it gone and calls it undone.
    const late = await replay(15_000);
    assert.equal(late.result.undone, 1, late.log.join('\n'));
    assert.equal(late.result.terminating.length, 0);
    assert.deepEqual(pendingOf(readJournal(journal)), []);
  });
});
