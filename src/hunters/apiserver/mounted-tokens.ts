import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import type { AttackPath, EscalationGraph, PodFact } from '../../paths/graph.js';
import { count, sample } from '../evidence.js';
import type { Asker } from './access.js';
import type { ApiTarget } from './api.js';
import { workloadOnce } from './pods-once.js';
import { served } from './served.js';
import { WORKLOAD_SOURCES } from './workloads.js';

// KF-WORKLOAD-007: workloads that carry the token of a service account that holds rights. A controller's
// pod template is judged once (every pod it makes will carry the token), and the pods it runs now are
// folded into it; a pod no judged controller owns is judged on its own.

/** A controller's pod template, reduced to what the judgement needs. */
export interface TemplateFact {
  kind: string;
  namespace: string;
  name: string;
  serviceAccount: string;
  tokenMounted: boolean;
  /** `CronJob/name` for a Job a CronJob made: the Job's pods fold into the CronJob. */
  owner?: string;
}

const CONTROLLERS = WORKLOAD_SOURCES.filter((s) => s.kind !== 'Pod' && s.spec !== undefined);

/** Whether a spec mounts its service account's token: its own say, else its account's, else yes (the default). */
export type Mounted = (spec: PodSpec | undefined, namespace: string, account: string) => boolean;

/** The controller (`Kind/name`) an object names as its own, if any. */
export function controllerOf(item: { metadata?: unknown }): string | undefined {
  const refs = (item.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => r?.controller === true) as { kind?: unknown; name?: unknown } | undefined;
  return typeof ref?.kind === 'string' && typeof ref.name === 'string' ? `${ref.kind}/${ref.name}` : undefined;
}

/**
 * The pod templates of every controller the identity may list (all namespaces, else its own): from the
 * reads the workload checks share (pods-once.ts), the service accounts' say applied here.
 */
export async function readTemplates(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  mounted: Mounted,
): Promise<TemplateFact[]> {
  const out: TemplateFact[] = [];
  for (const wanted of CONTROLLERS) {
    const source = await served(ctx, target, asker, wanted);
    if (!source) continue;
    const turn = await workloadOnce(ctx, target, asker, source);
    for (const t of turn?.digest.templates ?? []) {
      out.push({ ...t, tokenMounted: t.tokenMounted ?? mounted(undefined, t.namespace, t.serviceAccount) });
    }
  }
  return out;
}

/** `1. read-token → service account dev/ci-bot: get secrets … (finding …)`, one line per step. */
export function describePath(path: AttackPath): string {
  return path.steps
    .map(
      (s, i) =>
        `${i + 1}. ${s.action} → ${s.subject}: ${s.evidence}${s.findings.length > 0 ? ` [${s.findings.join(', ')}]` : ''}`,
    )
    .join('; ');
}

/**
 * The judged controller (`namespace/Kind/name`) a pod belongs to: its controller when judged, a
 * ReplicaSet's Deployment (named `<deployment>-<pod-template-hash>` by the Deployment controller), a Job's
 * CronJob.
 */
function rootOf(pod: PodFact, judged: Map<string, TemplateFact>): string | undefined {
  if (!pod.owner) return undefined;
  const [kind, name] = pod.owner.split('/');
  const key = (k: string, n: string) => `${pod.namespace}/${k}/${n}`;
  if (kind === 'ReplicaSet') {
    const deployment = name.replace(/-[^-]+$/, '');
    return judged.has(key('Deployment', deployment)) ? key('Deployment', deployment) : undefined;
  }
  const direct = judged.get(key(kind, name));
  if (!direct) return undefined;
  if (direct.owner) {
    const [ownerKind, ownerName] = direct.owner.split('/');
    if (judged.has(key(ownerKind, ownerName))) return key(ownerKind, ownerName);
  }
  return key(kind, name);
}

