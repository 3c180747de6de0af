import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { type Lab, startLab } from '../../src/lab/index.js';
import { activeHuntFlags, BIN, ROOT, startCli, waitFor, withHunters } from './cli-process.js';

// This file's loopback block: 127.73.0.0/16. The real command line hunts a lab started here; the run is
// interrupted (SIGINT) or killed (SIGKILL) while a change is in place, and the lab must end as it began.
const BASE = '127.73.0.2';
const LAB_HUNTERS = join(ROOT, 'test/active/fixtures/lab.ts');

let lab: Lab;
let dir: string;
let n = 0;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: BASE, nodes: 2 });
  dir = mkdtempSync(join(tmpdir(), 'kf-lab-interrupt-'));
});
after(() => lab.stop());

const env = (): NodeJS.ProcessEnv => ({ KF_TEST_HUNTERS: LAB_HUNTERS, KF_TEST_HOLD: '1' });

function hunt(journal: string, report: string) {
  const ports = '2379,6443,8001,8080,10250';
  return startCli(
    withHunters([
      'hunt',
      `${BASE}-127.73.0.4`,
      '--ports',
      ports,
      '--timeout',
      '10',
      '--request-timeout',
      '20',
      ...activeHuntFlags(journal, report),
    ]),
    {
      env: env(),
    },
  );
}

/** Until the journal shows the held change as made. */
function held(journal: string): Promise<void> {
  return waitFor(`the held change in ${journal}`, () => {
    const text = existsSync(journal) ? readFileSync(journal, 'utf8') : '';
    const id = /"op":"change","id":"(c\d+)","time":"[^"]+","hunter":"test-hold"/.exec(text)?.[1];
    return id !== undefined && text.includes(`{"op":"applied","id":"${id}"`);
  });
}

describe('interrupting active hunting of the lab', () => {
  it('SIGINT while a change is in place: the CLI undoes everything before it exits', async () => {
    const before = await lab.snapshot();
    const journal = join(dir, `journal-${++n}.jsonl`);
    const report = join(dir, `report-${n}.json`);
    const { child, output, done } = hunt(journal, report);
    await held(journal);
    assert.equal(isDeepStrictEqual(await lab.snapshot(), before), false, 'a change is in place');
    child.kill('SIGINT');
    assert.equal((await done).code, 130, output());
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
    const { child, done } = hunt(journal, join(dir, `report-${n}.json`));
    await held(journal);
    child.kill('SIGKILL');
    await done;
    const left = await lab.snapshot();
    assert.equal(isDeepStrictEqual(left, before), false, 'the killed run left its change');
    const cleanup = await startCli([BIN, 'cleanup', '--journal', journal]).done;
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(
      cleanup.stdout,
      /undone: delete configmap default\/kubeferret-[a-z2-7]{8}-[0-9a-f]{6} \(as insecure-port\)/,
    );
    assert.deepEqual(await lab.snapshot(), before);
  });
});
