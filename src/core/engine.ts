import { getHeapStatistics } from 'node:v8';
import { unknownKbIds } from '../kb/index.js';
import type { Network } from '../net/network.js';
import type { ChangeRecorder } from './changes.js';
import { oneLine } from './errors.js';
import {
  type CredentialSecret,
  type EventPayloads,
  type EventType,
  hostOf,
  type KfEvent,
  subjectOf,
} from './events.js';
import { collectGarbage } from './gc.js';
import type { AnyHunter, HuntContext, Hunter, HuntOptions, PublishOptions } from './hunter.js';

/** How long a hunter past its deadline may still publish what it examined (its reads end on the abort). */
const ABORT_GRACE_MS = 1_000;

/** New hunter runs wait once memory passes this share of the budget (or of V8's heap limit). */
const MEMORY_NEAR = 0.9;
/** ... as long as what is live (JavaScript heap and buffers) is at least this share of the budget. */
const LIVE_SHARE = 0.5;
/** How long queued work waits, with nothing running, for memory to come back under the budget. */
const BUDGET_WAIT_MS = 2_000;
/** Share of the budget past which garbage is collected while the run goes (keepMemory), and how often at most. */
const COLLECT_AT = 0.5;
const COLLECT_EVERY_MS = 250;
const MIB = 1024 * 1024;

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export interface EngineOptions {
  /** Hunter runs in flight at once, across all hosts. */
  concurrency: number;
  /** Hunter runs in flight at once against one host. */
  perHost: number;
  /** Time a hunter gets for one subject, ms. */
  hunterTimeoutMs: number;
  /**
   * The run's memory budget in bytes (resident set). Near it, new hunter runs wait for running ones to
   * end; what still cannot start, with nothing running, is skipped as a CoverageGap 'budget'. Absent: no budget.
   */
  maxMemoryBytes?: number;
  /** Called with one line for each hunter failure or warning, as it happens. */
  onProblem?: (line: string) => void;
  /** Called for every event published (progress display, live output). */
  onEvent?: (event: KfEvent) => void;
  onDebug?: (line: string) => void;
  /** Active hunting: journals and undoes the changes of active hunters (absent: they cannot change anything). */
  changes?: ChangeRecorder;
  /** The run's id, for the names of objects active hunters create. */
  runId?: string;
}

/** The same credential, whichever copy of it a hunter holds. */
function sameSecret(a: CredentialSecret, b: CredentialSecret): boolean {
  if (a === b) return true;
  if (a.token || b.token) return a.token === b.token;
  if (a.clientCert || b.clientCert) return a.clientCert === b.clientCert && a.clientKey === b.clientKey;
  return a.username !== undefined && a.username === b.username && a.password === b.password;
}

/** A hunter that threw, timed out, or warned: one line each, kept for the report. */
export interface HunterProblem {
  hunter: string;
  subject: string;
  kind: 'error' | 'timeout' | 'warning';
  message: string;
}

interface Task {
  hunter: AnyHunter;
  event: KfEvent;
  subject: string;
  host: string;
}

export interface EngineStats {
  hunterRuns: number;
  huntersRun: string[];
  events: number;
}

/**
 * The event bus and its scheduler. Events are published (by discovery or hunters); each hunter whose
 * subscription matches runs once per subject, within overall and per-host concurrency bounds and a
 * timeout. A hunter that throws or hangs is reported in one line and the hunt goes on. `run()` resolves
 * when nothing is queued, nothing runs and no producer holds the bus open.
 */
export class Engine {
  readonly events: KfEvent[] = [];
  readonly problems: HunterProblem[] = [];
  private readonly byKey = new Map<string, KfEvent>();
  /** The events of each type, in order: `known` reads one type without walking every event. */
  private readonly byType = new Map<EventType, KfEvent[]>();
  private readonly ran = new Set<string>();
  private readonly queue: Task[] = [];
  private readonly perHostRunning = new Map<string, number>();
  private readonly hunterIds = new Set<string>();
  private readonly stopController = new AbortController();
  private running = 0;
  private holds = 0;
  private hunterRuns = 0;
  private seq = 0;
  private idleWaiters: Array<() => void> = [];
  private settled = false;
  /** Set while queued work waits, with nothing running, for memory to fall under the budget. */
  private budgetTimer?: NodeJS.Timeout;

