import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, HuntFailedError, UsageError } from '../../core/errors.js';
import type { Severity } from '../../core/events.js';
import { makeDirs, writeFileAtomic, writeProblem } from '../../core/files.js';
import { type Redactor, redactorFor } from '../../core/redact.js';
import { readUserFile } from '../../core/user-file.js';
import { atLeast } from '../../kb/index.js';
import { activeFindings, applyBaseline, type Baseline, baselineOf, parseBaseline } from '../../report/baseline.js';
import { FORMAT_NAMES, FORMATS, type FormatName, render } from '../../report/formats.js';
import { buildReport } from '../../report/model.js';
import type { Report } from '../../report/schema.js';
import { summaryLine } from '../../report/text.js';
import type { HuntResult } from '../../run/hunt.js';
import { collect } from '../options.js';
import { checkFolder, checkWritable } from './places.js';

/** Report formats, where they go, and the baseline. */
export interface OutputFlags {
  format?: FormatName[];
  output?: string[];
  outputDir?: string;
  baseline?: string;
  /** The --baseline file as read and validated before the run (set by the options' preAction hook). */
  baselineEntries?: Baseline;
  writeBaseline?: string;
  quiet?: boolean;
  /** Exit 4 when something was not examined fully (and no finding already gave 1). */
  failOnIncomplete?: boolean;
}

/** One rendering and where it goes: a file, or `-` for stdout. */
export interface OutputTarget {
  format: FormatName;
  to: string;
}

function formatName(value: string, previous: FormatName[] = []): FormatName[] {
  const v = value.trim().toLowerCase();
  if (!(FORMAT_NAMES as string[]).includes(v)) {
    throw new UsageError(`--format takes one of ${FORMAT_NAMES.join(', ')}, not "${value}"`);
  }
  return [...previous, v as FormatName];
}

/**
 * Pairs each --format with its --output in order; formats without one go to stdout (at most one may), or
 * every format goes into --output-dir under its fixed name. Problems are UsageErrors, found before hunting.
 */
export function outputTargets(flags: OutputFlags, check = true): OutputTarget[] {
  const formats = flags.format?.length ? flags.format : (['table'] as FormatName[]);
  const outputs = flags.output ?? [];
  if (new Set(formats).size !== formats.length) throw new UsageError('--format: each format can be given only once');
  if (flags.outputDir !== undefined) {
    if (outputs.length > 0) throw new UsageError('--output and --output-dir exclude each other: use one of them');
    // An existing folder must take files (a read-only one used to be found only after the hunt); a new one
    // is made at the end, one level, in a folder that takes it.
    let isDir: boolean | undefined;
    try {
      isDir = statSync(flags.outputDir).isDirectory();
    } catch {
      isDir = undefined;
    }
    if (isDir === false && check) throw new UsageError(`--output-dir ${flags.outputDir} is a file`);
    if (check)
      checkFolder(
        isDir ? resolve(flags.outputDir) : dirname(resolve(flags.outputDir)),
        '--output-dir',
        flags.outputDir,
      );
    return formats.map((format) => ({ format, to: join(flags.outputDir!, FORMATS[format].fileName) }));
  }
  if (outputs.length > formats.length) {
    throw new UsageError(
      `${outputs.length} --output for ${formats.length} --format: give a --format for each --output, in the same order`,
    );
  }
  const targets = formats.map((format, i) => ({ format, to: outputs[i] ?? '-' }));
  if (targets.filter((t) => t.to === '-').length > 1) {
    throw new UsageError(
      'only one format can go to stdout: give --output FILE for the others (paired in order), or --output-dir DIR',
    );
  }
  if (check) for (const t of targets) if (t.to !== '-') checkWritable(t.to, '--output');
  return targets;
}

/** Colour on a terminal, unless NO_COLOR is set; FORCE_COLOR turns it on elsewhere. */
export function stdoutColor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stdout.isTTY) && env.TERM !== 'dumb';
}

