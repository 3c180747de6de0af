import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { pendingOf, readJournal } from '../../src/active/journal.js';
import { formatPlan } from '../../src/active/plan.js';
import type { ChangeIdentity, ChangeOutcome } from '../../src/core/changes.js';
import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import { type AnyHunter, defineHunter, type HuntContext } from '../../src/core/hunter.js';
import { redactorFor, secretFingerprint } from '../../src/core/redact.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { runHunt } from '../../src/run/hunt.js';
import { type ObjectServer, startObjectServer, thingChange } from './object-server.js';

// This file's loopback block: 127.70.1.0/24. The change API end to end through runHunt: a real engine, a
// real network layer, and a small REST store standing in for a cluster.
const HOST = '127.70.1.2';
const SECRET = 'kf-test-token-5b0d41c7a9e2f3';

let server: ObjectServer;
let dir: string;
let n = 0;

before(async () => {
  server = await startObjectServer(HOST);
  dir = mkdtempSync(join(tmpdir(), 'kf-changes-'));
});
after(() => server.close());
beforeEach(() => {
  server.objects.clear();
  server.received.length = 0;
  for (const k of Object.keys(server.force)) delete server.force[k as keyof ObjectServer['force']];
  for (const k of Object.keys(server.hang)) delete server.hang[k as keyof ObjectServer['hang']];
  for (const k of Object.keys(server.delay)) delete server.delay[k as keyof ObjectServer['delay']];
});

const base = () => server.url;

function create(ctx: HuntContext, name: string, identity?: ChangeIdentity) {
  return ctx.change(thingChange(base(), name, identity));
}

function patch(ctx: HuntContext, name: string, partOf?: ChangeOutcome) {
  const url = `${base()}/things/${name}`;
  return ctx.change({
    action: `patch thing ${name}`,
    target: url,
    identity: { name: 'anonymous' },
    apply: { method: 'PATCH', url, body: '{"patched":true}' },
    undo: { method: 'PATCH', url, body: '{"patched":false}', description: `unpatch thing ${name}` },
    partOf,
  });
}

function hunter(
  hunt: (ctx: HuntContext) => Promise<void>,
  mode: 'active' | 'passive' = 'active',
  timeoutMs?: number,
): AnyHunter {
  return defineHunter({
    id: `test-${mode}-${++n}`,
    title: 'test hunter',
    mode,
    on: 'PortOpen',
    when: (e) => e.port === server.port,
    timeoutMs,
    hunt: (_e, ctx) => hunt(ctx),
  });
}

/** A passive hunter that publishes a credential with a known secret, as a vantage point would. */
const credentialSource = defineHunter({
  id: 'test-credential-source',
  title: 'publishes a credential',
  mode: 'passive',
  on: 'PortOpen',
  when: (e) => e.port === server.port,
  async hunt(e, ctx) {
    ctx.publish('Credential', {
      name: 'token-file:/tmp/t',
      source: 'token',
      apiServer: { host: e.host, port: e.port, scheme: 'http' },
      secret: { token: SECRET },
    });
  },
});

function config(extra: Partial<HuntConfig> = {}): HuntConfig {
  const journalPath = join(dir, `journal-${++n}.jsonl`);
  server.journal = journalPath;
  return defaultConfig({
    targets: [parseTarget(`${HOST}:${server.port}`)],
    active: true,
    yes: true,
    journalPath,
    requestTimeoutMs: 2000,
    ...extra,
  });
}

