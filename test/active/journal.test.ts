import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkJournalPath, JournalWriter, pendingJournals, pendingOf, readJournal } from '../../src/active/journal.js';
import { etcdPrefix, newRunId, objectName, runLabels } from '../../src/active/naming.js';
import { UsageError } from '../../src/core/errors.js';

// No network: the journal file and the names of what a run creates.

const dir = mkdtempSync(join(tmpdir(), 'kf-journal-'));
let n = 0;
const fresh = () => join(dir, `j${++n}.jsonl`);

function change(id: string, name: string) {
  return {
    op: 'change' as const,
    id,
    time: new Date().toISOString(),
    hunter: 'h',
    identity: { name: 'anonymous' },
    action: `create ${name}`,
    target: 'http://127.0.0.1:1/x',
    apply: { method: 'POST' as const, url: 'http://127.0.0.1:1/x' },
    undo: { method: 'DELETE' as const, url: `http://127.0.0.1:1/x/${name}`, description: `delete ${name}` },
  };
}

function written(records: Parameters<JournalWriter['append']>[0][]): string {
  const path = fresh();
  const w = new JournalWriter(path, JournalWriter.header('abcdefgh'));
  for (const r of records) w.append(r);
  w.close();
  return path;
}

describe('the undo journal', () => {
  it('is created 0600 on the first record only, header first, and reads back with each change state', () => {
    const path = fresh();
    const w = new JournalWriter(path, JournalWriter.header('abcdefgh'));
    assert.throws(() => statSync(path), /ENOENT/, 'no file before a change');
    w.append(change('c1', 'a'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    w.append({ op: 'applied', id: 'c1', status: 201 });
    w.append(change('c2', 'b'));
    w.append({ op: 'refused', id: 'c2', status: 403 });
    w.append(change('c3', 'c'));
    w.append({ op: 'applied', id: 'c3', status: 201 });
    w.append(change('c4', 'd'));
    w.append({ op: 'undone', id: 'c3', status: 200, by: 'hunter-end' });
    w.append(change('c5', 'e'));
    w.append({ op: 'applied', id: 'c5', status: 201 });
    w.append({ op: 'undo-failed', id: 'c5', error: 'HTTP 403: no', by: 'run-end' });
    w.close();
    const state = readJournal(path);
    assert.equal(state.header.runId, 'abcdefgh');
    assert.equal(state.header.pid, process.pid);
    assert.equal(state.ended, false);
    assert.deepEqual(
      state.entries.map((e) => [e.change.id, e.state]),
      [
        ['c1', 'applied'],
        ['c2', 'refused'],
        ['c3', 'undone'],
        ['c4', 'pending'],
        ['c5', 'failed'],
      ],
    );
    // What may still be in place, newest first: made, sent without an answer, or failed to undo.
    assert.deepEqual(
      pendingOf(state).map((e) => e.change.id),
      ['c5', 'c4', 'c1'],
    );
    assert.equal(pendingOf(state)[0].error, 'HTTP 403: no');
  });

  it('an existing file is made private when a run takes it over', () => {
    const path = fresh();
    writeFileSync(path, '', { mode: 0o644 });
    chmodSync(path, 0o644);
    const w = new JournalWriter(path, JournalWriter.header('abcdefgh'));
    w.append(change('c1', 'a'));
    w.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('a line torn by a kill mid-write is ignored; damage anywhere else is a one-line error', () => {
    const path = written([change('c1', 'a')]);
    appendFileSync(path, '{"op":"appl');
    assert.deepEqual(
      readJournal(path).entries.map((e) => e.state),
      ['pending'],
    );

    const broken = written([change('c1', 'a'), { op: 'applied', id: 'c1', status: 201 }]);
    const lines = readFileSync(broken, 'utf8').split('\n');
    lines[1] = 'garbage';
    writeFileSync(broken, lines.join('\n'));
    assert.throws(
      () => readJournal(broken),
      (e: Error) => e instanceof UsageError && /line 2: not JSON/.test(e.message),
    );

    const unknown = written([{ op: 'applied', id: 'c9', status: 201 }]);
    assert.throws(() => readJournal(unknown), /line 2: record for unknown change c9/);

    const wrongShape = fresh();
    writeFileSync(wrongShape, `${JSON.stringify(JournalWriter.header('abcdefgh'))}\n{"op":"change","id":"c1"}\n`);
    assert.throws(() => readJournal(wrongShape), /line 2: not a journal record/);
  });

  it('refuses files that are not journals, and names missing ones', () => {
    const foreign = fresh();
    writeFileSync(foreign, '{"hello":"world"}\n');
    assert.throws(() => readJournal(foreign), /is not a kubeferret journal/);
    const empty = fresh();
    writeFileSync(empty, '');
    assert.throws(() => readJournal(empty), /is not a kubeferret journal/);
    assert.throws(() => readJournal(join(dir, 'missing.jsonl')), /cannot read journal .*missing\.jsonl: no such file/);
  });

  it('checks before a run that the journal can be written and replaces no journal with changes left', () => {
    const pending = written([change('c1', 'a'), { op: 'applied', id: 'c1', status: 201 }]);
    assert.throws(
      () => checkJournalPath(pending),
      /still holds 1 change\(s\) of an earlier run: run `kubeferret cleanup --journal .*` first/,
    );
    const settled = written([change('c1', 'a'), { op: 'undone', id: 'c1', status: 200, by: 'run-end' }]);
    checkJournalPath(settled);
    checkJournalPath(join(dir, 'new', 'deeper', 'j.jsonl'));
    assert.throws(() => checkJournalPath(dir), /is a directory: name a file/);
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    if (process.getuid?.() !== 0) {
      assert.throws(
        () => checkJournalPath(join(locked, 'sub', 'j.jsonl')),
        /cannot write the journal in .*: permission denied/,
      );
    }
  });

  it('lists the journals of a directory that still hold changes', () => {
    const where = mkdtempSync(join(tmpdir(), 'kf-journals-'));
    const keep = (name: string, records: Parameters<JournalWriter['append']>[0][]) => {
      const w = new JournalWriter(join(where, name), JournalWriter.header('abcdefgh'));
      for (const r of records) w.append(r);
      w.close();
    };
    keep('left.jsonl', [change('c1', 'a'), { op: 'applied', id: 'c1', status: 201 }]);
    keep('done.jsonl', [change('c1', 'a'), { op: 'undone', id: 'c1', status: 404, by: 'cleanup' }]);
    writeFileSync(join(where, 'other.jsonl'), 'not a journal\n');
    assert.deepEqual(pendingJournals(where), [join(where, 'left.jsonl')]);
    assert.deepEqual(pendingJournals(join(where, 'nope')), []);
  });
});

describe('names of what a run creates', () => {
  it('run ids and object names are valid Kubernetes names, unique per identity and server', () => {
    const ids = new Set(Array.from({ length: 50 }, newRunId));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, /^[a-z2-7]{8}$/);
    const a = objectName('abcdefgh', 'anonymous', '127.0.0.2:6443');
    const b = objectName('abcdefgh', 'insecure-port', '127.0.0.2:8080');
    assert.match(a, /^kubeferret-abcdefgh-[0-9a-f]{6}$/);
    assert.notEqual(a, b);
    assert.equal(a, objectName('abcdefgh', 'anonymous', '127.0.0.2:6443'));
    assert.ok(a.length <= 63);
    assert.deepEqual(runLabels('abcdefgh'), {
      'app.kubernetes.io/managed-by': 'kubeferret',
      'kubeferret/run-id': 'abcdefgh',
    });
    assert.equal(etcdPrefix('abcdefgh'), '/kubeferret/abcdefgh/');
  });
});
