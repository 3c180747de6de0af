import type { HuntContext } from '../../core/hunter.js';
import type { Asker } from './access.js';
import { type ApiTarget, askApi, netFailure } from './api.js';
import { runMap } from './run-reads.js';
import { type Item, readEach, type Source } from './workloads.js';

// A resource read once per API server (its host) and run: the first identity that reads it in all namespaces to the
// end (no gap) reads for every identity after it. The findings of what was read are facts about objects,
// reported once whoever read them, so another identity's full read would add requests and nothing else;
// it only shows, with one object, that it may list the resource too. A partial read (a gap, one namespace
// only) suppresses nothing: the next identity reads in full.

/** Who read a resource completely, or is reading it: resolved with whether the read was complete. */
interface Claim {
  identity: string;
  complete: Promise<boolean>;
  /** What the reader kept of the objects for those after it (readOnce's `keep`). */
  kept: Item[];
}

/**
 * Claims by run (the run's HuntStarted event, one object per run, so they go with it) and by
 * `host resource`. A run without a HuntStarted event (a bare engine) shares nothing.
 */
const claims = new WeakMap<object, Map<string, Claim>>();

/** The outcome of one identity's turn at a resource. */
export type ReadOnce =
  /** `kept`: what `keep` kept of the objects this identity read. */
  | { kind: 'read'; count: number; where: string; complete: boolean; kept: readonly Item[] }
  /**
   * Another identity read it completely; this one showed it may list it too (`may` undefined: no answer).
   * `kept`: what the reader's `keep` kept of the objects.
   */
  | { kind: 'shared'; by: string; may: boolean | undefined; kept: readonly Item[] }
  | { kind: 'unreadable' };

/** One object of the resource, in all namespaces: whether the identity may list it, cheaply. */
export async function mayList(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
): Promise<boolean | undefined> {
  try {
    const answer = await askApi(ctx, target, {
      path: `${source.api}/${source.resource}?limit=1`,
      credential: asker.credential,
      ...(asker.host !== undefined && { host: asker.host }),
    });
    if (answer.kind === 'ok') return true;
    return answer.kind === 'denied' || answer.kind === 'unauthenticated' ? false : undefined;
  } catch (err) {
    ctx.log(`${asker.identity} listing one of ${source.resource}: ${netFailure(err)}`);
    return undefined;
  }
}

/**
 * readEach, once per server and run for a complete read: waits for an identity already reading the resource,
 * and when that read was complete in all namespaces, only asks for one object to show this identity may
 * list it too. Otherwise reads as readEach does (and, when complete, reads for those after it). `keep`
 * picks (and may slim) what of each object is kept: the reader gets it as `kept`, and so, when the read was
 * complete, do the identities after it; by default nothing is kept.
 */
export async function readOnce(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
  each: (item: Item) => void,
  keep: (item: Item) => Item | undefined = () => undefined,
): Promise<ReadOnce> {
  const all = runMap(ctx, claims);
  // By host, not port: the insecure port and the secure one are one API server, whose objects the
  // findings already locate by host alone.
  const key = `${target.host} ${source.api}/${source.resource}`;
  const earlier = all?.get(key);
  if (earlier && (await earlier.complete)) {
    const may = await mayList(ctx, target, asker, source);
    if (may !== false) {
      ctx.log(`${source.resource} at ${key}: ${earlier.identity}'s complete read used for ${asker.identity}`);
      return { kind: 'shared', by: earlier.identity, may, kept: earlier.kept };
    }
    // Refused everywhere: what it may read is its own namespace, read as readEach reads (not shared).
  }
  let settle: (complete: boolean) => void = () => undefined;
  const claim: Claim = { identity: asker.identity, complete: new Promise((resolve) => (settle = resolve)), kept: [] };
  all?.set(key, claim);
  let cut = false;
  // A gap readEach records is a read that was not complete: it must not stand for anyone else's.
  const watched: HuntContext = {
    ...ctx,
    gap: (gap, parents) => {
      cut = true;
      return ctx.gap(gap, parents);
    },
  };
  let complete = false;
  try {
    const read = await readEach(watched, target, asker, source, (item) => {
      each(item);
      const kept = keep(item);
      if (kept !== undefined) claim.kept.push(kept);
    });
    if (!read) return { kind: 'unreadable' };
    complete = !cut && !ctx.signal.aborted && read.where === 'all namespaces';
    return { kind: 'read', count: read.count, where: read.where, complete, kept: claim.kept };
  } finally {
    settle(complete);
    // Nobody reads for others after an incomplete read: the next identity claims it afresh.
    if (!complete && all?.get(key) === claim) all.delete(key);
  }
}
