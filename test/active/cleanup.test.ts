import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { cleanupScope, replayJournal, writerAlive } from '../../src/active/cleanup.js';
import { JournalWriter, pendingOf, readJournal } from '../../src/active/journal.js';
import { ActiveRun } from '../../src/active/recorder.js';
import type { ChangeSpec } from '../../src/core/changes.js';
import { Network } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';
import { type ObjectServer, startObjectServer, thingChange } from './object-server.js';

// This file's loopback block: 127.70.2.0/24. A run that dies leaves a journal; a replay in another
// process, with nothing but the journal and the identities given again, puts everything back.
const HOST = '127.70.2.2';
const FOUND = 'kf-found-token-d41d8cd98f00b204';
const ADMIN = 'kf-admin-token-e3b0c44298fc1c14';

let server: ObjectServer;
let dir: string;
let n = 0;

before(async () => {
  server = await startObjectServer(HOST);
  dir = mkdtempSync(join(tmpdir(), 'kf-cleanup-'));
});
after(() => server.close());
beforeEach(() => {
  server.objects.clear();
  server.received.length = 0;
  server.deleteNeeds = undefined;
});

function network(): Network {
  return new Network({
    scope: new Scope([]),
    trace: new Trace(),
    connectTimeoutMs: 1000,
    requestTimeoutMs: 2000,
    maxBodyBytes: 1024 * 1024,
  });
}

