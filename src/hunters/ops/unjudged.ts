import { count } from '../evidence.js';
import { DNS_KB, OPS_KB, type OpsObject, podSpecOf } from './objects.js';
import { NODE_CHECKS } from './scheduling.js';

// What the operational checks could not judge for want of what an identity may read, as one coverage gap
// per identity and server (never one per check: an identity that may read almost nothing would get ten);
// on manifests (`kubeferret check`), for want of objects the manifests do not hold, one gap per check run.
// Each line names what was missing and why, then every check it kept from being judged. Pure: no I/O.

/**
 * Where each kind was listed by the identity (`all namespaces`, `namespace dev`, or NOT_SERVED); a kind not
 * listable is absent.
 */
export type Listed = ReadonlyMap<string, string>;

/** A kind the server does not serve at any version: none exist, so nothing of it went unjudged. */
export const NOT_SERVED = 'not served';
/** Whether every object of a kind the server has was read. */
const whole = (where: string | undefined) => where === 'all namespaces' || where === NOT_SERVED;

/** One thing missing and the checks it kept from being judged. */
export interface Unjudged {
  /** What was missing and why: `the nodes (not listable)`. */
  need: string;
  checks: string[];
}

const SYSTEM = 'kube-system';
/** Whether a namespaced kind was read where kube-system's objects are (all namespaces, or kube-system itself). */
const seesSystem = (where: string | undefined) => whole(where) || where === `namespace ${SYSTEM}`;
const why = (where: string | undefined) => (where === undefined ? 'not listable' : `listed only in ${where}`);

/** The workload kinds the checks judge one by one (the DaemonSets have a line of their own, below). */
const WORKLOAD_KINDS = [
  ['Deployment', 'Deployments'],
  ['StatefulSet', 'StatefulSets'],
  ['CronJob', 'CronJobs'],
  ['Pod', 'Pods'],
] as const;
/** The checks judged on those kinds. */
const WORKLOAD_CHECKS = [
  OPS_KB.hpaReplicas,
  OPS_KB.pullStampede,
  OPS_KB.longGrace,
  OPS_KB.leakyProbe,
  DNS_KB.ndots,
  OPS_KB.neverScheduled,
  OPS_KB.pendingPile,
  OPS_KB.cronPileUp,
];

/**
 * What was not judged on a live read: `listed` says where each kind was read, `rbacUnread` the RBAC
 * resources the cluster-wide agents (KF-OPS-014) needed and could not be listed.
 */