/**
 * Workloads whose service account's token is mounted while that account reaches cluster-admin, a node or
 * every Secret, and pods that mount such an account's token Secret (a volume, env): whoever gets into one
 * of their pods (a bug in the app, exec) holds it. One finding per
 * controller template (Deployments, DaemonSets, StatefulSets, Jobs, CronJobs), with the pods it runs now
 * folded into it (a CronJob's Jobs too), and one per pod no such controller owns; located as
 * `namespace/Kind/name`, naming what the account can do and the way.
 */
export function reportMountedTokens(
  ctx: HuntContext,
  target: ApiTarget,
  reader: KfEvent<'ApiAccess'>,
  graph: EscalationGraph,
  templates: readonly TemplateFact[],
): void {
  const reach = new Map<string, AttackPath[]>();
  const pathsOf = (namespace: string, account: string) => {
    const key = `${namespace}/${account}`;
    if (!reach.has(key)) reach.set(key, graph.accountPaths(namespace, account));
    return reach.get(key)!;
  };
  const goals = (paths: AttackPath[]) =>
    paths.map((p) => `${p.to} in ${p.steps.length} ${p.steps.length === 1 ? 'step' : 'steps'}`).join(', ');
  const computed = `computed from what ${reader.identity} read`;
  const judged = new Map<string, TemplateFact>();
  for (const t of templates) {
    if (t.tokenMounted && pathsOf(t.namespace, t.serviceAccount).length > 0) {
      judged.set(`${t.namespace}/${t.kind}/${t.name}`, t);
    }
  }
  const tokenOf = new Map(graph.facts.tokenSecrets.map((t) => [`${t.namespace}/${t.name}`, t.serviceAccount]));
  const folded = new Map<string, string[]>();
  for (const pod of graph.facts.pods) {
    // Its own token (automounted), and the token Secrets of any account it mounts as a volume or in env.
    const held: string[] = [];
    const own = pod.tokenMounted === false ? [] : pathsOf(pod.namespace, pod.serviceAccount);
    const root = own.length > 0 ? rootOf(pod, judged) : undefined;
    if (root) folded.set(root, [...(folded.get(root) ?? []), pod.name]);
    else if (own.length > 0) {
      held.push(
        `mounts the token of service account ${pod.namespace}/${pod.serviceAccount} (automountServiceAccountToken not false), ` +
          `which reaches ${goals(own)} (${computed}): ${describePath(own[0])}`,
      );
    }
    for (const secret of pod.secrets ?? []) {
      const account = tokenOf.get(`${pod.namespace}/${secret}`);
      const paths = account ? pathsOf(pod.namespace, account) : [];
      if (paths.length === 0) continue;
      held.push(
        `mounts Secret ${pod.namespace}/${secret}, the token of service account ${pod.namespace}/${account}, ` +
          `which reaches ${goals(paths)} (${computed}): ${describePath(paths[0])}`,
      );
    }
    if (held.length === 0) continue;
    // A fact about the object, not the port (as every KF-WORKLOAD finding).
    ctx.report(
      {
        host: target.host,
        kb: 'KF-WORKLOAD-007',
        object: `${pod.namespace}/Pod/${pod.name}`,
        evidence: `pod ${pod.namespace}/${pod.name} ${held.join('; and ')}`,
      },
      [reader.id],
    );
  }
  for (const [where, t] of judged) {
    // A CronJob's Job is the CronJob's: judged through it when both were read.
    if (t.owner && judged.has(`${t.namespace}/${t.owner}`)) continue;
    const paths = pathsOf(t.namespace, t.serviceAccount);
    const pods = folded.get(where) ?? [];
    const running =
      pods.length > 0
        ? `; ${count(pods.length, 'pod')} of it ${pods.length === 1 ? 'runs' : 'run'} now (${sample(pods, 3)})`
        : '';
    ctx.report(
      {
        host: target.host,
        kb: 'KF-WORKLOAD-007',
        object: where,
        evidence:
          `${t.kind} ${t.namespace}/${t.name} runs its pods with the token of service account ${t.namespace}/${t.serviceAccount} mounted (automountServiceAccountToken not false)${running}, ` +
          `which reaches ${goals(paths)} (${computed}): ${describePath(paths[0])}`,
      },
      [reader.id],
    );
  }
}