  constructor(
    private readonly hunters: readonly AnyHunter[],
    private readonly network: Network,
    private readonly huntOptions: HuntOptions,
    private readonly options: EngineOptions,
  ) {
    const ids = new Set<string>();
    for (const h of hunters) {
      if (ids.has(h.id)) throw new Error(`two hunters share the id ${h.id}`);
      ids.add(h.id);
      // A typo in a knowledge-base id is a bug in the hunter: it stops the run before anything is sent,
      // instead of surfacing as a finding with no title and severity info.
      const unknown = unknownKbIds(h.reports ?? []);
      if (unknown.length > 0) {
        throw new Error(`hunter ${h.id} declares ${unknown.join(', ')} in \`reports\`, not in the knowledge base`);
      }
    }
  }

  get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /**
   * Publishes an event. An event with the same type and subject as an earlier one is not published
   * again: the earlier one is returned, so repeated facts cannot loop. With `replace`, the new event takes
   * the earlier one's place instead (a fact made exact by what was learned later, such as a shorter attack
   * path): later readers and the report see only the new one.
   */
  publish<K extends EventType>(
    type: K,
    payload: EventPayloads[K],
    parents: string[] = [],
    publisher = 'discovery',
    options: PublishOptions = {},
  ): KfEvent<K> {
    const draft = { ...payload, type } as unknown as KfEvent;
    const key = `${type}\0${subjectOf(draft)}`;
    const existing = this.byKey.get(key);
    if (existing && !options.replace) return existing as KfEvent<K>;
    const event = {
      id: `e${++this.seq}`,
      type,
      parents,
      publisher,
      time: new Date().toISOString(),
      ...payload,
    } as unknown as KfEvent<K>;
    this.byKey.set(key, event);
    const ofType = this.byType.get(type);
    if (existing) {
      // In place, so that the order of events stays the order their subjects were first published in.
      this.events[this.events.indexOf(existing)] = event;
      ofType![ofType!.indexOf(existing)] = event;
    } else {
      this.events.push(event);
      if (ofType) ofType.push(event);
      else this.byType.set(type, [event]);
    }
    this.options.onEvent?.(event);
    if (!this.stopped) this.dispatch(event);
    return event;
  }

  private dispatch(event: KfEvent): void {
    for (const hunter of this.hunters) {
      if (hunter.on !== event.type) continue;
      const h = hunter as Hunter<EventType>;
      try {
        if (h.when && !h.when(event)) continue;
        const subject = h.subject ? h.subject(event) : subjectOf(event);
        const key = `${h.id}\0${subject}`;
        if (this.ran.has(key)) continue;
        this.ran.add(key);
        this.queue.push({ hunter, event, subject, host: hostOf(event) ?? '' });
      } catch (err) {
        const message = `predicate failed: ${oneLine(err)}`;
        this.problem({ hunter: h.id, subject: event.id, kind: 'error', message });
        this.recordGap(h.id, event, { subject: subjectOf(event), reason: 'error', detail: message });
      }
    }
    this.pump();
  }

  /** Events of a type published so far, optionally filtered. */
  known<K extends EventType>(type: K, filter?: (event: KfEvent<K>) => boolean): KfEvent<K>[] {
    const ofType = (this.byType.get(type) ?? []) as KfEvent<K>[];
    return filter ? ofType.filter(filter) : [...ofType];
  }

