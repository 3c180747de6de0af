import type { EventPayloads } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';

// Reads several hunters make with the same identity (the pods, the RBAC objects) are made once per run:
// the first caller reads, the others wait for its result and use it. What the read could not examine is
// each caller's coverage gap: the gaps the first caller published while reading are published again by
// every later caller, as its own (a cut read cuts every consumer's view of it). The read runs under the
// first caller's context, so its deadline (or the run stopping) may cut it: a read cut that way is the
// first caller's alone, and a later caller with time of its own reads again.

type Gap = Omit<EventPayloads['CoverageGap'], 'hunter'>;

interface Held {
  value: unknown;
  gaps: Gap[];
  /** The reader's context was aborted before the read ended (its deadline, or the run stopping). */
  cut: boolean;
}

/** By run (its HuntStarted event, so the reads go with it) and key. */
const runs = new WeakMap<object, Map<string, Promise<Held>>>();

/**
 * `read` once per run and `key` (which names the server, the identity and what is read): the first caller
 * reads (its gaps published as they come), a later one gets the same value and publishes the same gaps as
 * its own. A read that failed is forgotten, so the next caller reads again; so is a read its reader's
 * deadline cut (its context aborted before it ended): a caller waiting for it, or coming after, reads again
 * under its own context, unless that is aborted too (then the cut read and its gaps are its own as well).
 * A run without a HuntStarted event (a bare engine) shares nothing.
 */
export async function readForRun<T>(ctx: HuntContext, key: string, read: (ctx: HuntContext) => Promise<T>): Promise<T> {
  const reads = runMap(ctx, runs);
  const earlier = reads?.get(key);
  if (earlier) {
    const held = await earlier;
    if (held.cut && !ctx.signal.aborted) {
      if (reads?.get(key) === earlier) reads.delete(key);
      ctx.log(`${key}: read again, the read before was cut by its reader's deadline`);
      return readForRun(ctx, key, read);
    }
    for (const gap of held.gaps) ctx.gap(gap);
    return held.value as T;
  }
  const gaps: Gap[] = [];
  const watched: HuntContext = {
    ...ctx,
    gap: (gap, parents) => {
      gaps.push(gap);
      return ctx.gap(gap, parents);
    },
  };
  const held = read(watched).then((value) => ({ value, gaps, cut: ctx.signal.aborted }));
  reads?.set(key, held);
  try {
    const { value, cut } = await held;
    // Forgotten at once: a caller coming after reads again rather than wait for a read that stands for nobody.
    if (cut && reads?.get(key) === held) reads.delete(key);
    return value as T;
  } catch (err) {
    if (reads?.get(key) === held) reads.delete(key);
    throw err;
  }
}

/**
 * A map that lives as long as the run: kept under the run's HuntStarted event (one object per run, so it
 * goes with it). Undefined for a run without one (a bare engine), which then shares nothing.
 */
export function runMap<V>(ctx: HuntContext, registry: WeakMap<object, Map<string, V>>): Map<string, V> | undefined {
  const run = ctx.known('HuntStarted')[0];
  if (!run) return undefined;
  let map = registry.get(run);
  if (!map) {
    map = new Map();
    registry.set(run, map);
  }
  return map;
}
