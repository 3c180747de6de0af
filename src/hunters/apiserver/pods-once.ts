import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HuntContext } from '../../core/hunter.js';
import type { SpecWeakness } from '../../kubernetes/pod-spec.js';
import { podFact } from '../../paths/facts.js';
import type { PodFact } from '../../paths/graph.js';
import type { OpsObject } from '../ops/objects.js';
import { slimForOps } from '../ops/slim.js';
import type { Asker } from './access.js';
import type { ApiTarget } from './api.js';
import type { TemplateFact } from './mounted-tokens.js';
import { mayList } from './read-once.js';
import { readForRun, runMap } from './run-reads.js';
import { served } from './served.js';
import { type FoldedReport, WorkloadFold } from './workload-fold.js';
import { type Item, judgeItem, locate, POD_SOURCE, readEach, type Source, WORKLOAD_SOURCES } from './workloads.js';

// The pods are the largest list a hunt reads (50,000 of a few KiB each in a real cluster), and three hunters
// need them: the workload checks (weaknesses, folded into controllers, and the slim pods of the ops checks),
// the attack paths and the secrets ranking (the graph's pod facts). They are read once per API server and
// run, page by page, and each page's pods are reduced at once to what every consumer keeps; the pages
// themselves are dropped. The controllers (Deployments, DaemonSets, StatefulSets, Jobs, CronJobs) the same
// way: the workload checks judge their templates, the attack paths keep each template's service account. Read-once semantics as read-once.ts: a complete read in all namespaces stands for
// every identity that shows (one object, `limit=1`) that it may list pods too; a partial one stands for its
// own identity only, whose every consumer publishes its gaps (run-reads.ts).

/** A pod as the escalation graph takes it; `tokenMounted` set only where the pod itself says. */
export type PathPod = PodFact;

/** A controller's pod template as KF-WORKLOAD-007 judges it; `tokenMounted` set only where the spec says. */
export type RawTemplate = Omit<TemplateFact, 'tokenMounted'> & { tokenMounted?: boolean };

/** An object with its weaknesses, as the workload fold takes it (pods: only those with a weakness). */
export interface WeakPod {
  meta: { name?: unknown; namespace?: unknown; labels?: unknown; ownerReferences?: unknown };
  /** `namespace/Kind/name`. */
  where: string;
  weaknesses: SpecWeakness[];
}

/** What the workload checks keep of the objects read: judged once, by the first identity's workload hunter. */
export interface JudgedPods {
  /** Pods: their weaknesses, folded into the controllers whose templates show them (WorkloadFold). */
  reports: FoldedReport[];
  /** Pod weaknesses left to their controllers. */
  folded: number;
  keptOut: string[];
}

/** One identity's read of the pods (or of one kind of controller), reduced. */
export interface PodDigest {
  /** The identity that read them. */
  by: string;
  /** `all namespaces` or `namespace NS`. */
  where: string;
  count: number;
  /** All namespaces to the end, with no gap: it stands for other identities. */
  complete: boolean;
  /** Pods, for the graph. */
  paths: PathPod[];
  /** Controllers, for KF-WORKLOAD-007. */
  templates: RawTemplate[];
  /** Controllers with what their templates show (nothing, for most): the fold of the pods starts from them. */
  shows: WeakPod[];
  /**
   * The objects as the operational checks keep them (slim): kept for the run, since every identity whose
   * view of the server includes this read has its checks judged on it (apiserver-workloads).
   */
  ops: OpsObject[];
  /** Until the workload hunter takes it. */
  judged?: JudgedPods;
}

/** A digest to use: `from` names the identity whose complete read it is, when not the asker's own. */
export interface PodTurn {
  digest: PodDigest;
  from?: string;
}

/** Complete reads (or reads in progress) by run and `host resource`, as read-once.ts keys them. */
const hosts = new WeakMap<object, Map<string, { identity: string; digest: Promise<PodDigest | undefined> }>>();

/** The workload checks' part of a digest, once: whoever takes it judges the pods (undefined: taken). */
export function takeJudged(digest: PodDigest): JudgedPods | undefined {
  const judged = digest.judged;
  digest.judged = undefined;
  return judged;
}

/** The pods as `asker` may read them, read once per run for every hunter that asks (see workloadOnce). */
export const podsOnce = (ctx: HuntContext, target: ApiTarget, asker: Asker) =>
  workloadOnce(ctx, target, asker, POD_SOURCE);

/**
 * The objects of a source holding a pod spec (pods, controllers) as `asker` may read them, read once per run
 * for every hunter that asks: another identity's complete read when this one may list them too, else this
 * identity's own read (shared by its consumers, each publishing the read's gaps). Undefined when it may
 * read none.
 */