  /** Keeps the run open while an outside producer (discovery) is still publishing. Call the result once done. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.checkIdle();
    };
  }

  /** Resolves when the bus is idle: nothing queued, nothing running, no holds. */
  run(): Promise<EngineStats> {
    const keeper = this.keepMemory();
    return new Promise((resolve) => {
      this.idleWaiters.push(() => {
        clearInterval(keeper);
        resolve({ hunterRuns: this.hunterRuns, huntersRun: [...this.hunterIds].sort(), events: this.events.length });
      });
      this.pump();
      this.checkIdle();
    });
  }

  /**
   * While the run goes, garbage is collected once resident memory passes a share of the budget. V8 sizes
   * its heap by the machine, not by the budget: on a large machine the garbage of pages already read (a
   * list of 20,000 pods parsed page by page) piled up to three times what the run held, past the budget,
   * though nothing was live. At most one collection a second, and none below the share.
   */
  private keepMemory(): NodeJS.Timeout | undefined {
    const budget = this.options.maxMemoryBytes;
    if (budget === undefined) return undefined;
    let last = 0;
    const keeper = setInterval(() => {
      if (process.memoryUsage.rss() < budget * COLLECT_AT || Date.now() - last < COLLECT_EVERY_MS) return;
      last = Date.now();
      collectGarbage();
    }, 100);
    keeper.unref();
    return keeper;
  }

