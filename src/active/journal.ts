import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { fileProblem, HuntFailedError, oneLine, UsageError } from '../core/errors.js';
import { makeDirs, probeWritable, writeProblem } from '../core/files.js';
import { DEFAULT_JOURNAL_DIR } from './journal-path.js';

/**
 * The undo journal: one JSON object a line, appended and fsynced before the request it describes is sent,
 * so a run killed at any point leaves a file `kubeferret cleanup --journal FILE` can finish. It holds the
 * undo requests and the names of the identities that made each change, never their secrets.
 *
 *   {"journal":"kubeferret","version":1,"runId":…,"started":…,"pid":…,"host":…}   the header, first line
 *   {"op":"change","id":"c1","hunter":…,"identity":{"name":…,"credential"?:…,"source"?:…},
 *    "action":…,"target":…,"apply":{"method":…,"url":…},"undo":{"method":…,"url":…,"body"?:…,…},
 *    "partOf"?:"c1"}                              a change to the object c1 created: undone with it
 *   {"op":"applied","id":"c1","status":201}        the change was answered 2xx
 *   {"op":"refused","id":"c1","status":403}        it was not made: nothing to undo
 *   {"op":"undone","id":"c1","status":200,"by":…}  undone (404: it was already gone; 0: with its object)
 *   {"op":"undo-failed","id":"c1","error":…,"by":…}
 *   {"op":"end","time":…,"pending":0}              the run finished its clean-up
 */
export const JOURNAL_VERSION = 1;

const method = z.enum(['POST', 'PUT', 'PATCH', 'DELETE']);
const undoSchema = z.object({
  method,
  url: z.string().url(),
  body: z.string().optional(),
  contentType: z.string().optional(),
  description: z.string(),
  goneStatuses: z.array(z.number().int()).optional(),
  confirmGone: z.string().url().optional(),
});
const identitySchema = z.object({
  name: z.string(),
  credential: z.string().optional(),
  source: z.string().optional(),
});

const headerSchema = z.object({
  journal: z.literal('kubeferret'),
  version: z.literal(JOURNAL_VERSION),
  runId: z.string(),
  started: z.string(),
  pid: z.number().int(),
  host: z.string(),
});

const recordSchema = z.discriminatedUnion('op', [
  z.object({
    op: z.literal('change'),
    id: z.string(),
    time: z.string(),
    hunter: z.string(),
    identity: identitySchema,
    action: z.string(),
    target: z.string(),
    apply: z.object({ method, url: z.string() }),
    undo: undoSchema,
    /** The change that created the object this one changed: undoing that undoes this. */
    partOf: z.string().optional(),
  }),
  z.object({ op: z.literal('applied'), id: z.string(), status: z.number().int() }),
  z.object({ op: z.literal('refused'), id: z.string(), status: z.number().int() }),
  z.object({ op: z.literal('undone'), id: z.string(), status: z.number().int(), by: z.string() }),
  z.object({ op: z.literal('undo-failed'), id: z.string(), error: z.string(), by: z.string() }),
  z.object({ op: z.literal('end'), time: z.string(), pending: z.number().int() }),
]);

export type JournalHeader = z.infer<typeof headerSchema>;
export type JournalRecord = z.infer<typeof recordSchema>;
export type JournalChange = Extract<JournalRecord, { op: 'change' }>;
export type JournalIdentity = z.infer<typeof identitySchema>;

/** Where journals go unless `--journal FILE` names one: a file per run under the current directory. */

/** What became of a journalled change. */
export type ChangeState = 'pending' | 'applied' | 'refused' | 'undone' | 'failed';

/** A change read back from a journal, with what became of it. */
export interface JournalEntry {
  change: JournalChange;
  /** The entry of the change that created the object this one changed. */
  parent?: JournalEntry;
  state: ChangeState;
  /** The last undo error, when undoing failed. */
  error?: string;
}

/** A journal read back: its header, every change in order, and whether the run finished its clean-up. */
export interface JournalState {
  path: string;
  header: JournalHeader;
  entries: JournalEntry[];
  ended: boolean;
}

/** True when a change may still be in place: made, sent without an answer, or its undo failed. */
export function mayRemain(entry: { state: ChangeState }): boolean {
  return entry.state === 'pending' || entry.state === 'applied' || entry.state === 'failed';
}

/** Changes that may still be in place, newest first: the replay order. */
export function pendingOf(state: JournalState): JournalEntry[] {
  return state.entries.filter(mayRemain).reverse();
}

/**
 * The order to undo in: newest first, except that a change to an object another change created waits for
 * that one, whose undo (removing the object) usually makes its own unnecessary.
 */
export function undoOrder<T extends { parent?: T }>(
  pending: T[],
  remains: (e: T) => boolean,
): { first: T[]; then: T[] } {
  const first: T[] = [];
  const then: T[] = [];
  for (const e of pending) (e.parent && remains(e.parent) ? then : first).push(e);
  return { first, then };
}

