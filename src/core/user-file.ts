import { readFileSync } from 'node:fs';
import { fileProblem, UsageError } from './errors.js';

/** Reads a file the user named; an unreadable file is a usage error with one line. */
export function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${fileProblem(err)}`);
  }
}