export function opsUnjudged(objects: readonly OpsObject[], listed: Listed, rbacUnread: readonly string[]): Unjudged[] {
  let nodes = 0;
  let daemonSets = 0;
  for (const o of objects) {
    if (o.kind === 'Node') nodes++;
    else if (o.kind === 'DaemonSet') daemonSets++;
  }
  const out: Unjudged[] = [];
  if (nodes === 0) {
    out.push({
      need: `the nodes (${listed.has('Node') ? 'the node list is empty' : 'not listable'})`,
      checks: [
        NODE_CHECKS,
        ...(daemonSets > 0
          ? [
              `whether the pods of ${count(daemonSets, 'DaemonSet')} fit what is free on each node (${OPS_KB.crowdingAgent})`,
            ]
          : []),
      ],
    });
  } else if (!listed.has('PersistentVolume')) {
    out.push({
      need: 'the PersistentVolumes (not listable)',
      checks: [`volumes on gone nodes (${OPS_KB.strandedVolume})`],
    });
  }
  if (rbacUnread.length > 0 && daemonSets > 0) {
    out.push({
      need: `${rbacUnread.join(' and ')} (not listable)`,
      checks: [
        `whether ${count(daemonSets, 'DaemonSet')} may list or watch pods cluster-wide (${OPS_KB.watchingAgent})`,
      ],
    });
  }
  const hpas = listed.get('HorizontalPodAutoscaler');
  const scaled = objects.some((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  if (!whole(hpas) && scaled) {
    out.push({
      need: `the HorizontalPodAutoscalers of every namespace (${why(hpas)})`,
      checks: [`autoscaled workloads whose applied configuration sets replicas (${OPS_KB.hpaReplicas})`],
    });
  }
  const partial = WORKLOAD_KINDS.filter(([kind]) => !whole(listed.get(kind)));
  if (partial.length > 0) {
    out.push({
      need: `the ${partial.map(([kind, plural]) => `${plural} (${why(listed.get(kind))})`).join(', ')} of every namespace`,
      checks: [`their checks outside what was read (${WORKLOAD_CHECKS.join(', ')})`],
    });
  }
  const configMaps = listed.get('ConfigMap');
  if (!seesSystem(configMaps)) {
    out.push({
      need: `${SYSTEM}'s ConfigMaps (${why(configMaps)})`,
      checks: [`CoreDNS's Corefile (${DNS_KB.corefile})`, `kube-proxy's IPVS UDP timeout (${DNS_KB.ipvsUdp})`],
    });
  }
  const daemonSetsWhere = listed.get('DaemonSet');
  if (!whole(daemonSetsWhere)) {
    out.push({
      need: `the DaemonSets of every namespace (${why(daemonSetsWhere)})`,
      checks: [
        ...(seesSystem(daemonSetsWhere)
          ? []
          : [`a node-local DNS cache in a large cluster (${DNS_KB.noNodeLocalDns})`]),
        `per-node agents${daemonSetsWhere === undefined ? '' : ' elsewhere'} (${OPS_KB.pullStampede}, ${OPS_KB.crowdingAgent}, ${OPS_KB.watchingAgent})`,
      ],
    });
  }
  return out;
}

const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/**
 * What was not judged on manifests, in the terms of opsUnjudged: without a Node among them, the checks
 * that place workloads or volumes on the cluster's nodes (KF-OPS-010, -011, and the DaemonSets' fit,
 * -004); with DaemonSets and no RBAC object, whether their accounts may watch every pod (-014). The
 * scheduling checks are named one by one, so that a selection (`--only`) can keep its own.
 */
export function manifestUnjudged(objects: readonly OpsObject[]): Unjudged[] {
  let nodes = 0;
  let daemonSets = 0;
  let placed = false;
  let rbac = false;
  for (const o of objects) {
    if (o.kind === 'Node') nodes++;
    else if (o.kind === 'DaemonSet') daemonSets++;
    else if (RBAC_KINDS.has(o.kind)) rbac = true;
    placed ||= o.kind === 'PersistentVolume' || podSpecOf(o) !== undefined;
  }
  const out: Unjudged[] = [];
  if (nodes === 0 && placed) {
    out.push({
      need: 'the nodes (no manifest is a Node)',
      checks: [
        `volumes on gone nodes (${OPS_KB.strandedVolume})`,
        `work no node can run (${OPS_KB.neverScheduled})`,
        ...(daemonSets > 0
          ? [
              `whether the pods of ${count(daemonSets, 'DaemonSet')} fit what is free on each node (${OPS_KB.crowdingAgent})`,
            ]
          : []),
      ],
    });
  }
  if (daemonSets > 0 && !rbac) {
    out.push({
      need: 'the RBAC objects (no manifest is one)',
      checks: [
        `whether ${count(daemonSets, 'DaemonSet')} may list or watch pods cluster-wide (${OPS_KB.watchingAgent})`,
      ],
    });
  }
  return out;
}

/** Only the checks of these knowledge-base ids (a selection's), dropping what is then left with none. */
export function unjudgedOf(unjudged: readonly Unjudged[], kbs: ReadonlySet<string>): Unjudged[] {
  const kept = (check: string) => [...check.matchAll(/KF-[A-Z]+-\d+/g)].some((m) => kbs.has(m[0]));
  return unjudged.map((u) => ({ ...u, checks: u.checks.filter(kept) })).filter((u) => u.checks.length > 0);
}

/** The one line of a coverage gap: every missing thing with the checks it kept from being judged. */
export function unjudgedLine(unjudged: readonly Unjudged[]): string {
  return `not judged: ${unjudged.map((u) => `${u.need}: ${u.checks.join(', ')}`).join('; ')}`;
}
