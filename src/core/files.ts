import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

// Writing what the user keeps (reports, baselines, journals, CVE data) so that a failure never leaves a
// file that looks complete but is not, and never hangs.

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Creates `dir` and its missing parents, one level at a time. Node 20's `mkdirSync(…, { recursive: true })`
 * loops forever, deaf to signals, on a parent such as /proc/nope; walking the parents here makes that
 * parent's error (ENOENT, EACCES, ENOTDIR) the answer instead.
 */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    const stats = statOrUndefined(at);
    if (stats) {
      if (!stats.isDirectory()) {
        throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, mode === undefined ? undefined : { mode });
    } catch (err) {
      // Made in the meantime by someone else: as good as made here.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statOrUndefined(d)?.isDirectory()) throw err;
    }
  }
}

/**
 * Proves that files can be created in `dir` by creating one and removing it: permission bits alone do
 * not say it (root ignores them; a read-only mount, a full quota or an immutable folder refuse root too).
 */
export function probeWritable(dir: string): void {
  const probe = join(dir, `.kubeferret-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  closeSync(openSync(probe, 'wx', 0o600));
  rmSync(probe, { force: true });
}

/**
 * Writes `text` to `path` in full or not at all: into a temporary file in the same folder, flushed to
 * disk, then renamed over `path`. A full disk or a failed write leaves whatever was at `path` before and
 * no temporary file. A path that is not a regular file (/dev/stdout, a pipe) is written as it is, and a
 * symbolic link is followed, so the link stays a link.
 */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  let target = resolve(path);
  try {
    target = realpathSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const existing = statOrUndefined(target);
  if (existing && !existing.isFile()) {
    writeFileSync(target, text);
    return;
  }
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', existing ? existing.mode & 0o777 : mode);
    writeFileSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the write already failed; that is the error to report
      }
    }
    rmSync(temporary, { force: true });
    throw err;
  }
}

/** Why a file or folder cannot be written, in a few words. */
export function writeProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code ?? '';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such folder';
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a file is in the way of its directory';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  if (code === 'EROFS') return 'read-only file system';
  return code || (err instanceof Error ? err.message.split('\n')[0] : 'write failed');
}
