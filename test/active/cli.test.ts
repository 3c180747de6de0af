import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { requireComponent } from '../helpers/components.js';
import { activeHuntFlags, BIN, ROOT, startCli, waitFor, withHunters } from './cli-process.js';
import { type ObjectServer, startObjectServer } from './object-server.js';

// This file's loopback block: 127.70.3.0/24. The real command line: consent, the plan of a dry run,
// Ctrl-C during active hunting, a killed run and `kubeferret cleanup`.
const HOST = '127.70.3.2';
const THINGS = join(ROOT, 'test/active/fixtures/things.ts');

let server: ObjectServer;
let dir: string;
let n = 0;

before(async () => {
  server = await startObjectServer(HOST);
  dir = mkdtempSync(join(tmpdir(), 'kf-active-cli-'));
});
after(() => server.close());
beforeEach(() => {
  server.objects.clear();
  server.received.length = 0;
  delete server.delay.DELETE;
  server.deleteNeeds = undefined;
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  KF_TEST_HUNTERS: THINGS,
  KF_TEST_PORT: String(server.port),
  ...extra,
});

/** Runs the CLI to its end: the real executable (`bin`), or with the test hunters. */
function run(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; bin?: boolean; tty?: boolean; input?: string } = {},
) {
  return startCli(options.bin ? [BIN, ...args] : withHunters(args), { ...options, env: env(options.env) }).done;
}

const start = (args: string[], extra: Record<string, string> = {}) => startCli(withHunters(args), { env: env(extra) });

const applied = (journal: string) =>
  existsSync(journal) ? (readFileSync(journal, 'utf8').match(/"op":"applied"/g) ?? []).length : 0;

const target = () => `${HOST}:${server.port}`;
const journalFile = () => join(dir, `journal-${++n}.jsonl`);

describe('consent', () => {
  it('without a terminal, --active needs --yes: one line, exit 2, nothing sent', async () => {
    const r = await run(['hunt', target(), '--active']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^kubeferret: --active changes the cluster to prove impact: add --yes to consent .*\n$/);
    assert.equal(server.connections(), 0);
  });

  it('on a terminal it lists what may change and asks; "n" sends nothing, "y" goes ahead', async (t) => {
    if (!requireComponent(t, 'script', 'bsdutils')) return;
    const journal = journalFile();
    const args = ['hunt', target(), '--active', '--journal', journal, '--fail-on', 'none'];
    const before = server.connections();
    const no = await run(args, { tty: true, input: 'n\n', env: { TERM: 'dumb' } });
    assert.equal(no.code, 2, no.stdout);
    assert.match(
      no.stdout,
      /--active: kubeferret will change the cluster to prove what it finds, and undo every change/,
    );
    assert.match(
      no.stdout,
      /apiserver-active-objects\s+creates, patches and deletes a namespace, a role, a cluster role and a privileged pod/,
    );
    assert.match(no.stdout, /test-things\s+creates the things cli-a and cli-b on the test object server/);
    assert.match(no.stdout, new RegExp(`In scope \\(nothing else is contacted\\): ${target().replace(/\./g, '\\.')}`));
    assert.match(no.stdout, new RegExp(`Undo journal: ${journal}`));
    assert.match(no.stdout, /Run the active hunters\? \[y\/N\]/);
    assert.match(no.stdout, /active hunting not confirmed: nothing was sent/);
    assert.equal(server.connections(), before, 'not even a port scan');
    assert.equal(existsSync(journal), false);

    const yes = await run(args, { tty: true, input: 'y\n', env: { TERM: 'dumb' } });
    assert.equal(yes.code, 0, yes.stdout);
    assert.deepEqual(
      server.mutating().map((r) => `${r.method} ${r.url}`),
      ['POST /things', 'POST /things', 'DELETE /things/cli-b', 'DELETE /things/cli-a'],
    );
    assert.match(yes.stdout, /create thing cli-a on .* \(test-things as anonymous\) → undone/);
  });
});

