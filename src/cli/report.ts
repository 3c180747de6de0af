import type { Command } from 'commander';
import type { Severity } from '../core/events.js';
import { readUserFile } from '../core/user-file.js';
import { parseReport } from '../report/load.js';
import { emitReport, exitCodeOf, type OutputFlags, registerOutputOptions } from './flags/output.js';
import { severityOrNone } from './options.js';

interface ReportFlags extends OutputFlags {
  failOn?: Severity | 'none';
  failOnPossible?: boolean;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('render a saved JSON report (--format json) again, in any format, without hunting')
    .argument('<file>', 'a report written by `kubeferret hunt --format json`')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: info|low|medium|high|critical|none (default none)',
      severityOrNone('--fail-on'),
    )
    .option('--fail-on-possible', 'possible findings count for --fail-on too; by default they do not')
    .option('--quiet', 'print only the summary');
  registerOutputOptions(cmd);
  cmd.action((file: string, flags: ReportFlags) => {
    const saved = parseReport(readUserFile(file, 'report'), file);
    const report = emitReport(saved, flags);
    process.exitCode = exitCodeOf(report, flags.failOn ?? 'none', {
      failOnIncomplete: flags.failOnIncomplete,
      failOnPossible: flags.failOnPossible,
    });
  });
}
