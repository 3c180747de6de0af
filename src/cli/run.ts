import type { HuntConfig } from '../core/config.js';
import { EXIT } from '../core/errors.js';
import type { AnyHunter } from '../core/hunter.js';
import { type HuntHooks, type HuntResult, runHunt } from '../run/hunt.js';
import { interruptOnSignals, signalExitStatus, stopMessages } from './interrupt.js';
import { progressDisplay } from './progress.js';

/**
 * Runs a hunt for a command: Ctrl-C stops it cleanly, and an active run undoes its changes before it
 * returns; `logs` (warnings, debug lines) and the progress bar share stderr. `finish` writes what the
 * command writes and returns its exit status; signals stay caught until it is done, so a second Ctrl-C
 * cannot cut a report in half. A run stopped by a signal exits 128 + its number (130, 143) unless
 * `finish` found a failure (3), which asks more of the user.
 */
export async function runFromCli(
  config: HuntConfig,
  hunters: readonly AnyHunter[],
  logs: HuntHooks,
  finish: (result: HuntResult) => number | Promise<number>,
): Promise<number> {
  const interrupt = interruptOnSignals(stopMessages(config));
  const progress = progressDisplay(config, logs);
  try {
    const result = await runHunt(config, hunters, { ...progress.hooks, signal: interrupt.signal });
    progress.stop();
    const status = await finish(result);
    const by = interrupt.stoppedBy;
    return by && status !== EXIT.failed ? signalExitStatus(by) : status;
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}
