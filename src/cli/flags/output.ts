import type { Command } from 'commander';
import { EXIT } from '../../core/errors.js';
import type { Severity } from '../../core/events.js';
import type { HuntResult } from '../../core/hunt.js';
import { atLeast, severityOf } from '../../kb/index.js';
import { renderPlain } from '../../report/plain.js';

/** Report formats and where they go. */
// biome-ignore lint/complexity/noBannedTypes: filled in by the report work
export type OutputFlags = {};

export function registerOutputOptions(cmd: Command): Command {
  return cmd;
}

/** Writes the report in every requested format. */
export async function writeOutputs(result: HuntResult, _flags: OutputFlags): Promise<void> {
  process.stdout.write(renderPlain(result));
}

/** 1 when a finding is at or above --fail-on, else 0. */
export function exitCodeOf(result: HuntResult): number {
  const failOn = result.config.failOn;
  if (failOn === 'none') return EXIT.ok;
  const failing = result.events.some((e) => e.type === 'Finding' && atLeast(severityOf(e), failOn as Severity));
  return failing ? EXIT.findings : EXIT.ok;
}
