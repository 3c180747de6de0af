import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { defaultJournalPath } from '../../active/journal-path.js';
import { UsageError } from '../../core/errors.js';
import { probeWritable, writeProblem } from '../../core/files.js';

// Every place a run writes is checked before the first packet, so a run's work is never lost to a folder
// found unwritable at its end. Kept apart from the report renderers: `discover` checks --trace without them.

/**
 * Checks, before anything is sent, that `path` can be written: its folder exists and takes a new file
 * (proved by making one), and `path` is not a folder. A file that is not a regular one (/dev/stdout, a
 * pipe) needs only to be writable. The problem is a UsageError naming the option.
 */
export function checkWritable(path: string, option: string): void {
  let stats: ReturnType<typeof statSync> | undefined;
  try {
    stats = statSync(path);
  } catch {
    stats = undefined;
  }
  if (stats?.isDirectory()) throw new UsageError(`${option} ${path} is a folder: name a file`);
  if (stats && !stats.isFile()) return;
  checkFolder(dirname(resolve(path)), option, path);
}

/** The folder exists, is one, and a file can be created in it. */
export function checkFolder(dir: string, option: string, path: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    probeWritable(dir);
  } catch (err) {
    throw new UsageError(`${option} ${path}: cannot write in ${dir}: ${writeProblem(err)}`);
  }
}

/**
 * The undo journal of active hunting, checked before anything is sent: `--journal FILE`, or the folder of
 * the default journals (the run's own file name is not known yet, and does not matter to the check).
 */
export async function checkJournalPlace(journal: string | undefined): Promise<void> {
  const { checkJournalPath } = await import('../../active/journal.js');
  checkJournalPath(journal ?? defaultJournalPath('kubeferret-check'));
}
