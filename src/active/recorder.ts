import { rmSync } from 'node:fs';
import type {
  Change,
  ChangeIdentity,
  ChangeOutcome,
  ChangeRecorder,
  ChangeSession,
  ChangeSpec,
  PlannedRequest,
  UndoOutcome,
} from '../core/changes.js';
import { NetError, oneLine } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';
import type { HttpResponse, Network } from '../net/network.js';
import {
  type ChangeState,
  type JournalChange,
  type JournalIdentity,
  JournalWriter,
  mayRemain,
  undoOrder,
} from './journal.js';
import { DEFAULT_UNDO_WAIT_MS, isSuccess, sendChange, sendUndo } from './send.js';

/** The secret an identity authenticates with, and where it came from; throws when it is unknown. */
export type SecretLookup = (identity: ChangeIdentity, url: string) => { secret?: CredentialSecret; source?: string };

export interface ActiveRunOptions {
  runId: string;
  dryRun: boolean;
  journalPath: string;
  /** Keep the journal once everything is undone (the user named it with --journal). */
  keepJournal: boolean;
  network: Network;
  secretOf: SecretLookup;
  onDebug?: (line: string) => void;
  /** How long an undo waits for a deleted object to be gone (`confirmGone`); default DEFAULT_UNDO_WAIT_MS. */
  undoWaitMs?: number;
}

interface Entry {
  seq: number;
  record: JournalChange;
  /** The entry of the change that created the object this one changed. */
  parent?: Entry;
  change: Change;
  state: ChangeState;
  undoing?: Promise<UndoOutcome>;
  last?: UndoOutcome;
}

/** Failures that prove the request never reached the server (no connection, or no TLS session). */
const NEVER_SENT = new Set(['out-of-scope', 'refused', 'unreachable', 'tls']);

/**
 * The active side of a run: every change an active hunter makes goes through here. It journals the undo
 * step before the change is sent, records the change for the report, undoes what a hunter left in place
 * when its run ends, and undoes everything still in place when the run ends or stops. In a dry run it only
 * records the requests it would have sent.
 */
export class ActiveRun implements ChangeRecorder {
  readonly runId: string;
  readonly changes: Change[] = [];
  readonly plan: PlannedRequest[] = [];
  private readonly journal: JournalWriter;
  private readonly entries: Entry[] = [];
  private readonly byOutcome = new WeakMap<ChangeOutcome, Entry>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopping = false;
  private seq = 0;

  constructor(private readonly options: ActiveRunOptions) {
    this.runId = options.runId;
    this.journal = new JournalWriter(options.journalPath, JournalWriter.header(options.runId));
  }

  get journalPath(): string {
    return this.options.journalPath;
  }

  /** True once a change was journalled (the journal file was written). */
  get journalWritten(): boolean {
    return this.journal.written;
  }

  /** Changes that may still be in place. */
  get pending(): Change[] {
    return this.entries.filter(mayRemain).map((e) => e.change);
  }

  open(hunter: string, signal: AbortSignal): ChangeSession {
    const mine: Entry[] = [];
    let closed = false;
    return {
      change: async (spec) => {
        if (closed || this.stopping || signal.aborted) {
          throw new NetError('aborted', `${spec.action}: not made, the hunter's run is over or the run is stopping`);
        }
        return this.change(hunter, spec, signal, mine);
      },
      close: async () => {
        closed = true;
        await this.undoAll(mine, 'hunter-end');
      },
    };
  }

  private async change(hunter: string, spec: ChangeSpec, signal: AbortSignal, mine: Entry[]): Promise<ChangeOutcome> {
    const { identity } = spec;
    if (this.options.dryRun) {
      this.plan.push({
        hunter,
        identity: identity.name,
        action: spec.action,
        request: spec.apply,
        ...(spec.undo && { undo: spec.undo }),
      });
      return { state: 'planned', undo: async () => ({ state: 'planned' }) };
    }
    const { secret, source } = this.options.secretOf(identity, spec.apply.url);
    const net = this.options.network.for(hunter, signal);
    if (!spec.undo) {
      const response = await sendChange(net, spec.apply, secret, signal);
      return {
        state: isSuccess(response.status) ? 'applied' : 'refused',
        response,
        undo: async () => ({ state: 'none' }),
      };
    }
    const parent = spec.partOf ? this.byOutcome.get(spec.partOf) : undefined;
    const id = `c${++this.seq}`;
    const journalIdentity: JournalIdentity = {
      name: identity.name,
      ...(identity.credential !== undefined && { credential: identity.credential }),
      ...(source !== undefined && { source }),
    };
    const record: JournalChange = {
      op: 'change',
      id,
      time: new Date().toISOString(),
      hunter,
      identity: journalIdentity,
      action: spec.action,
      target: spec.target,
      apply: { method: spec.apply.method, url: spec.apply.url },
      undo: spec.undo,
      ...(parent && { partOf: parent.record.id }),
    };
    // The undo step is on disk before the change leaves: a run killed from here on can be cleaned up.
    this.journal.append(record);
    const entry: Entry = {
      seq: this.seq,
      record,
      parent,
      state: 'pending',
      change: {
        id,
        hunter,
        identity: identity.name,
        action: spec.action,
        target: spec.target,
        time: record.time,
        undo: spec.undo.description,
        undone: false,
      },
    };
    this.entries.push(entry);
    mine.push(entry);
    const sending = sendChange(net, spec.apply, secret, signal);
    this.track(sending);
    let response: HttpResponse;
    try {
      response = await sending;
    } catch (err) {
      if (err instanceof NetError && NEVER_SENT.has(err.kind)) {
        entry.state = 'refused';
        this.journal.append({ op: 'refused', id, status: 0 });
      } else {
        // No answer: the change may have been made. It stays pending and is undone like any other.
        this.changes.push(entry.change);
      }
      throw err;
    }
    if (isSuccess(response.status)) {
      entry.state = 'applied';
      this.journal.append({ op: 'applied', id, status: response.status });
      this.changes.push(entry.change);
    } else {
      entry.state = 'refused';
      this.journal.append({ op: 'refused', id, status: response.status });
      this.options.onDebug?.(`${hunter}: ${spec.action} refused with ${response.status}`);
    }
    const outcome: ChangeOutcome = {
      state: entry.state === 'applied' ? 'applied' : 'refused',
      response,
      undo: () => this.undo(entry, hunter),
    };
    this.byOutcome.set(outcome, entry);
    return outcome;
  }