const journalLines = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('the change API', () => {
  it('journals each undo before the change is sent, undoes newest first when the hunter ends, lists every change', async () => {
    let created: ChangeOutcome | undefined;
    const cfg = config();
    const result = await runHunt(cfg, [
      hunter(async (ctx) => {
        created = await create(ctx, 'a');
        await create(ctx, 'b');
        await patch(ctx, 'b');
      }),
    ]);
    assert.equal(created?.state, 'applied');
    assert.equal(server.objects.size, 0, 'nothing left on the server');
    const mutating = server.mutating().map((r) => `${r.method} ${r.url} ${r.body}`);
    assert.deepEqual(mutating, [
      'POST /things {"name":"a"}',
      'POST /things {"name":"b"}',
      'PATCH /things/b {"patched":true}',
      'PATCH /things/b {"patched":false}',
      'DELETE /things/b ',
      'DELETE /things/a ',
    ]);
    for (const r of server.mutating().slice(0, 3)) {
      assert.match(r.journalAtArrival, /"op":"change"/, 'the journal existed when the change arrived');
    }
    // Each change's own undo was on disk when it arrived, not just an earlier one.
    assert.match(server.mutating()[1].journalAtArrival, /"url":"http:\/\/127\.70\.1\.2:\d+\/things\/b"/);
    assert.deepEqual(
      result.changes.map((c) => [c.action, c.undo, c.undone, c.identity]),
      [
        ['create thing a', 'delete thing a', true, 'anonymous'],
        ['create thing b', 'delete thing b', true, 'anonymous'],
        ['patch thing b', 'unpatch thing b', true, 'anonymous'],
      ],
    );
    assert.equal(result.journal?.pending, 0);
    assert.ok(existsSync(cfg.journalPath!), 'a journal the user named is kept');
    assert.equal(statSync(cfg.journalPath!).mode & 0o777, 0o600);
    const lines = journalLines(cfg.journalPath!);
    assert.equal(lines[0].journal, 'kubeferret');
    assert.equal(lines[0].runId, result.runId);
    assert.deepEqual(
      lines.slice(1).map((l) => l.op),
      ['change', 'applied', 'change', 'applied', 'change', 'applied', 'undone', 'undone', 'undone', 'end'],
    );
    assert.ok(lines.filter((l) => l.op === 'undone').every((l) => l.by === 'hunter-end'));
    assert.equal(pendingOf(readJournal(cfg.journalPath!)).length, 0);
  });

  it('authenticates with the credential it names, and the journal keeps only its name', async () => {
    const cfg = config();
    const result = await runHunt(cfg, [
      credentialSource,
      hunter(async (ctx) => {
        await create(ctx, 'c', { name: 'token-file:/tmp/t', credential: 'token-file:/tmp/t' });
      }),
    ]);
    assert.equal(result.changes[0]?.undone, true);
    assert.deepEqual(
      server.mutating().map((r) => [r.method, r.authorization]),
      [
        ['POST', `Bearer ${SECRET}`],
        ['DELETE', `Bearer ${SECRET}`],
      ],
    );
    const text = readFileSync(cfg.journalPath!, 'utf8');
    assert.ok(!text.includes(SECRET), 'no secret in the journal');
    assert.match(
      text,
      /"identity":\{"name":"token-file:\/tmp\/t","credential":"token-file:\/tmp\/t","source":"token"\}/,
    );
  });

  it('a change the server refuses is neither listed nor undone', async () => {
    server.force.POST = 403;
    let outcome: ChangeOutcome | undefined;
    const cfg = config();
    const result = await runHunt(cfg, [
      hunter(async (ctx) => {
        outcome = await create(ctx, 'd');
      }),
    ]);
    assert.equal(outcome?.state, 'refused');
    assert.equal(outcome?.response?.status, 403);
    assert.deepEqual(result.changes, []);
    assert.deepEqual(
      server.mutating().map((r) => r.method),
      ['POST'],
    );
    assert.deepEqual(
      journalLines(cfg.journalPath!)
        .slice(1)
        .map((l) => [l.op, l.status]),
      [
        ['change', undefined],
        ['refused', 403],
        ['end', undefined],
      ],
    );
  });

  it('a hunter that fails after a change: the change is undone when it ends, the failure is reported', async () => {
    const result = await runHunt(config(), [
      hunter(async (ctx) => {
        await create(ctx, 'e');
        throw new Error('hunter broke');
      }),
    ]);
    assert.equal(server.objects.size, 0);
    assert.equal(result.changes[0]?.undone, true);
    assert.match(result.problems[0]?.message ?? '', /hunter broke/);
  });

  it('a hunter that times out: its change is undone, and it cannot make more', async () => {
    let late: unknown;
    const result = await runHunt(config(), [
      hunter(
        async (ctx) => {
          await create(ctx, 'f');
          await new Promise((r) => setTimeout(r, 1500));
          late = await create(ctx, 'g').catch((err: Error) => err.message);
        },
        'active',
        500,
      ),
    ]);
    assert.equal(result.problems[0]?.kind, 'timeout');
    assert.deepEqual([...server.objects.keys()], []);
    await new Promise((r) => setTimeout(r, 1500));
    assert.match(String(late), /not made, the hunter's run is over/);
    assert.deepEqual(
      server.mutating().map((r) => `${r.method} ${r.url}`),
      ['POST /things', 'DELETE /things/f'],
    );
  });

  it('a change whose answer never came counts as made: it is undone, and 404 counts as undone', async () => {
    server.hang.POST = true;
    const result = await runHunt(config({ requestTimeoutMs: 400 }), [
      hunter(async (ctx) => {
        await create(ctx, 'h');
      }),
    ]);
    assert.match(result.problems[0]?.message ?? '', /timed out|no answer/);
    assert.deepEqual(
      result.changes.map((c) => [c.action, c.undone]),
      [['create thing h', true]],
    );
    assert.deepEqual(
      server.mutating().map((r) => r.method),
      ['POST', 'DELETE'],
    );
  });

  it('an undo that fails is reported with its reason, and the journal keeps the change for cleanup', async () => {
    server.force.DELETE = 403;
    const cfg = config();
    const result = await runHunt(cfg, [hunter((ctx) => create(ctx, 'i').then(() => undefined))]);
    assert.equal(result.changes[0]?.undone, false);
    assert.equal(result.changes[0]?.undoError, 'HTTP 403: forced 403 for DELETE');
    assert.equal(result.journal?.pending, 1);
    const state = readJournal(cfg.journalPath!);
    assert.deepEqual(
      pendingOf(state).map((e) => [e.change.action, e.state, e.error]),
      [['create thing i', 'failed', 'HTTP 403: forced 403 for DELETE']],
    );
    // Tried by the hunter's end and again by the run's end.
    assert.equal(server.mutating().filter((r) => r.method === 'DELETE').length, 2);
  });

  it('stopping the run aborts its hunters, refuses further changes and undoes what was made', async () => {
    const controller = new AbortController();
    let refused: unknown;
    const result = await runHunt(
      config(),
      [
        hunter(async (ctx) => {
          await create(ctx, 'j');
          controller.abort();
          await new Promise((r) => setTimeout(r, 100));
          refused = await create(ctx, 'k').catch((err: Error) => err.message);
        }),
      ],
      { signal: controller.signal },
    );
    assert.equal(result.interrupted, true);
    assert.match(String(refused), /not made/);
    assert.equal(server.objects.size, 0);
    assert.deepEqual(
      result.changes.map((c) => [c.action, c.undone]),
      [['create thing j', true]],
    );
  });

  it('a change to an object is undone with it: no request of its own unless the object stays', async () => {
    const cfg = config();
    const result = await runHunt(cfg, [
      hunter(async (ctx) => {
        const made = await create(ctx, 'o');
        await patch(ctx, 'o', made);
        assert.equal((await made.undo()).state, 'undone');
      }),
    ]);
    assert.deepEqual(
      server.mutating().map((r) => r.method),
      ['POST', 'PATCH', 'DELETE'],
    );
    assert.deepEqual(
      result.changes.map((c) => [c.action, c.undone]),
      [
        ['create thing o', true],
        ['patch thing o', true],
      ],
    );
    assert.match(readFileSync(cfg.journalPath!, 'utf8'), /"op":"undone","id":"c2","status":0,"by":"with c1"/);

    // The object cannot be deleted: the patch is taken back on its own.
    server.received.length = 0;
    server.force.DELETE = 403;
    const stuck = await runHunt(config(), [
      hunter(async (ctx) => {
        await patch(ctx, 'p', await create(ctx, 'p'));
      }),
    ]);
    assert.deepEqual(
      server.mutating().map((r) => `${r.method} ${r.body}`),
      ['POST {"name":"p"}', 'PATCH {"patched":true}', 'DELETE ', 'PATCH {"patched":false}', 'DELETE '],
    );
    assert.deepEqual(
      stuck.changes.map((c) => [c.action, c.undone]),
      [
        ['create thing p', false],
        ['patch thing p', true],
      ],
    );
  });

  it('passive hunters cannot change anything', async () => {
    const result = await runHunt(config(), [hunter((ctx) => create(ctx, 'l').then(() => undefined), 'passive')]);
    assert.deepEqual(server.mutating(), []);
    assert.match(result.problems[0]?.message ?? '', /cannot change anything: only active hunters/);
  });

  it('active hunters do not run without --active', async () => {
    const result = await runHunt(config({ active: false }), [hunter((ctx) => create(ctx, 'm').then(() => undefined))]);
    assert.deepEqual(server.mutating(), []);
    assert.deepEqual(result.engine.huntersRun, []);
  });

  it('a dry run sends nothing that changes state and records the exact requests in a plan', async () => {
    const cfg = config({ dryRun: true });
    const states: string[] = [];
    const result = await runHunt(cfg, [
      hunter(async (ctx) => {
        const made = await create(ctx, 'n');
        states.push(made.state, (await patch(ctx, 'n')).state, (await made.undo()).state);
        const ran = await ctx.change({
          action: 'run a command',
          target: `${base()}/run`,
          identity: { name: 'anonymous' },
          apply: { method: 'POST', url: `${base()}/run?cmd=id` },
          undo: null,
        });
        states.push(ran.state);
      }),
    ]);
    assert.deepEqual(states, ['planned', 'planned', 'planned', 'planned']);
    assert.deepEqual(server.mutating(), []);
    assert.deepEqual(result.changes, []);
    assert.equal(existsSync(cfg.journalPath!), false, 'a dry run writes no journal');
    assert.deepEqual(
      result.plan.map((p) => [p.action, p.request.method, p.request.url, p.request.body, p.undo?.method]),
      [
        ['create thing n', 'POST', `${base()}/things`, '{"name":"n"}', 'DELETE'],
        ['patch thing n', 'PATCH', `${base()}/things/n`, '{"patched":true}', 'PATCH'],
        ['run a command', 'POST', `${base()}/run?cmd=id`, undefined, undefined],
      ],
    );
    const text = formatPlan(result.plan, redactorFor(result.events));
    assert.match(text, /would send 3 request\(s\) that change state \(2 to undo afterwards\); none was sent/);
    assert.match(
      text,
      new RegExp(`POST ${base()}/things\\n\\s+\\{"name":"n"\\}\\n\\s+undo: DELETE ${base()}/things/n`),
    );
  });

  it("a dry run's plan names no secret of the run, even where a planned request carries one", async () => {
    const result = await runHunt(config({ dryRun: true }), [
      credentialSource,
      hunter(async (ctx) => {
        // A token found during the hunt, carried in the URL and body of a planned change.
        await ctx.change({
          action: 'create thing with a found token',
          target: `${base()}/things`,
          identity: { name: 'anonymous' },
          apply: { method: 'POST', url: `${base()}/things?t=${SECRET}`, body: JSON.stringify({ name: SECRET }) },
          undo: { method: 'DELETE', url: `${base()}/things/${SECRET}`, description: 'delete it' },
        });
      }),
    ]);
    assert.equal(result.plan.length, 1);
    const text = formatPlan(result.plan, redactorFor(result.events));
    assert.ok(!text.includes(SECRET), text);
    assert.equal(text.split(secretFingerprint(SECRET)).length - 1, 3, text);
    assert.deepEqual(server.mutating(), []);
  });

  it('an action that leaves nothing behind is sent, but neither journalled nor listed', async () => {
    const cfg = config();
    let state = '';
    const result = await runHunt(cfg, [
      hunter(async (ctx) => {
        const ran = await ctx.change({
          action: 'run a command',
          target: `${base()}/things`,
          identity: { name: 'anonymous' },
          apply: { method: 'POST', url: `${base()}/things`, body: '{"name":"transient"}' },
          undo: null,
        });
        state = ran.state;
      }),
    ]);
    assert.equal(state, 'applied');
    assert.deepEqual(result.changes, []);
    assert.equal(existsSync(cfg.journalPath!), false);
    assert.equal(result.journal, undefined);
  });
});
