import { Command, CommanderError } from 'commander';
import { EXIT, HuntFailedError, oneLine, UsageError } from '../core/errors.js';
import { VERSION, versionLine } from '../core/version.js';

type Register = (program: Command) => void;

/**
 * Each command lives in its own file and registers itself; its module is loaded only when that command
 * runs (all of them for help), so a scan does not carry the lab, the report renderers and every hunter
 * in memory.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  hunt: async () => (await import('./hunt.js')).registerHunt,
  check: async () => (await import('./check.js')).registerCheck,
  discover: async () => (await import('./discover.js')).registerDiscover,
  list: async () => (await import('./list.js')).registerList,
  explain: async () => (await import('./explain.js')).registerExplain,
  cve: async () => (await import('./cve.js')).registerCve,
  lab: async () => (await import('./lab.js')).registerLab,
  report: async () => (await import('./report.js')).registerReport,
  merge: async () => (await import('./merge.js')).registerMerge,
  demo: async () => (await import('./demo.js')).registerDemo,
  cleanup: async () => (await import('./cleanup.js')).registerCleanup,
};

/** Builds the command tree: only `command` when it names one, none for --version, otherwise every command. */
export async function buildProgram(command?: string, versionOnly = false): Promise<Command> {
  const program = new Command('kubeferret')
    .description('Hunts Kubernetes clusters for security weaknesses the way an attacker would.')
    // The full line names the CVE data and knowledge base, which from sources costs reading them: only for -V.
    .version(versionOnly ? versionLine() : VERSION, '-V, --version')
    .option('--debug', 'show stack traces and hunter debug lines')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const names = command && command in COMMANDS ? [command] : versionOnly ? [] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]())(program);
  return program;
}

/** The command as the user typed it, e.g. `cve update`, for "… failed:" lines. */
function commandName(program: Command, argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  const command = program.commands.find((c) => c.name() === words[0]);
  if (!command) return 'kubeferret';
  const sub = command.commands.find((c) => c.name() === words[1]);
  return sub ? `${command.name()} ${sub.name()}` : command.name();
}

/**
 * A closed standard output (`kubeferret list | head -1`) is the reader saying it has seen enough: nothing
 * more is printed there and the command finishes as it would have (a hunt still writes its -o files and
 * cleans up), without a stack trace. Any other write error (a full disk behind `> file`) is one line on
 * stderr and exit 3, the command still finishing what it was doing.
 */
function quietWhenStdoutCloses(stream: NodeJS.WriteStream = process.stdout): void {
  let said = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    if (!said) console.error(`kubeferret: cannot write to standard output: ${err.code ?? err.message}`);
    said = true;
    process.exitCode = EXIT.failed;
  });
}

/** Runs the CLI: usage errors print one line and exit 2; a failed hunt exits 3; no stack traces without --debug. */
export async function main(argv: string[]): Promise<number> {
  // Global options take no value, so the first word that is not an option names the command.
  const command = argv.find((a) => !a.startsWith('-'));
  const versionOnly = !command && (argv.includes('--version') || argv.includes('-V'));
  const program = await buildProgram(command, versionOnly);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "fail" with exit code 0; commander has already printed its message.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (debug && err instanceof Error) console.error(err.stack);
    if (err instanceof UsageError) {
      console.error(`kubeferret: ${err.message}`);
      return EXIT.usage;
    }
    console.error(
      `kubeferret: ${err instanceof HuntFailedError ? '' : `${commandName(program, argv)} failed: `}${oneLine(err)}`,
    );
    return EXIT.failed;
  }
}

quietWhenStdoutCloses();
// Not a top-level await: the single executable is a CommonJS bundle (scripts/sea.mjs), which has none.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