describe('a dry run', () => {
  it('needs no consent, changes nothing and prints the exact requests it would send', async () => {
    const r = await run(['hunt', target(), '--active', '--dry-run', '--fail-on', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(server.mutating(), []);
    assert.match(
      r.stderr,
      /dry run: active hunters would send 2 request\(s\) that change state \(2 to undo afterwards\); none was sent/,
    );
    assert.match(
      r.stderr,
      new RegExp(
        `1\\. test-things as anonymous: create thing cli-a\\n\\s+POST ${server.url}/things\\n\\s+\\{"name":"cli-a"\\}\\n\\s+undo: DELETE ${server.url}/things/cli-a`,
      ),
    );
  });

  it('--dry-run and --journal need --active', async () => {
    assert.match(
      (await run(['hunt', target(), '--dry-run'])).stderr,
      /--dry-run shows the plan of active hunting; add --active/,
    );
    assert.match(
      (await run(['hunt', target(), '--journal', 'j'])).stderr,
      /--journal records the changes of active hunting; add --active/,
    );
  });
});

describe('the journal of a finished run', () => {
  it('goes under .kubeferret/journal/ and is removed once everything is undone', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kf-cwd-'));
    const r = await run(['hunt', target(), '--active', '--yes', '--fail-on', 'none'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.objects.size, 0);
    assert.deepEqual(readdirSync(join(cwd, '.kubeferret', 'journal')), []);
    assert.equal(statSync(join(cwd, '.kubeferret')).mode & 0o777, 0o700);
  });

  it('a journal with changes left is not overwritten by the next run', async () => {
    const journal = journalFile();
    writeFileSync(
      journal,
      `${[
        '{"journal":"kubeferret","version":1,"runId":"abcdefgh","started":"x","pid":1,"host":"elsewhere"}',
        `{"op":"change","id":"c1","time":"x","hunter":"h","identity":{"name":"anonymous"},"action":"create thing z","target":"${server.url}/things","apply":{"method":"POST","url":"${server.url}/things"},"undo":{"method":"DELETE","url":"${server.url}/things/z","description":"delete thing z"}}`,
      ].join('\n')}\n`,
    );
    const r = await run(['hunt', target(), '--active', '--yes', '--journal', journal]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /still holds 1 change\(s\) of an earlier run: run `kubeferret cleanup --journal .*` first/);
    assert.equal(server.connections() > 0 && server.mutating().length > 0, false);
  });
});

describe('Ctrl-C during active hunting', () => {
  it('stops the hunt, undoes every change before exiting, and a second Ctrl-C says clean-up is in progress', async () => {
    const journal = journalFile();
    const report = join(dir, `report-${n}.json`);
    // Each undo waits, so the second Ctrl-C surely lands while clean-up runs.
    server.delay.DELETE = 2000;
    const {
      child,
      output: out,
      done,
    } = start(['hunt', target(), ...activeHuntFlags(journal, report)], { KF_TEST_HOLD: '1' });
    await waitFor('two changes in the journal', () => applied(journal) === 2);
    assert.deepEqual([...server.objects.keys()], ['cli-a', 'cli-b']);
    child.kill('SIGINT');
    await waitFor('the first undo', () => server.received.some((r) => r.method === 'DELETE'));
    child.kill('SIGINT');
    const { code } = await done;
    assert.equal(code, 130, out());
    assert.equal(server.objects.size, 0, 'nothing left behind');
    assert.match(out(), /kubeferret: SIGINT: stopping; undoing the changes made so far before exiting \(journal .*\)/);
    assert.match(out(), /kubeferret: SIGINT: clean-up in progress: kubeferret exits once every change is undone/);
    const saved = JSON.parse(readFileSync(report, 'utf8'));
    assert.equal(saved.scan.interrupted, true);
    assert.deepEqual(
      saved.changes.map((c: { action: string; undone: boolean }) => [c.action, c.undone]),
      [
        ['create thing cli-a', true],
        ['create thing cli-b', true],
      ],
    );
  });
});

describe('a killed run and kubeferret cleanup', () => {
  it('cleanup waits for a live run, then puts back what a killed one left; a second cleanup finds nothing', async () => {
    const journal = journalFile();
    const { child, done } = start(['hunt', target(), '--active', '--yes', '--journal', journal], { KF_TEST_HOLD: '1' });
    await waitFor('two changes in the journal', () => applied(journal) === 2);

    const early = await run(['cleanup', '--journal', journal], { bin: true });
    assert.equal(early.code, 2, early.stdout);
    assert.match(early.stderr, /run [a-z2-7]{8} \(pid \d+\) is still running and undoes its own changes/);

    child.kill('SIGKILL');
    await done;
    assert.deepEqual([...server.objects.keys()], ['cli-a', 'cli-b'], 'the killed run left its changes');
    assert.equal(statSync(journal).mode & 0o777, 0o600);

    const r = await run(['cleanup', '--journal', journal], { bin: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.objects.size, 0);
    assert.match(
      r.stdout,
      /undoing 2 change\(s\), newest first\n {2}undone: delete thing cli-b \(as anonymous\)\n {2}undone: delete thing cli-a/,
    );
    assert.match(r.stdout, /^2 undone \(journal /m);

    const again = await run(['cleanup', '--journal', journal], { bin: true });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to undo: every change of run [a-z2-7]{8} in .* was undone/);
  });

  it('a change made with a token is undone by cleanup only when given the token again (it is not journalled)', async () => {
    const token = 'kf-cli-token-7c9e6679f2a04e1b';
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${token}\n`);
    server.deleteNeeds = `Bearer ${token}`;
    const journal = journalFile();
    const { child, done } = start(
      ['hunt', target(), '--active', '--yes', '--journal', journal, '--token-file', tokenFile],
      {
        KF_TEST_HOLD: '1',
        KF_TEST_AS: `token-file:${tokenFile}`,
      },
    );
    await waitFor('two changes in the journal', () => applied(journal) === 2);
    child.kill('SIGKILL');
    await done;
    assert.ok(!readFileSync(journal, 'utf8').includes(token), 'the journal holds no token');
    assert.equal(server.mutating()[0].authorization, `Bearer ${token}`);

    const without = await run(['cleanup', '--journal', journal], { bin: true });
    assert.equal(without.code, 3, without.stdout);
    assert.match(
      without.stdout,
      /not undone: delete thing cli-b: made by token-file:.*, whose secret is not journalled/,
    );
    assert.equal(server.objects.size, 2);

    const withToken = await run(['cleanup', '--journal', journal, '--token-file', tokenFile], { bin: true });
    assert.equal(withToken.code, 0, withToken.stdout + withToken.stderr);
    assert.match(withToken.stdout, /undone: delete thing cli-b \(as token-file:/);
    assert.equal(server.objects.size, 0);
  });

  it('cleanup names the journals it could replay, and refuses files that are not journals', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kf-cwd-'));
    const none = await run(['cleanup'], { bin: true, cwd });
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /name the journal to replay with --journal FILE \(none in .kubeferret\/journal holds changes to undo\)/,
    );
    const bogus = join(dir, 'bogus.jsonl');
    writeFileSync(bogus, 'hello\n');
    const bad = await run(['cleanup', '--journal', bogus], { bin: true });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^kubeferret: .*bogus\.jsonl is not a kubeferret journal/);
    const missing = await run(['cleanup', '--journal', join(dir, 'missing.jsonl')], { bin: true });
    assert.match(missing.stderr, /cannot read journal .*missing\.jsonl: no such file/);
  });
});
