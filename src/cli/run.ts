import type { HuntConfig } from '../core/config.js';
import { type HuntHooks, type HuntResult, runHunt } from '../core/hunt.js';
import type { AnyHunter } from '../core/hunter.js';
import { interruptOnSignals, stopMessages } from './interrupt.js';
import { progressDisplay } from './progress.js';

/**
 * Runs a hunt for a command: Ctrl-C stops it cleanly, and an active run undoes its changes before it
 * returns; `logs` (warnings, debug lines) and the progress bar share stderr.
 */
export async function runFromCli(
  config: HuntConfig,
  hunters: readonly AnyHunter[],
  logs: HuntHooks,
): Promise<HuntResult> {
  const interrupt = interruptOnSignals(stopMessages(config));
  const progress = progressDisplay(config, logs);
  try {
    return await runHunt(config, hunters, { ...progress.hooks, signal: interrupt.signal });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}