  private track(p: Promise<unknown>): void {
    const settled = p.catch(() => undefined).finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
  }

  private undo(entry: Entry, by: string): Promise<UndoOutcome> {
    if (entry.state === 'refused') return Promise.resolve({ state: 'none' });
    if (entry.state === 'undone') return Promise.resolve(entry.last ?? { state: 'undone' });
    entry.undoing ??= this.sendUndo(entry, by).finally(() => {
      entry.undoing = undefined;
    });
    return entry.undoing;
  }

  private async sendUndo(entry: Entry, by: string): Promise<UndoOutcome> {
    const { record } = entry;
    let outcome: UndoOutcome;
    try {
      const { secret } = this.options.secretOf(record.identity, record.undo.url);
      // An object already seen Terminating is looked at once more, not waited for again.
      const deadlineMs = entry.last?.state === 'terminating' ? 0 : (this.options.undoWaitMs ?? DEFAULT_UNDO_WAIT_MS);
      outcome = await sendUndo(this.options.network.for(record.hunter), record.undo, secret, { deadlineMs });
    } catch (err) {
      outcome = { state: 'failed', error: oneLine(err) };
    }
    const before = entry.last;
    entry.last = outcome;
    try {
      if (outcome.state === 'failed' || outcome.state === 'terminating') {
        entry.state = 'failed';
        // Seen Terminating again: the first account (our deletion, the time waited) says more than the 409.
        const again = before?.state === 'terminating' && outcome.state === 'terminating';
        if (!again) entry.change.undoError = outcome.error;
        this.journal.append({ op: 'undo-failed', id: record.id, error: outcome.error ?? 'failed', by });
      } else {
        this.markUndone(entry, outcome.response?.status ?? 0, by);
        // The object is gone, and with it every change made to it.
        for (const child of this.entries) {
          if (child.parent === entry && mayRemain(child)) this.markUndone(child, 0, `with ${record.id}`);
        }
      }
    } catch (err) {
      this.options.onDebug?.(`journal: ${oneLine(err)}`);
    }
    return outcome;
  }

  private markUndone(entry: Entry, status: number, by: string): void {
    entry.state = 'undone';
    entry.change.undone = true;
    entry.change.undoError = undefined;
    this.journal.append({ op: 'undone', id: entry.record.id, status, by });
  }

  /** Undoes the given entries that may still be in place, newest first, after their changes were answered. */
  private async undoAll(entries: Entry[], by: string): Promise<void> {
    await Promise.all([...this.inflight]);
    const { first, then } = undoOrder([...entries].reverse().filter(mayRemain), mayRemain);
    for (const entry of first) await this.undo(entry, by);
    for (const entry of then) if (mayRemain(entry)) await this.undo(entry, by);
  }

  /**
   * The run is over (or stopping): no change is accepted any more; everything still in place is undone,
   * newest first. The journal gets its end mark; it is removed when nothing is left and the user did not
   * name it. Returns the changes that could not be undone.
   */
  async settle(by = 'run-end'): Promise<Change[]> {
    this.stopping = true;
    await this.undoAll(this.entries, by);
    const left = this.pending;
    if (this.journal.opened) {
      try {
        this.journal.append({ op: 'end', time: new Date().toISOString(), pending: left.length });
      } catch (err) {
        this.options.onDebug?.(`journal: ${oneLine(err)}`);
      }
      this.journal.close();
      if (left.length === 0 && !this.options.keepJournal) rmSync(this.journal.path, { force: true });
    }
    return left;
  }
}