/** Reads a journal; a damaged or foreign file is a one-line UsageError. A torn last line (a kill mid-write) is ignored. */
export function readJournal(path: string): JournalState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read journal ${path}: ${fileProblem(err)}`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parse = (line: string, n: number, last: boolean): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      if (last) return undefined;
      throw new UsageError(`journal ${path}, line ${n}: not JSON`);
    }
  };
  let first: unknown;
  try {
    first = JSON.parse(lines[0] ?? '');
  } catch {
    first = undefined;
  }
  const header = headerSchema.safeParse(first);
  if (!header.success) {
    throw new UsageError(
      `${path} is not a kubeferret journal (version ${JOURNAL_VERSION}): its first line is no journal header`,
    );
  }
  const byId = new Map<string, JournalEntry>();
  const entries: JournalEntry[] = [];
  let ended = false;
  for (let i = 1; i < lines.length; i++) {
    const raw = parse(lines[i], i + 1, i === lines.length - 1);
    if (raw === undefined) break;
    const parsed = recordSchema.safeParse(raw);
    if (!parsed.success) {
      throw new UsageError(`journal ${path}, line ${i + 1}: not a journal record (${parsed.error.issues[0]?.message})`);
    }
    const r = parsed.data;
    if (r.op === 'change') {
      const entry: JournalEntry = { change: r, state: 'pending', parent: r.partOf ? byId.get(r.partOf) : undefined };
      byId.set(r.id, entry);
      entries.push(entry);
      continue;
    }
    if (r.op === 'end') {
      ended = true;
      continue;
    }
    const entry = byId.get(r.id);
    if (!entry) throw new UsageError(`journal ${path}, line ${i + 1}: record for unknown change ${r.id}`);
    if (r.op === 'applied') entry.state = 'applied';
    else if (r.op === 'refused') entry.state = 'refused';
    else if (r.op === 'undone') entry.state = 'undone';
    else {
      entry.state = 'failed';
      entry.error = r.error;
    }
  }
  return { path, header: header.data, entries, ended };
}

/** The journals in a directory that still hold changes to undo. */
export function pendingJournals(dir = DEFAULT_JOURNAL_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => join(dir, n))
    .filter((p) => {
      try {
        return pendingOf(readJournal(p)).length > 0;
      } catch {
        return false;
      }
    });
}

/**
 * Checks, before anything is sent, that a journal can be written at `path`: its folder can be created and
 * written, and a file already there holds nothing left to undo (it would be replaced).
 */
export function checkJournalPath(path: string): void {
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`--journal ${path} is a directory: name a file`);
    if (statSync(path).size > 0) {
      const pending = pendingOf(readJournal(path)).length;
      if (pending > 0) {
        throw new UsageError(
          `journal ${path} still holds ${pending} change(s) of an earlier run: run \`kubeferret cleanup --journal ${path}\` first`,
        );
      }
    }
  }
  const dir = dirname(resolve(path));
  try {
    makeDirs(dir, 0o700);
    probeWritable(dir);
  } catch (err) {
    throw new UsageError(`cannot write the journal in ${dir}: ${writeProblem(err)}`);
  }
}

/**
 * Appends records to a journal, each fsynced before `append` returns. The file is created 0600 on the
 * first record (a run that changes nothing leaves no journal).
 */
export class JournalWriter {
  private fd?: number;
  /** True once the file was opened for writing. */
  written = false;

  constructor(
    readonly path: string,
    private readonly header?: JournalHeader,
  ) {}

  /** A writer that continues an existing journal (`kubeferret cleanup`). */
  static continue(path: string): JournalWriter {
    return new JournalWriter(path);
  }

  static header(runId: string): JournalHeader {
    return {
      journal: 'kubeferret',
      version: JOURNAL_VERSION,
      runId,
      started: new Date().toISOString(),
      pid: process.pid,
      host: hostname(),
    };
  }

  get opened(): boolean {
    return this.fd !== undefined;
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    try {
      if (this.header) {
        makeDirs(dirname(resolve(this.path)), 0o700);
        const fd = openSync(this.path, 'w', 0o600);
        // A file that existed keeps its mode through 'w': make it private all the same.
        fchmodSync(fd, 0o600);
        this.fd = fd;
        this.write(this.header);
        syncDirectory(dirname(resolve(this.path)));
      } else {
        this.fd = openSync(this.path, 'a');
      }
    } catch (err) {
      throw new HuntFailedError(`cannot write journal ${this.path}: ${oneLine(err)}`);
    }
    this.written = true;
    return this.fd;
  }

  private write(value: unknown): void {
    const fd = this.fd!;
    writeSync(fd, `${JSON.stringify(value)}\n`);
    fsyncSync(fd);
  }

  append(record: JournalRecord): void {
    this.open();
    try {
      this.write(record);
    } catch (err) {
      throw new HuntFailedError(`cannot write journal ${this.path}: ${oneLine(err)}`);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Makes a new file's directory entry durable too, so a crash right after creating it keeps the file. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the file's own fsync still holds.
  }
}