  /**
   * Stops scheduling: running hunters are aborted, queued ones dropped. What was dropped is a coverage gap
   * per hunter (the running ones are each a gap of their own, once they return): a stopped run says what
   * it did not look at.
   */
  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopController.abort(new Error(reason));
    clearTimeout(this.budgetTimer);
    this.budgetTimer = undefined;
    const dropped = new Map<string, Task[]>();
    for (const task of this.queue) dropped.set(task.hunter.id, [...(dropped.get(task.hunter.id) ?? []), task]);
    this.queue.length = 0;
    for (const [hunter, tasks] of dropped) {
      const first = tasks[0];
      const subject = tasks.length === 1 ? first.subject : `${tasks.length} subjects (${first.subject}, …)`;
      this.recordGap(hunter, tasks.length === 1 ? first.event : undefined, {
        subject,
        reason: 'skipped',
        detail: `${reason} before it started`,
      });
    }
    if (!this.settled) {
      // The hunters that judge on every fact never get their turn: say so rather than stay silent.
      this.settled = true;
      for (const h of this.hunters.filter((x) => x.on === 'HuntSettled')) {
        this.publish(
          'CoverageGap',
          {
            hunter: h.id,
            subject: h.title,
            reason: 'skipped',
            detail: `not run: the hunt was ${reason} before every fact was gathered`,
          },
          [],
          'engine',
        );
      }
    }
    this.checkIdle();
  }

  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  /**
   * A hunter run that could not examine its subject fully, recorded by the engine itself (the hunter
   * timed out, threw, or was stopped): published as a CoverageGap even after a stop, since the report of
   * an interrupted run must still say what it missed.
   */
  private recordGap(
    hunter: string,
    event: KfEvent | undefined,
    gap: Pick<EventPayloads['CoverageGap'], 'subject' | 'reason' | 'detail'>,
  ): void {
    const host = event ? hostOf(event) : undefined;
    const port = event && 'port' in event && typeof event.port === 'number' ? event.port : undefined;
    // A run's subject is often just the endpoint ("10.0.0.5:10250"), which host and port already say.
    const subject = gap.subject === `${host}:${port}` ? `port ${port}` : gap.subject;
    this.publish(
      'CoverageGap',
      { hunter, ...(host !== undefined && { host }), ...(port !== undefined && { port }), ...gap, subject },
      event ? [event.id] : [],
      hunter,
    );
  }

  private problem(p: HunterProblem): void {
    this.problems.push(p);
    this.options.onProblem?.(`${p.hunter} on ${p.subject}: ${p.message}`);
  }

  private checkIdle(): void {
    if (this.budgetTimer && !this.stopped) return;
    if (this.running === 0 && this.holds === 0 && (this.queue.length === 0 || this.stopped)) {
      // Idle while someone waits for the end: the facts are all in, so the hunters that judge on all of
      // them get their turn, once; the run ends when they (and whatever they publish) are done.
      if (!this.settled && !this.stopped && this.idleWaiters.length > 0) {
        this.settled = true;
        if (this.hunters.some((h) => h.on === 'HuntSettled')) {
          this.publish('HuntSettled', {}, [], 'engine');
          return;
        }
      }
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Why memory is too near the budget (or V8's heap limit) to start new work; undefined when it is not. */
  private memoryPressure(): string | undefined {
    const budget = this.options.maxMemoryBytes;
    if (budget === undefined) return undefined;
    const rss = process.memoryUsage.rss();
    if (rss >= budget * MEMORY_NEAR) {
      // Resident memory seldom shrinks once freed (the allocator keeps its pages for reuse): only when
      // what is live is a large share of it too is new work refused, not for a spike that has passed.
      const { heapUsed, external } = process.memoryUsage();
      if (heapUsed + external >= budget * LIVE_SHARE) {
        return `memory near the run's budget (${Math.round(rss / MIB)} MiB resident, ${Math.round((heapUsed + external) / MIB)} MiB live, of ${Math.round(budget / MIB)} MiB)`;
      }
    }
    // Past V8's heap limit the process dies whatever the budget says: its share is a budget too.
    const heap = getHeapStatistics();
    if (heap.used_heap_size >= heap.heap_size_limit * MEMORY_NEAR) {
      return `memory near the JavaScript heap limit (${Math.round(heap.used_heap_size / MIB)} of ${Math.round(heap.heap_size_limit / MIB)} MiB)`;
    }
    return undefined;
  }

  /**
   * Work waits while memory is near the budget. With hunters running, their end pumps again; with none
   * running, only collected garbage can free memory (a collection is asked for): after BUDGET_WAIT_MS of that, what is queued is
   * skipped, each run its own CoverageGap 'budget', so the report names every port and hunter not examined.
   */
  private waitForMemory(): void {
    if (this.running > 0 || this.budgetTimer) return;
    const started = Date.now();
    const check = () => {
      this.budgetTimer = undefined;
      if (this.stopped) return this.checkIdle();
      // Nothing runs: what is not garbage now is what the run holds. One collection per check.
      collectGarbage();
      const pressure = this.memoryPressure();
      if (pressure && Date.now() - started < BUDGET_WAIT_MS) {
        this.budgetTimer = setTimeout(check, 100);
        return;
      }
      if (pressure && this.running === 0) {
        const skipped = this.queue.splice(0);
        for (const task of skipped) {
          this.recordGap(task.hunter.id, task.event, {
            subject: task.subject,
            reason: 'budget',
            detail: `not run: ${pressure}, see --max-memory`,
          });
        }
      }
      this.pump();
    };
    this.budgetTimer = setTimeout(check, 100);
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0 && !this.stopped) {
      if (this.memoryPressure()) {
        this.waitForMemory();
        break;
      }
      const index = this.queue.findIndex((t) => (this.perHostRunning.get(t.host) ?? 0) < this.options.perHost);
      if (index < 0) break;
      const [task] = this.queue.splice(index, 1);
      this.start(task);
    }
    this.checkIdle();
  }

  private start(task: Task): void {
    this.running++;
    this.hunterRuns++;
    this.hunterIds.add(task.hunter.id);
    this.perHostRunning.set(task.host, (this.perHostRunning.get(task.host) ?? 0) + 1);
    this.execute(task).finally(() => {
      this.running--;
      const n = (this.perHostRunning.get(task.host) ?? 1) - 1;
      if (n === 0) this.perHostRunning.delete(task.host);
      else this.perHostRunning.set(task.host, n);
      this.pump();
    });
  }

  /** A hunter still running when the run was stopped may have returned early: it did not finish its subject. */
  private stoppedGap(task: Task): void {
    const why =
      this.stopController.signal.reason instanceof Error ? this.stopController.signal.reason.message : 'stopped';
    this.recordGap(task.hunter.id, task.event, {
      subject: task.subject,
      reason: 'skipped',
      detail: `${why} while it was running`,
    });
  }

  private async execute(task: Task): Promise<void> {
    const { hunter, event, subject } = task;
    const timeoutMs = hunter.timeoutMs ?? this.options.hunterTimeoutMs;
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.stopController.signal]);
    let finished = false;
    const changes = hunter.mode === 'active' ? this.options.changes?.open(hunter.id, signal) : undefined;
    const ctx: HuntContext = {
      hunter: hunter.id,
      signal,
      // The hunter's read-only POSTs are retried like GETs; a request that could not be completed is its gap.
      net: this.network.for(hunter.id, signal, {
        readOnly: hunter.readOnlyRequests,
        gap: (gap) => ctx.gap(gap),
        nameOf: (secret) => this.known('Credential').find((c) => sameSecret(c.secret, secret))?.name,
      }),
      options: this.huntOptions,
      publish: (type, payload, parents, options) => {
        if (finished) {
          // A hunter abandoned after its timeout must not add facts to a run that moved on.
          this.options.onDebug?.(`${hunter.id}: ignored a ${type} published after its run ended`);
          return {
            id: 'late',
            type,
            parents: [],
            publisher: hunter.id,
            time: new Date().toISOString(),
            ...payload,
          } as never;
        }
        return this.publish(type, payload, parents ?? [event.id], hunter.id, options);
      },
      report: (finding, parents, options) => {
        if (!hunter.reports?.includes(finding.kb)) {
          throw new Error(`reported ${finding.kb}, which is not in its \`reports\``);
        }
        return ctx.publish('Finding', finding, parents, options);
      },
      gap: (gap, parents) => ctx.publish('CoverageGap', { ...gap, hunter: hunter.id }, parents),
      known: (type, filter) => this.known(type, filter),
      log: (message, level = 'debug') => {
        if (level === 'warn') this.problem({ hunter: hunter.id, subject, kind: 'warning', message });
        else this.options.onDebug?.(`${hunter.id} on ${subject}: ${message}`);
      },
      runId: this.options.runId ?? '',
      change: async (spec) => {
        if (!changes) throw new Error(`${hunter.id} cannot change anything: only active hunters of an active run can`);
        return changes.change(spec);
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const running = Promise.resolve().then(() => (hunter as Hunter<EventType>).hunt(event, ctx));
      // An abandoned (timed-out) hunter may still reject later; that must not become an unhandled rejection.
      running.catch(() => undefined);
      const outcome = await Promise.race([running.then(() => 'done' as const), timeout]);
      if (outcome === 'timeout') {
        controller.abort(new Error('hunter timed out'));
        const message = `timed out after ${timeoutMs} ms`;
        this.problem({ hunter: hunter.id, subject, kind: 'timeout', message });
        // A moment to report what it examined before the deadline (a list read in part, and its coverage
        // gap): its reads end at once on the abort, and what it publishes after the grace is dropped.
        await Promise.race([running.catch(() => undefined), sleep(ABORT_GRACE_MS)]);
        this.recordGap(hunter.id, event, { subject, reason: 'deadline', detail: message });
      } else if (this.stopped) {
        this.stoppedGap(task);
      }
    } catch (err) {
      if (this.stopped) {
        this.stoppedGap(task);
      } else {
        const message = oneLine(err);
        this.problem({ hunter: hunter.id, subject, kind: 'error', message });
        this.recordGap(hunter.id, event, { subject, reason: 'error', detail: message });
      }
    } finally {
      finished = true;
      clearTimeout(timer);
      // Whatever the hunter left in place is undone before its run counts as over, even on failure or stop.
      await changes?.close();
    }
  }
}
