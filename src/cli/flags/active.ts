import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { defaultJournalPath } from '../../active/journal-path.js';
import { newRunId } from '../../active/naming.js';
import type { HuntConfig } from '../../core/config.js';
import { UsageError } from '../../core/errors.js';
import type { AnyHunter } from '../../core/hunter.js';
import { seconds } from '../options.js';
import { checkJournalPlace } from './places.js';

/** Active hunting: consent, planning and the undo journal. */
export interface ActiveFlags {
  active?: boolean;
  yes?: boolean;
  dryRun?: boolean;
  journal?: string;
  undoWait?: number;
}

export function registerActiveOptions(cmd: Command): Command {
  return cmd
    .option('--active', 'also run active hunters, which change the cluster to prove impact (asks first)')
    .option('--yes', 'consent to active hunting without a prompt (needed when not on a TTY)')
    .option('--dry-run', 'with --active: print what active hunters would send, change nothing')
    .option(
      '--journal <file>',
      'with --active: write the undo journal here (default .kubeferret/journal/<run id>.jsonl, removed once all is undone)',
    )
    .option(
      '--undo-wait <seconds>',
      'with --active: how long undoing a deletion waits for the object to be gone, e.g. a Terminating namespace (default 60)',
      seconds('--undo-wait', 3600),
    )
    .hook('preAction', async (command) => {
      const flags = command.opts<ActiveFlags>();
      if (flags.active && !flags.dryRun) await checkJournalPlace(flags.journal);
    });
}

export function activeConfig(flags: ActiveFlags): Partial<HuntConfig> {
  if (flags.dryRun && !flags.active) throw new UsageError('--dry-run shows the plan of active hunting; add --active');
  if (flags.journal !== undefined && !flags.active) {
    throw new UsageError('--journal records the changes of active hunting; add --active');
  }
  if (flags.undoWait !== undefined && !flags.active) {
    throw new UsageError('--undo-wait is how long active hunting waits for its deletions; add --active');
  }
  return {
    active: flags.active ?? false,
    yes: flags.yes ?? false,
    dryRun: flags.dryRun ?? false,
    journalPath: flags.journal,
    ...(flags.undoWait !== undefined && { undoWaitMs: flags.undoWait }),
    runId: flags.active ? newRunId() : undefined,
  };
}

/** Where the consent dialogue happens; the process's terminal unless a test says otherwise. */
export interface ConsentIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  isTTY: boolean;
}

function terminal(): ConsentIo {
  return {
    input: process.stdin,
    output: process.stderr,
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  };
}

/** What the user is asked to consent to: the active hunters and what each may change, the targets, the journal. */
export function consentText(config: HuntConfig, hunters: readonly AnyHunter[]): string {
  const active = hunters.filter((h) => h.mode === 'active');
  const width = Math.max(...active.map((h) => h.id.length));
  const targets = [...config.targets.map((t) => t.label), ...config.scope];
  return [
    '--active: kubeferret will change the cluster to prove what it finds, and undo every change before it exits.',
    'Active hunters (each runs only where a passive finding shows the way in):',
    ...active.map((h) => `  ${h.id.padEnd(width)}  ${h.changes ?? h.title}`),
    `In scope (nothing else is contacted): ${targets.length > 0 ? targets.join(', ') : 'the API servers of the identities given'}`,
    `Undo journal: ${config.journalPath ?? defaultJournalPath(config.runId ?? '<run id>')} (if the run is killed: kubeferret cleanup --journal FILE)`,
    '',
  ].join('\n');
}

/**
 * Asks one question on the terminal. The answer is taken from the callback, which readline calls as soon as
 * the line ends: an end of input (Ctrl-D) in the same chunk then closes the interface only after the answer is
 * in, where the promise API would settle a tick later and lose "y\n^D" typed ahead to the close.
 */
function ask(io: ConsentIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: true });
  return new Promise<string>((resolve) => {
    rl.on('close', () => resolve(''));
    rl.on('SIGINT', () => resolve(''));
    rl.question(question, resolve);
  }).finally(() => rl.close());
}

/**
 * Consent for active hunting, asked before anything is sent. A dry run needs none (it changes nothing).
 * Without a TTY `--yes` is required; on a TTY the user is shown what may change and asked [y/N].
 */
export async function confirmActive(
  config: HuntConfig,
  hunters: readonly AnyHunter[],
  io: ConsentIo = terminal(),
): Promise<void> {
  if (!config.active || config.dryRun || config.yes) return;
  if (!io.isTTY) {
    throw new UsageError(
      '--active changes the cluster to prove impact: add --yes to consent (there is no terminal to ask on), or --dry-run to see the plan',
    );
  }
  io.output.write(consentText(config, hunters));
  const answer = (await ask(io, 'Run the active hunters? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') {
    throw new UsageError('active hunting not confirmed: nothing was sent');
  }
}
