import type { HuntConfig } from '../core/config.js';
import { type HuntHooks, type HuntResult, runHunt } from '../core/hunt.js';
import type { AnyHunter } from '../core/hunter.js';
import { progressDisplay } from './progress.js';

/**
 * Runs a hunt for a command: Ctrl-C stops it cleanly; `logs` (warnings, debug lines) and the progress
 * bar share stderr.
 */
export async function runFromCli(
  config: HuntConfig,
  hunters: readonly AnyHunter[],
  logs: HuntHooks,
): Promise<HuntResult> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = progressDisplay(config, logs);
  try {
    return await runHunt(config, hunters, { ...progress.hooks, signal: controller.signal });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
