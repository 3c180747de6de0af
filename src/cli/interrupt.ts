import { constants } from 'node:os';
import { defaultJournalPath } from '../active/journal-path.js';
import type { HuntConfig } from '../core/config.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM stop a hunt without cutting its clean-up short: the first signal stops the
 * engine (running hunters are aborted, their changes undone); later ones only say that clean-up is still
 * running, since exiting then would leave changes behind. Once disposed, signals act as usual again.
 */
export function interruptOnSignals(
  what: { onStop: string; whileStopping: string },
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): { signal: AbortSignal; readonly stoppedBy: NodeJS.Signals | undefined; dispose(): void } {
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      stoppedBy = name;
      write(`kubeferret: ${name}: stopping; ${what.onStop}`);
      controller.abort();
    } else {
      write(`kubeferret: ${name}: ${what.whileStopping}`);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get stoppedBy() {
      return stoppedBy;
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** What Ctrl-C says: an active run names its journal, since clean-up is what happens next. */
export function stopMessages(config: HuntConfig): { onStop: string; whileStopping: string } {
  if (!config.active || config.dryRun) {
    return { onStop: 'reporting what was found so far', whileStopping: 'stopping, please wait' };
  }
  const journal = config.journalPath ?? defaultJournalPath(config.runId ?? '');
  return {
    onStop: `undoing the changes made so far before exiting (journal ${journal})`,
    whileStopping: `clean-up in progress: kubeferret exits once every change is undone (journal ${journal})`,
  };
}

/** The shell's status for a process a signal ended: 128 + the signal's number (130 SIGINT, 143 SIGTERM). */
export function signalExitStatus(name: NodeJS.Signals): number {
  return 128 + constants.signals[name];
}
