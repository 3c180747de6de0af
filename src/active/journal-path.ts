import { join } from 'node:path';

// Where journals live, apart from journal.ts so that a passive run (which only names the path for its
// Ctrl-C message) does not load the journal's validation schemas.

export const DEFAULT_JOURNAL_DIR = join('.kubeferret', 'journal');

export function defaultJournalPath(runId: string, dir = DEFAULT_JOURNAL_DIR): string {
  return join(dir, `${runId}.jsonl`);
}
