import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { type Lab, startLab } from '../../src/lab/index.js';

// This file's loopback block: 127.73.0.0/16. The real command line hunts a lab started here; the run is
// interrupted (SIGINT) or killed (SIGKILL) while a change is in place, and the lab must end as it began.
const BASE = '127.73.0.2';
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/kubeferret.js');
const WITH_HUNTERS = join(ROOT, 'test/active/fixtures/cli-with-hunters.ts');
const LAB_HUNTERS = join(ROOT, 'test/active/fixtures/lab.ts');

let lab: Lab;
let dir: string;
let n = 0;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: BASE, nodes: 2 });
  dir = mkdtempSync(join(tmpdir(), 'kf-lab-interrupt-'));
});
after(() => lab.stop());

function spawnCli(argv: string[]): { child: ChildProcess; output: () => string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KF_TEST_HUNTERS: LAB_HUNTERS,
    KF_TEST_LAB_HOSTS: JSON.stringify(lab.hosts),
  };
  const child = spawn(process.execPath, argv, { cwd: ROOT, env });
  let text = '';
  child.stdout?.on('data', (b: Buffer) => {
    text += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    text += b.toString();
  });
  return { child, output: () => text };
}

function hunt(journal: string, report: string) {
  return spawnCli([
    '--import',
    'tsx',
    WITH_HUNTERS,
    'hunt',
    `${BASE}-127.73.0.4`,
    '--ports',
    '2379,6443,8001,8080,10250',
    '--active',
    '--yes',
    '--journal',
    journal,
    '--fail-on',
    'none',
    '--format',
    'json',
    '--output',
    report,
  ]);
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });

async function held(journal: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
    const id = /"op":"change","id":"(c\d+)","time":"[^"]+","hunter":"test-hold"/.exec(text)?.[1];
    if (id && text.includes(`{"op":"applied","id":"${id}"`)) return;
    if (Date.now() > until) throw new Error(`the held change never showed in ${journal}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('interrupting active hunting of the lab', () => {
  it('SIGINT while a change is in place: the CLI undoes everything before it exits', async () => {
    const before = await lab.snapshot();
    const journal = join(dir, `journal-${++n}.jsonl`);
    const report = join(dir, `report-${n}.json`);
    const { child, output } = hunt(journal, report);
    await held(journal);
    assert.equal(isDeepStrictEqual(await lab.snapshot(), before), false, 'a change is in place');
    child.kill('SIGINT');
    assert.equal(await exited(child), 0, output());
    assert.match(output(), /SIGINT: stopping; undoing the changes made so far/);
    assert.deepEqual(await lab.snapshot(), before);
    const saved = JSON.parse(readFileSync(report, 'utf8'));
    assert.equal(saved.scan.interrupted, true);
    assert.ok(saved.changes.some((c: { hunter: string }) => c.hunter === 'test-hold'));
    assert.ok(saved.changes.every((c: { undone: boolean }) => c.undone));
  });

  it('SIGKILL while a change is in place: kubeferret cleanup --journal puts the lab back', async () => {
    const before = await lab.snapshot();
    const journal = join(dir, `journal-${++n}.jsonl`);
    const { child } = hunt(journal, join(dir, `report-${n}.json`));
    await held(journal);
    child.kill('SIGKILL');
    await exited(child);
    const left = await lab.snapshot();
    assert.equal(isDeepStrictEqual(left, before), false, 'the killed run left its change');
    const cleanup = spawnCli([BIN, 'cleanup', '--journal', journal]);
    const code = await exited(cleanup.child);
    assert.equal(code, 0, cleanup.output());
    assert.match(
      cleanup.output(),
      /undone: delete configmap default\/kubeferret-[a-z2-7]{8}-[0-9a-f]{6} \(as insecure-port\)/,
    );
    assert.deepEqual(await lab.snapshot(), before);
  });
});
