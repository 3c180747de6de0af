import { hostname } from 'node:os';
import type { UndoOutcome } from '../core/changes.js';
import { UsageError } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';
import type { Network } from '../net/network.js';
import { hostOfUrl, Scope } from '../net/scope.js';
import { type JournalEntry, type JournalState, JournalWriter, mayRemain, pendingOf, undoOrder } from './journal.js';
import { DEFAULT_UNDO_WAIT_MS, deniedStatus, sendUndo } from './send.js';

/** An identity given to `kubeferret cleanup` with the same flags as `hunt`. */
export interface CleanupIdentity {
  name: string;
  secret: CredentialSecret;
}

/** What became of each change a replay looked at, each outcome under its own name. */
export interface ReplayResult {
  undone: number;
  /** Already gone when the undo came (404). */
  gone: number;
  /** Changes to an object that was undone (a patch of it): gone with it, no request of their own. */
  withObject: number;
  /** Deletion accepted but the object still there at the deadline (a Terminating namespace): still pending. */
  terminating: { entry: JournalEntry; error: string }[];
  failed: { entry: JournalEntry; error: string }[];
}

/** True when the run that wrote the journal is still alive on this machine (it cleans up after itself). */
export function writerAlive(state: JournalState): boolean {
  if (state.ended || state.header.host !== hostname() || state.header.pid === process.pid) return false;
  try {
    process.kill(state.header.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The addresses a replay may contact: exactly the hosts of the undo requests still to send. */
export function cleanupScope(entries: JournalEntry[]): Scope {
  const scope = new Scope();
  for (const e of entries) {
    const host = hostOfUrl(e.change.undo.url);
    try {
      scope.addText(host);
    } catch {
      throw new UsageError(`journal: the undo of ${e.change.id} names ${host}, which is not an address`);
    }
  }
  return scope;
}

/**
 * Who to try for one undo: the identity that made the change when it needs no secret or was given again,
 * then every other identity given (an administrator may undo what a found token did).
 */
function candidates(entry: JournalEntry, given: CleanupIdentity[]): { label: string; secret?: CredentialSecret }[] {
  const recorded = entry.change.identity;
  const out: { label: string; secret?: CredentialSecret }[] = [];
  if (recorded.credential === undefined) out.push({ label: recorded.name });
  const same = given.find((g) => g.name === recorded.credential);
  if (same) out.push({ label: same.name, secret: same.secret });
  for (const g of given) if (g !== same) out.push({ label: g.name, secret: g.secret });
  return out;
}

/**
 * Replays a journal left by a run that did not finish its clean-up: every change that may still be in
 * place is undone, newest first; 404 counts as already undone, so a replay can be repeated. Each outcome
 * is appended to the journal.
 */
export async function replayJournal(
  state: JournalState,
  network: Network,
  identities: CleanupIdentity[],
  log: (line: string) => void,
  undoWaitMs = DEFAULT_UNDO_WAIT_MS,
): Promise<ReplayResult> {
  const writer = JournalWriter.continue(state.path);
  const result: ReplayResult = { undone: 0, gone: 0, withObject: 0, terminating: [], failed: [] };
  const net = network.for('cleanup');
  const undoOne = async (entry: JournalEntry): Promise<void> => {
    const { change } = entry;
    let outcome: UndoOutcome | undefined;
    let by = '';
    for (const t of candidates(entry, identities)) {
      outcome = await sendUndo(net, change.undo, t.secret, { deadlineMs: undoWaitMs });
      by = t.label;
      if (!deniedStatus(outcome)) break;
    }
    if (outcome?.state === 'terminating') {
      // Accepted, not yet gone: the change stays pending, so a later replay looks again.
      const error = outcome.error ?? 'still terminating';
      entry.state = 'failed';
      result.terminating.push({ entry, error });
      writer.append({ op: 'undo-failed', id: change.id, error, by: `cleanup as ${by}` });
      log(`still terminating: ${change.undo.description} (as ${by}): ${error.replace(/^still terminating: /, '')}`);
      return;
    }
    if (!outcome || outcome.state === 'failed') {
      const error =
        outcome?.error ??
        `made by ${change.identity.name}, whose secret is not journalled: give it (or an identity that may undo it) with --kubeconfig, --token-file or --pod`;
      entry.state = 'failed';
      result.failed.push({ entry, error });
      writer.append({ op: 'undo-failed', id: change.id, error, by: outcome ? `cleanup as ${by}` : 'cleanup' });
      log(`not undone: ${change.undo.description}${outcome ? ` as ${by}` : ''}: ${error}`);
      return;
    }
    entry.state = 'undone';
    writer.append({ op: 'undone', id: change.id, status: outcome.response?.status ?? 0, by: `cleanup as ${by}` });
    if (outcome.state === 'gone') {
      result.gone++;
      log(`already gone: ${change.undo.description}`);
    } else {
      result.undone++;
      log(`undone: ${change.undo.description} (as ${by})`);
    }
  };
  try {
    const { first, then } = undoOrder(pendingOf(state), mayRemain);
    for (const entry of first) await undoOne(entry);
    for (const entry of then) {
      if (entry.parent?.state === 'undone') {
        entry.state = 'undone';
        writer.append({ op: 'undone', id: entry.change.id, status: 0, by: `with ${entry.parent.change.id}` });
        result.withObject++;
        log(`undone with its object: ${entry.change.undo.description}`);
      } else await undoOne(entry);
    }
    writer.append({
      op: 'end',
      time: new Date().toISOString(),
      pending: result.failed.length + result.terminating.length,
    });
  } finally {
    writer.close();
  }
  return result;
}
