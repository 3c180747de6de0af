import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { collectGarbage } from '../../src/core/gc.js';

// No network. The memory budget's collection: garbage is gone after it, without --expose-gc.

it('collects an unreachable object now, in a process started without --expose-gc', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the test runs without --expose-gc');
  let held: object | undefined = { big: new Array(1000).fill('x') };
  const ref = new WeakRef(held);
  held = undefined;
  // A WeakRef keeps its target for the rest of the job that made it.
  await tick();
  collectGarbage();
  assert.equal(ref.deref(), undefined);
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'gc is not left on the global');
  collectGarbage(); // and again, from the function kept
});
