import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { type ConsentIo, confirmActive } from '../../../src/cli/flags/active.js';
import { defaultConfig } from '../../../src/core/config.js';
import { UsageError } from '../../../src/core/errors.js';
import { HUNTERS } from '../../../src/hunters/index.js';

// The consent dialogue itself, on streams that behave as a terminal's input does: what was typed ahead
// arrives in one chunk, possibly with the end of input (Ctrl-D, which `script` sends when its stdin ends).

const config = defaultConfig({ active: true, runId: 'abcdefgh' });

function dialogue(typed: string | null, isTTY = true): { io: ConsentIo; shown: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (b: Buffer) => {
    shown += b.toString();
  });
  // Typed once the question is on the screen, as a user (or a pseudo-terminal's buffer) delivers it.
  if (typed !== null) setImmediate(() => input.write(typed));
  else setImmediate(() => input.end());
  return { io: { input, output, isTTY }, shown: () => shown };
}

describe('active hunting consent', () => {
  for (const typed of ['y\n', 'yes\r', 'Y\n\x04', 'y\r\n\x04']) {
    it(`goes ahead on ${JSON.stringify(typed)}, even when the end of input comes in the same chunk`, async () => {
      const d = dialogue(typed);
      await confirmActive(config, HUNTERS, d.io);
      assert.match(d.shown(), /Run the active hunters\? \[y\/N\] /);
    });
  }

  for (const typed of ['n\n', '\n', 'yess\n', '\x04', null]) {
    it(`refuses on ${JSON.stringify(typed)} in one line and says nothing was sent`, async () => {
      const d = dialogue(typed);
      await assert.rejects(confirmActive(config, HUNTERS, d.io), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.equal(e.message, 'active hunting not confirmed: nothing was sent');
        return true;
      });
    });
  }

  it('without a terminal asks nothing and needs --yes', async () => {
    const d = dialogue('y\n', false);
    await assert.rejects(confirmActive(config, HUNTERS, d.io), /add --yes to consent/);
    assert.equal(d.shown(), '');
  });

  it('asks nothing with --yes or for a dry run', async () => {
    for (const overrides of [{ yes: true }, { dryRun: true }]) {
      const d = dialogue(null);
      await confirmActive({ ...config, ...overrides }, HUNTERS, d.io);
      assert.equal(d.shown(), '');
    }
  });
});
