import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AnyHunter } from '../../../src/core/hunter.js';
import { attackPathsHunter } from '../../../src/hunters/apiserver/attack-paths.js';
import { bindCredentialHunter, bindServerHunter } from '../../../src/hunters/apiserver/bind-credentials.js';
import { credentialAccessHunter } from '../../../src/hunters/apiserver/credential-access.js';
import { secretsHunter } from '../../../src/hunters/apiserver/secrets.js';
import { workloadsHunter } from '../../../src/hunters/apiserver/workloads.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import type { TraceRecord } from '../../../src/net/trace.js';
import { startTcpServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered, tokenIdentity } from '../lab-hunt.js';

// Block 127.156.4.0/24 (of correct5's 127.156.0.0/16): the default lab's API server behind a relay that
// holds back every chunk of its answers for a while, as a slow link does, hunted as its reader. The reads the
// workload checks, the attack paths and the secrets ranking share (run-reads.ts) run under the context of
// whichever asks first: here a second copy of the workload checks, listed first and given a deadline it
// cannot meet. Its cut reads must not stand for the consumers after it, which have time of their own: they
// read again and find what a run with no deadline finds, with no gap of theirs; and without a deadline
// nothing is read twice.

const RELAY = '127.156.4.50';
const LAB_BASE = '127.156.4.2';
const DELAY_MS = 60;

let lab: Lab;
let relay: TestServer;
const workdir = mkdtempSync(join(tmpdir(), 'kubeferret-run-reads-'));

before(async () => {
  lab = await startLab({ profile: 'default', base: LAB_BASE, nodes: 1, etcd: 'off' });
  relay = await startTcpServer(
    RELAY,
    (client) => {
      const upstream = net.connect({ host: LAB_BASE, port: PORTS.apiserver });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      // Every chunk of the answer reaches the client DELAY_MS later, in order.
      let last = Promise.resolve();
      upstream.on('data', (chunk: Buffer) => {
        last = last.then(
          () =>
            new Promise((resolve) =>
              setTimeout(() => {
                if (!client.destroyed) client.write(chunk);
                resolve();
              }, DELAY_MS),
            ),
        );
      });
      upstream.on('end', () => last.then(() => client.end()));
    },
    PORTS.apiserver,
  );
});

after(async () => {
  await relay?.close();
  await lab?.stop();
  rmSync(workdir, { recursive: true, force: true });
});

const survey: AnyHunter[] = [bindCredentialHunter, bindServerHunter, credentialAccessHunter];

interface Run {
  hunt: Hunt;
  /** Every request the hunters sent, from the run's trace. */
  trace: TraceRecord[];
}

/** The workload checks again, under another id and with a deadline the slow link does not let them meet. */
const hurried = { ...workloadsHunter, id: 'test-hurried-workloads', timeoutMs: 400 } as AnyHunter;

/** A hunt of the relay as the reader: the survey, `first`, then the workload checks, the paths, the secrets. */
async function hunt(name: string, first: AnyHunter[]): Promise<Run> {
  const tracePath = join(workdir, `${name}.jsonl`);
  const h = await huntDiscovered([{ host: RELAY, port: PORTS.apiserver }], {
    hunters: [...survey, ...first, workloadsHunter, attackPathsHunter, secretsHunter],
    identities: [tokenIdentity(lab, 'reader')],
    config: { requestTimeoutMs: 20_000, hunterTimeoutMs: 120_000, tracePath },
  });
  const trace = readFileSync(tracePath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceRecord);
  return { hunt: h, trace };
}

/** Each list read in full (its first page, of 250) and who read it, how it ended, for lists read more than once. */
const readTwice = (run: Run) => {
  const lists = run.trace.filter((r) => r.url.endsWith('?limit=250'));
  const urls = lists.map((r) => r.url);
  return lists
    .filter((r) => urls.indexOf(r.url) !== urls.lastIndexOf(r.url))
    .map((r) => `${new URL(r.url).pathname} ${r.hunter} ${r.status ?? 'unanswered'}`)
    .sort();
};
/** What was reported, whoever reported it (the hurried copy's findings are the workload checks' too). */
const findings = (run: Run) => [...new Set(run.hunt.findings.map((f) => `${f.kb} ${f.object}`))].sort();
const gapsOf = (run: Run, hunter: string) =>
  run.hunt.gaps
    .filter((g) => g.hunter === hunter)
    .map((g) => `${g.reason} ${g.subject}`)
    .sort();

describe('a shared read cut by one hunter’s deadline', () => {
  let quiet: Run;
  let cut: Run;
  before(async () => {
    quiet = await hunt('quiet', []);
    cut = await hunt('cut', [hurried]);
  });

  it('without a deadline every list is read once, for every consumer', () => {
    assert.deepEqual(readTwice(quiet), []);
    assert.deepEqual(gapsOf(quiet, workloadsHunter.id), []);
    assert.ok(findings(quiet).includes('KF-WORKLOAD-005 fleet/Pod/batch-worker'), 'found from the pods');
  });

  it('a read cut by one consumer’s deadline is made again by the next, and the cut stands for the first only', () => {
    const own = gapsOf(cut, hurried.id);
    assert.ok(own.includes(`deadline reader@${RELAY}:${PORTS.apiserver}`), own.join('\n'));
    // Each list read twice was cut for the hurried copy and read whole (200) by a consumer with time.
    const twice = readTwice(cut);
    assert.ok(twice.length > 0, 'the hurried copy was cut while reading a shared list');
    for (const path of new Set(twice.map((r) => r.split(' ')[0]))) {
      const of = twice.filter((r) => r.startsWith(`${path} `));
      assert.equal(of.length, 2, of.join('\n'));
      assert.ok(of.includes(`${path} ${hurried.id} unanswered`), of.join('\n'));
      assert.ok(
        of.some((r) => r.endsWith(' 200') && !r.includes(hurried.id)),
        of.join('\n'),
      );
    }
    // The others have the gaps (none) and the findings of the run without a deadline.
    for (const hunter of [workloadsHunter, attackPathsHunter, secretsHunter])
      assert.deepEqual(gapsOf(cut, hunter.id), gapsOf(quiet, hunter.id), hunter.id);
    assert.deepEqual(findings(cut), findings(quiet));
  });
});