export async function workloadOnce(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
): Promise<PodTurn | undefined> {
  const byHost = runMap(ctx, hosts);
  const place = `${target.host} ${source.api}/${source.resource}`;
  const own = `${target.host}:${target.port} ${asker.identity} ${source.api}/${source.resource}`;
  const earlier = byHost?.get(place);
  if (earlier && earlier.identity !== asker.identity) {
    const digest = await earlier.digest;
    if (digest?.complete) {
      // Once per identity, whichever of its hunters asks first.
      const may = await readForRun(ctx, `${own} may list`, (c) => mayList(c, target, asker, source));
      if (may !== false) {
        ctx.log(`${source.resource} at ${target.host}: ${digest.by}'s complete read used for ${asker.identity}`);
        return { digest, from: digest.by };
      }
      // Refused everywhere: what it may read is its own namespace, its own read (standing for nobody else).
    }
  }
  const read = readForRun(ctx, own, (c) => readDigest(c, target, asker, source));
  if (byHost && !byHost.has(place)) byHost.set(place, { identity: asker.identity, digest: read });
  const digest = await read;
  const standing = byHost?.get(place);
  if (digest?.complete && standing) {
    const stood = await standing.digest;
    // An incomplete read gives way to a complete one, which then stands for the identities after it: another
    // identity's, or this identity's own read again after a deadline cut the first (run-reads.ts).
    if (stood !== digest && !stood?.complete) byHost?.set(place, { identity: asker.identity, digest: read });
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

async function readDigest(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
): Promise<PodDigest | undefined> {
  const paths: PathPod[] = [];
  const templates: RawTemplate[] = [];
  const shows: WeakPod[] = [];
  const judged: JudgedPods = { reports: [], folded: 0, keptOut: [] };
  const ops: OpsObject[] = [];
  const isPod = source === POD_SOURCE;
  // Pods are folded as they arrive (memory bounded at any count): into the controllers this identity reads,
  // read first (once, shared with every consumer).
  const fold = new WorkloadFold();
  if (isPod) {
    for (const wanted of WORKLOAD_SOURCES.filter((c) => c.spec && c !== POD_SOURCE)) {
      // At the version the server serves (CronJobs: batch/v1beta1 before 1.21), as every reader asks for it.
      const controller = await served(ctx, target, asker, wanted);
      if (!controller) continue;
      const turn = await workloadOnce(ctx, target, asker, controller);
      for (const c of turn?.digest.shows ?? []) fold.controller(controller.kind, c.meta, c.weaknesses);
    }
  }
  let cut = false;
  const watched: HuntContext = {
    ...ctx,
    gap: (gap, parents) => {
      cut = true;
      return ctx.gap(gap, parents);
    },
  };
  const read = await readEach(watched, target, asker, source, (item) => {
    ops.push({ kind: source.kind, item: slimForOps(source.kind, item) });
    const { weaknesses, keptOut } = judgeItem(source, item);
    judged.keptOut.push(...keptOut);
    const where = locate(source.kind, item);
    if (isPod) {
      const pod = item as unknown as Pod;
      // Without the service accounts' settings: the graph's reader applies them (readFacts).
      const fact = podFact(pod);
      if (fact) {
        if (pod.spec?.automountServiceAccountToken === undefined) delete fact.tokenMounted;
        const owner = controllerOf(item.metadata);
        paths.push(owner === undefined ? fact : { ...fact, owner });
      }
      if (weaknesses.length > 0) judged.reports.push(...fold.pod(item.metadata, where, weaknesses));
      return;
    }
    const template = rawTemplate(source, item);
    if (template) templates.push(template);
    const { name, namespace } = item.metadata ?? {};
    shows.push({ meta: { name, namespace }, where, weaknesses });
  });
  if (isPod) {
    judged.reports.push(...fold.rest());
    judged.folded = fold.folded;
  }
  if (!read) return undefined;
  const complete = !cut && !ctx.signal.aborted && read.where === 'all namespaces';
  return { by: asker.identity, where: read.where, count: read.count, complete, paths, templates, shows, ops, judged };
}

/** A controller's template as readTemplates (mounted-tokens.ts) judges it, its account's say left open. */
function rawTemplate(source: Source, item: Item): RawTemplate | undefined {
  const { name, namespace } = item.metadata ?? {};
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  const spec = source.spec?.(item);
  const serviceAccount = spec?.serviceAccountName ?? 'default';
  const owner = source.kind === 'Job' ? controllerOf(item.metadata) : undefined;
  return {
    kind: source.kind,
    namespace,
    name,
    serviceAccount,
    ...(typeof spec?.automountServiceAccountToken === 'boolean' && { tokenMounted: spec.automountServiceAccountToken }),
    ...(owner?.startsWith('CronJob/') && { owner }),
  };
}
