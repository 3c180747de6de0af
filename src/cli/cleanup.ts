import type { Command } from 'commander';
import {
  type CleanupIdentity,
  cleanupScope,
  type ReplayResult,
  replayJournal,
  writerAlive,
} from '../active/cleanup.js';
import { pendingJournals, pendingOf, readJournal } from '../active/journal.js';
import { DEFAULT_JOURNAL_DIR } from '../active/journal-path.js';
import { EXIT, UsageError } from '../core/errors.js';
import { vantageOf } from '../discovery/vantage/identity.js';
import { Network } from '../net/network.js';
import { Trace } from '../net/trace.js';
import { registerVantageOptions, type VantageFlags, vantageConfig } from './flags/vantage.js';
import { seconds } from './options.js';

interface CleanupFlags extends VantageFlags {
  journal?: string;
  requestTimeout?: number;
  undoWait?: number;
  force?: boolean;
}

/**
 * The identities given with the hunt's identity flags. Their secrets are used for this clean-up only;
 * the journal never held them.
 */
async function identitiesOf(flags: VantageFlags): Promise<CleanupIdentity[]> {
  const { extra } = await vantageConfig(flags);
  return vantageOf(extra ?? {}).identities.map((i) => ({ name: i.name, secret: i.secret() }));
}

/** Each outcome under its own name; those that did not happen are left out. */
export function summaryOf(result: ReplayResult): string {
  const parts: [number, string][] = [
    [result.undone, 'undone'],
    [result.gone, 'already gone'],
    [result.withObject, 'undone with their object'],
    [result.terminating.length, 'still terminating'],
    [result.failed.length, 'not undone'],
  ];
  const said = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  return said.length > 0 ? said.join(', ') : 'nothing to undo';
}

export function registerCleanup(program: Command): void {
  const cmd = program
    .command('cleanup')
    .description('undo the changes of an active hunt that was killed before it could clean up, from its journal')
    .option('--journal <file>', 'the undo journal of that run (.kubeferret/journal/<run id>.jsonl)')
    .option('--request-timeout <seconds>', 'HTTP request deadline (default 5)', seconds('--request-timeout', 600))
    .option(
      '--undo-wait <seconds>',
      'how long undoing a deletion waits for the object to be gone, e.g. a Terminating namespace (default 60)',
      seconds('--undo-wait', 3600),
    )
    .option('--force', 'replay even though the run that wrote the journal seems to be still running');
  registerVantageOptions(cmd);
  cmd.action(async (flags: CleanupFlags) => {
    if (!flags.journal) {
      const found = pendingJournals();
      throw new UsageError(
        found.length > 0
          ? `name the journal to replay with --journal FILE; these still hold changes: ${found.join(', ')}`
          : `name the journal to replay with --journal FILE (none in ${DEFAULT_JOURNAL_DIR} holds changes to undo)`,
      );
    }
    const state = readJournal(flags.journal);
    const pending = pendingOf(state);
    if (pending.length === 0) {
      console.log(`nothing to undo: every change of run ${state.header.runId} in ${flags.journal} was undone`);
      return;
    }
    if (writerAlive(state) && !flags.force) {
      throw new UsageError(
        `run ${state.header.runId} (pid ${state.header.pid}) is still running and undoes its own changes: wait for it, stop it with Ctrl-C, or add --force`,
      );
    }
    const identities = await identitiesOf(flags);
    const network = new Network({
      scope: cleanupScope(pending),
      trace: new Trace(),
      connectTimeoutMs: 1500,
      requestTimeoutMs: flags.requestTimeout ?? 5000,
      maxBodyBytes: 1024 * 1024,
    });
    console.log(`run ${state.header.runId}: undoing ${pending.length} change(s), newest first`);
    try {
      const result = await replayJournal(
        state,
        network,
        identities,
        (line) => console.log(`  ${line}`),
        flags.undoWait,
      );
      console.log(`${summaryOf(result)} (journal ${flags.journal})`);
      if (result.terminating.length > 0) {
        console.log('  what is still terminating stays in the journal: run cleanup again later to confirm it is gone');
      }
      if (result.failed.length + result.terminating.length > 0) process.exitCode = EXIT.failed;
    } finally {
      await network.close();
    }
  });
}