export function registerOutputOptions(cmd: Command): Command {
  return cmd
    .option(
      '--format <name>',
      `report format, repeatable: ${FORMAT_NAMES.join(', ')} (default table)`,
      formatName as (v: string, p: unknown) => FormatName[],
    )
    .option('--output <file>', 'write the matching --format to FILE (paired in order; - is stdout)', collect)
    .option('--output-dir <dir>', 'write every --format into DIR: report.json, report.sarif, report.html, …')
    .option('--baseline <file>', 'suppress the findings accepted in FILE; report what is new and what was fixed')
    .option('--write-baseline <file>', "accept this run's findings: write them to FILE as a baseline")
    .option(
      '--fail-on-incomplete',
      'exit 4 when something was not examined fully (the report lists it), unless findings already exit 1',
    )
    .hook('preAction', (command) => {
      // Bad output flags and an unreadable baseline are found before anything is sent; the baseline is kept
      // as read, so a file changed or removed during a long hunt cannot cost the report.
      const flags = command.opts<OutputFlags>();
      outputTargets(flags);
      if (flags.baseline) {
        command.setOptionValue(
          'baselineEntries',
          parseBaseline(readUserFile(flags.baseline, 'baseline'), flags.baseline),
        );
      }
      if (flags.writeBaseline) checkWritable(flags.writeBaseline, '--write-baseline');
    });
}

/** Writes one output whole or not at all (see writeFileAtomic); a failure names the file and why. */
function write(path: string, text: string): void {
  try {
    makeDirs(dirname(resolve(path)));
    writeFileAtomic(path, text);
  } catch (err) {
    throw new HuntFailedError(`cannot write ${path}: ${writeProblem(err)}`);
  }
}

/**
 * Applies the baseline, writes every requested rendering and the new baseline, and returns the report.
 * `redactor` is the run's last net: a known secret that slipped into any rendering is replaced.
 */
export function emitReport(input: Report, flags: OutputFlags, redactor?: Redactor): Report {
  const report =
    flags.baseline && flags.baselineEntries ? applyBaseline(input, flags.baselineEntries, flags.baseline) : input;
  // One output that cannot be written does not cost the others: each is tried, then the failures are told.
  const failures: string[] = [];
  const attempt = (path: string, text: () => string) => {
    try {
      write(path, text());
    } catch (err) {
      if (!(err instanceof HuntFailedError)) throw err;
      failures.push(err.message);
    }
  };
  if (flags.writeBaseline) attempt(flags.writeBaseline, () => `${JSON.stringify(baselineOf(report), null, 2)}\n`);
  // Checked before the hunt; a place that broke since is a write failure below, which spares the others.
  const targets = outputTargets(flags, false);
  for (const { format, to } of targets) {
    const stdout = to === '-';
    const text = () => {
      const rendered = render(format, report, { color: stdout && stdoutColor(), quiet: Boolean(flags.quiet) });
      return redactor ? redactor.redactKnown(rendered) : rendered;
    };
    if (stdout) process.stdout.write(text());
    else attempt(to, text);
  }
  if (!targets.some((t) => t.to === '-')) process.stdout.write(`${summaryLine(report)}\n`);
  if (failures.length > 0) {
    throw new HuntFailedError(
      failures.length === 1 ? failures[0] : `${failures[0]} (and ${failures.length - 1} more output(s) not written)`,
    );
  }
  return report;
}

/** What besides findings at or above --fail-on makes a run fail. */
export interface ExitPolicy {
  /** Exit 4 when something was not examined fully. */
  failOnIncomplete?: boolean;
  /** Possible findings (a condition the hunt could not check) count for --fail-on too. */
  failOnPossible?: boolean;
}

/** Builds the report of a hunt and writes it in every requested format. */
export async function writeOutputs(result: HuntResult, flags: OutputFlags): Promise<Report> {
  const redactor = redactorFor(result.events);
  return emitReport(buildReport(result, redactor), flags, redactor);
}

/**
 * 1 when a finding not suppressed by the baseline is at or above --fail-on (a possible finding, whose
 * condition the hunt could not check, only with --fail-on-possible); else, with --fail-on-incomplete, 4 when
 * the report has coverage gaps; else 0.
 */
export function exitCodeOf(report: Report, failOn: Severity | 'none', policy: ExitPolicy = {}): number {
  const counts = (f: Report['findings'][number]) =>
    atLeast(f.severity, failOn as Severity) && (policy.failOnPossible || !f.possible);
  if (failOn !== 'none' && activeFindings(report).some(counts)) return EXIT.findings;
  if (policy.failOnIncomplete && report.coverage.length > 0) return EXIT.incomplete;
  return EXIT.ok;
}
