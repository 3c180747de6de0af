import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HuntContext } from '../../core/hunter.js';
import type { SpecWeakness } from '../../kubernetes/pod-spec.js';
import { podFact } from '../../paths/facts.js';
import type { PodFact } from '../../paths/graph.js';
import type { OpsObject } from '../ops/checks.js';
import { slimForOps } from '../ops/slim.js';
import type { Asker } from './access.js';
import type { ApiTarget } from './api.js';
import { mayList } from './read-once.js';
import { readForRun } from './run-reads.js';
import { judgeItem, locate, POD_SOURCE, readEach } from './workloads.js';

// The pods are the largest list a hunt reads (50,000 of a few KiB each in a real cluster), and three hunters
// need them: the workload checks (weaknesses, folded into controllers, and the slim pods of the ops checks),
// the attack paths and the secrets ranking (the graph's pod facts). They are read once per API server and
// run, page by page, and each page's pods are reduced at once to what every consumer keeps; the pages
// themselves are dropped. Read-once semantics as read-once.ts: a complete read in all namespaces stands for
// every identity that shows (one object, `limit=1`) that it may list pods too; a partial one stands for its
// own identity only, whose every consumer publishes its gaps (run-reads.ts).

/** A pod as the escalation graph takes it; `tokenMounted` set only where the pod itself says. */
export type PathPod = PodFact;

/** A pod with a weakness, as the workload fold takes it. */
export interface WeakPod {
  meta: { name?: unknown; namespace?: unknown; labels?: unknown; ownerReferences?: unknown };
  /** `namespace/Pod/name`. */
  where: string;
  weaknesses: SpecWeakness[];
}

/** What the workload checks keep of the pods: judged once, by the first identity's workload hunter. */
export interface JudgedPods {
  weak: WeakPod[];
  ops: OpsObject[];
  keptOut: string[];
}

/** One identity's read of the pods, reduced. */
export interface PodDigest {
  /** The identity that read them. */
  by: string;
  /** `all namespaces` or `namespace NS`. */
  where: string;
  count: number;
  /** All namespaces to the end, with no gap: it stands for other identities. */
  complete: boolean;
  paths: PathPod[];
  /** Until the workload hunter takes it. */
  judged?: JudgedPods;
}

/** A digest to use: `from` names the identity whose complete read it is, when not the asker's own. */
export interface PodTurn {
  digest: PodDigest;
  from?: string;
}

/** Complete reads (or reads in progress) by run and API server host, as read-once.ts keys them. */
const hosts = new WeakMap<object, Map<string, { identity: string; digest: Promise<PodDigest | undefined> }>>();

function hostsOf(ctx: HuntContext) {
  const run = ctx.known('HuntStarted')[0];
  if (!run) return undefined;
  let map = hosts.get(run);
  if (!map) {
    map = new Map();
    hosts.set(run, map);
  }
  return map;
}

/** The workload checks' part of a digest, once: whoever takes it judges the pods (undefined: taken). */
export function takeJudged(digest: PodDigest): JudgedPods | undefined {
  const judged = digest.judged;
  digest.judged = undefined;
  return judged;
}

/**
 * The pods as `asker` may read them, read once per run for every hunter that asks: another identity's
 * complete read when this one may list pods too, else this identity's own read (shared by its consumers,
 * each publishing the read's gaps). Undefined when it may read none.
 */
export async function podsOnce(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<PodTurn | undefined> {
  const byHost = hostsOf(ctx);
  const own = `${target.host}:${target.port} ${asker.identity}`;
  const earlier = byHost?.get(target.host);
  if (earlier && earlier.identity !== asker.identity) {
    const digest = await earlier.digest;
    if (digest?.complete) {
      // Once per identity, whichever of its hunters asks first.
      const may = await readForRun(ctx, `${own} may list pods`, (c) => mayList(c, target, asker, POD_SOURCE));
      if (may !== false) {
        ctx.log(`pods at ${target.host}: ${digest.by}'s complete read used for ${asker.identity}`);
        return { digest, from: digest.by };
      }
      // Refused everywhere: what it may read is its own namespace, its own read (standing for nobody else).
    }
  }
  const read = readForRun(ctx, `${own} pods`, (c) => readDigest(c, target, asker));
  if (byHost && !byHost.has(target.host)) byHost.set(target.host, { identity: asker.identity, digest: read });
  const digest = await read;
  const standing = byHost?.get(target.host);
  if (digest?.complete && standing && standing.identity !== asker.identity && !(await standing.digest)?.complete) {
    // An incomplete read gives way to a complete one, which then stands for the identities after it.
    byHost?.set(target.host, { identity: asker.identity, digest: read });
  }
  return digest && { digest };
}

/**
 * Its controlling owner as `Kind/name`, as mounted-tokens.ts names it (not imported from there: it loads
 * workloads.ts, which loads this module).
 */
function controllerOf(metadata: unknown): string | undefined {
  const refs = (metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => r?.controller === true) as { kind?: unknown; name?: unknown } | undefined;
  return typeof ref?.kind === 'string' && typeof ref.name === 'string' ? `${ref.kind}/${ref.name}` : undefined;
}

async function readDigest(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<PodDigest | undefined> {
  const paths: PathPod[] = [];
  const judged: JudgedPods = { weak: [], ops: [], keptOut: [] };
  let cut = false;
  const watched: HuntContext = {
    ...ctx,
    gap: (gap, parents) => {
      cut = true;
      return ctx.gap(gap, parents);
    },
  };
  const read = await readEach(watched, target, asker, POD_SOURCE, (item) => {
    const pod = item as unknown as Pod;
    // Without the service accounts' settings: the graph's reader applies them (readFacts).
    const fact = podFact(pod);
    if (fact) {
      if (pod.spec?.automountServiceAccountToken === undefined) delete fact.tokenMounted;
      const owner = controllerOf(item.metadata);
      paths.push(owner === undefined ? fact : { ...fact, owner });
    }
    judged.ops.push({ kind: 'Pod', item: slimForOps('Pod', item) });
    const { weaknesses, keptOut } = judgeItem(POD_SOURCE, item);
    judged.keptOut.push(...keptOut);
    if (weaknesses.length > 0) {
      const { name, namespace, labels, ownerReferences } = (item.metadata ?? {}) as WeakPod['meta'];
      const hash = (labels as Record<string, unknown> | undefined)?.['pod-template-hash'];
      const meta = {
        name,
        namespace,
        ownerReferences,
        ...(hash !== undefined && { labels: { 'pod-template-hash': hash } }),
      };
      judged.weak.push({ meta, where: locate('Pod', item), weaknesses });
    }
  });
  if (!read) return undefined;
  const complete = !cut && !ctx.signal.aborted && read.where === 'all namespaces';
  return { by: asker.identity, where: read.where, count: read.count, complete, paths, judged };
}
