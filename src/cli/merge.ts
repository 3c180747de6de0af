import type { Command } from 'commander';
import type { Severity } from '../core/events.js';
import { readUserFile } from '../core/user-file.js';
import { parseReport } from '../report/load.js';
import { mergeReports } from '../report/merge.js';
import { emitReport, exitCodeOf, type OutputFlags, registerOutputOptions } from './flags/output.js';
import { severityOrNone } from './options.js';

interface MergeFlags extends OutputFlags {
  failOn?: Severity | 'none';
}

/** `kubeferret merge a.json b.json …`: the reports of a sharded sweep (or of several hunts) as one. */
export function registerMerge(program: Command): void {
  const cmd = program
    .command('merge')
    .description('combine saved JSON reports (the shards of a sweep) into one, rendered in any format')
    .argument('<files...>', 'reports written by `kubeferret hunt --format json`')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: info|low|medium|high|critical|none (default none)',
      severityOrNone('--fail-on'),
    )
    .option('--quiet', 'print only the summary');
  registerOutputOptions(cmd);
  cmd.action((files: string[], flags: MergeFlags) => {
    const reports = files.map((file) => parseReport(readUserFile(file, 'report'), file));
    const report = emitReport(mergeReports(reports), flags);
    process.exitCode = exitCodeOf(report, flags.failOn ?? 'none');
  });
}
