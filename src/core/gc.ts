import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * A full garbage collection, now. The memory budget asks for one when memory is near the budget and
 * nothing runs: without it, garbage of work already done still counts as live until V8 happens to
 * collect, and queued work would be skipped for memory that is in fact free. Node exposes `gc` only with
 * --expose-gc; the flag is set for the moment a fresh context is made, which then holds the function.
 */
export function collectGarbage(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') collect = exposed;
    else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    }
  }
  collect();
}
