import { Command, CommanderError } from 'commander';
import { EXIT, HuntFailedError, oneLine, UsageError } from '../core/errors.js';
import { registerCleanup } from './cleanup.js';
import { registerCve } from './cve.js';
import { registerDemo } from './demo.js';
import { registerExplain } from './explain.js';
import { registerHunt } from './hunt.js';
import { registerLab } from './lab.js';
import { registerList } from './list.js';
import { registerReport } from './report.js';
import { VERSION } from './version.js';

/** Builds the command tree. Each command lives in its own file and registers itself here. */
export function buildProgram(): Command {
  const program = new Command('kubeferret')
    .description('Hunts Kubernetes clusters for security weaknesses the way an attacker would.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'show stack traces and hunter debug lines')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerHunt(program);
  registerList(program);
  registerExplain(program);
  registerCve(program);
  registerLab(program);
  registerReport(program);
  registerCleanup(program);
  registerDemo(program);
  return program;
}

/** Runs the CLI: usage errors print one line and exit 2; a failed hunt exits 3; no stack traces without --debug. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
    console.error(`kubeferret: ${err instanceof HuntFailedError ? '' : 'hunt failed: '}${oneLine(err)}`);
    return EXIT.failed;
  }
}

process.exitCode = await main(process.argv.slice(2));