/** Makes changes the way a run does, then "dies": nothing is undone, the journal stays as it was. */
async function killedRun(specs: ((made: Map<string, unknown>) => ChangeSpec)[]): Promise<string> {
  const path = join(dir, `killed-${++n}.jsonl`);
  const net = network();
  net.scope.addText(HOST);
  const run = new ActiveRun({
    runId: 'abcdefgh',
    dryRun: false,
    journalPath: path,
    keepJournal: true,
    network: net,
    secretOf: (identity) => (identity.credential === 'found:ns/s' ? { secret: { token: FOUND }, source: 'found' } : {}),
  });
  const session = run.open('test-hunter', new AbortController().signal);
  const made = new Map<string, unknown>();
  for (const spec of specs) made.set(spec(made).action, await session.change(spec(made)));
  await net.close();
  return path;
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('replaying a journal left by a killed run', () => {
  it('undoes what is left newest first, records it, and a second replay has nothing to do', async () => {
    const path = await killedRun([() => thingChange(server.url, 'a'), () => thingChange(server.url, 'b')]);
    assert.deepEqual([...server.objects.keys()], ['a', 'b']);
    server.objects.delete('a');
    const state = readJournal(path);
    assert.deepEqual(
      pendingOf(state).map((e) => e.change.id),
      ['c2', 'c1'],
    );
    const net = new Network({ ...network().options, scope: cleanupScope(pendingOf(state)) });
    const log: string[] = [];
    const result = await replayJournal(state, net, [], (l) => log.push(l));
    await net.close();
    assert.deepEqual(
      { undone: result.undone, gone: result.gone, failed: result.failed.length },
      { undone: 1, gone: 1, failed: 0 },
    );
    assert.equal(server.objects.size, 0);
    assert.deepEqual(log, ['undone: delete thing b (as anonymous)', 'already gone: delete thing a']);
    assert.deepEqual(
      lines(path)
        .slice(-3)
        .map((l) => [l.op, l.id, l.status, l.by]),
      [
        ['undone', 'c2', 200, 'cleanup as anonymous'],
        ['undone', 'c1', 404, 'cleanup as anonymous'],
        ['end', undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(pendingOf(readJournal(path)), []);
  });

  it('a change to an object waits for the object: removing it undoes both', async () => {
    const path = await killedRun([
      () => thingChange(server.url, 'c'),
      (made) => ({
        action: 'patch thing c',
        target: `${server.url}/things/c`,
        identity: { name: 'anonymous' },
        apply: { method: 'PATCH', url: `${server.url}/things/c`, body: '{"x":1}' },
        undo: { method: 'PATCH', url: `${server.url}/things/c`, body: '{"x":0}', description: 'unpatch thing c' },
        partOf: made.get('create thing c') as never,
      }),
    ]);
    server.received.length = 0;
    const state = readJournal(path);
    const log: string[] = [];
    const net = new Network({ ...network().options, scope: cleanupScope(pendingOf(state)) });
    const result = await replayJournal(state, net, [], (l) => log.push(l));
    await net.close();
    assert.deepEqual(
      server.mutating().map((r) => r.method),
      ['DELETE'],
    );
    // Counted under its own name, not as "already gone".
    assert.deepEqual(
      { undone: result.undone, gone: result.gone, withObject: result.withObject },
      { undone: 1, gone: 0, withObject: 1 },
    );
    assert.deepEqual(log, ['undone: delete thing c (as anonymous)', 'undone with its object: unpatch thing c']);
  });

  it('a found token is not journalled: another identity given to cleanup may undo its change', async () => {
    server.deleteNeeds = `Bearer ${ADMIN}`;
    const path = await killedRun([
      () => thingChange(server.url, 'd', { name: 'found:ns/s', credential: 'found:ns/s' }),
    ]);
    assert.equal(server.received[0].authorization, `Bearer ${FOUND}`);
    assert.ok(!readFileSync(path, 'utf8').includes(FOUND), 'the journal holds no secret');

    const state = readJournal(path);
    const net = new Network({ ...network().options, scope: cleanupScope(pendingOf(state)) });
    const without = await replayJournal(state, net, [], () => undefined);
    assert.match(without.failed[0]?.error ?? '', /made by found:ns\/s, whose secret is not journalled: give it/);
    assert.equal(server.objects.size, 1);

    const again = readJournal(path);
    assert.equal(pendingOf(again).length, 1, 'a failed undo stays pending');
    const log: string[] = [];
    const withAdmin = await replayJournal(
      again,
      net,
      [
        { name: 'reader', secret: { token: 'kf-reader-token-0000' } },
        { name: 'admin', secret: { token: ADMIN } },
      ],
      (l) => log.push(l),
    );
    await net.close();
    assert.equal(withAdmin.undone, 1);
    assert.equal(server.objects.size, 0);
    assert.deepEqual(log, ['undone: delete thing d (as admin)']);
    assert.deepEqual(
      server
        .mutating()
        .filter((r) => r.method === 'DELETE')
        .map((r) => r.authorization),
      [`Bearer kf-reader-token-0000`, `Bearer ${ADMIN}`],
    );
  });

  it('an undo the server refuses stays pending, with its reason', async () => {
    const path = await killedRun([() => thingChange(server.url, 'e')]);
    server.deleteNeeds = 'Bearer nobody-has-this';
    const state = readJournal(path);
    const net = new Network({ ...network().options, scope: cleanupScope(pendingOf(state)) });
    const result = await replayJournal(state, net, [], () => undefined);
    await net.close();
    assert.equal(result.failed[0]?.error, 'HTTP 403: forbidden');
    assert.equal(pendingOf(readJournal(path))[0]?.error, 'HTTP 403: forbidden');
  });

  it('contacts only the hosts the journal names', async () => {
    const path = await killedRun([() => thingChange(server.url, 'f')]);
    const scope = cleanupScope(pendingOf(readJournal(path)));
    assert.deepEqual(scope.labels(), [HOST]);
    assert.equal(scope.contains('127.70.2.3'), false);
  });

  it('knows when the run that wrote a journal is still alive', async () => {
    const sleeper = spawn('sleep', ['30']);
    const path = join(dir, 'alive.jsonl');
    const writer = new JournalWriter(path, { ...JournalWriter.header('abcdefgh'), pid: sleeper.pid! });
    writer.append({ ...lines(await killedRun([() => thingChange(server.url, 'g')]))[1] });
    writer.close();
    assert.equal(writerAlive(readJournal(path)), true);
    // A run that finished its clean-up is not waited for, even if its process lives on.
    writeFileSync(path, `${readFileSync(path, 'utf8')}{"op":"end","time":"x","pending":1}\n`);
    assert.equal(writerAlive(readJournal(path)), false);
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    writeFileSync(path, readFileSync(path, 'utf8').split('\n').slice(0, -2).join('\n').concat('\n'));
    assert.equal(writerAlive(readJournal(path)), false, 'a dead writer');
  });
});
