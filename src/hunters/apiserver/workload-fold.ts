import type { SpecWeakness } from '../../kubernetes/pod-spec.js';
import { count } from '../evidence.js';

// A cluster of 100,000 pods made from a few hundred templates has a few hundred weaknesses, not 100,000:
// a pod's weakness that its controller's template already shows is that controller's finding, and pods
// that no controller read through the API owns are summarised per namespace once there are many of them.
// Both keep the report readable and its memory bounded at any size; neither hides a pod that differs.

/** Pods with the same weakness in one namespace reported one by one; beyond, one finding names their count. */
export const BARE_PODS_ONE_BY_ONE = 10;
/** Pod names a summary quotes. */
const SAMPLE = 5;

interface Meta {
  name?: unknown;
  namespace?: unknown;
  labels?: unknown;
  ownerReferences?: unknown;
}

interface OwnerRef {
  kind?: unknown;
  name?: unknown;
  controller?: unknown;
}

/** One weakness of one object, ready to report. */
export interface FoldedReport {
  kb: string;
  /** `namespace/Kind/name`, or `namespace/Pod/*` for a summary. */
  object: string;
  /** What shows it, without the reader (the hunter adds who read it). */
  detail: string;
}

interface Group {
  kb: string;
  namespace: string;
  /** Held until the group outgrows BARE_PODS_ONE_BY_ONE; then only counted. */
  held: FoldedReport[];
  total: number;
  sample: string[];
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The controlling owner of an object, as `Kind/name`, or undefined for an object no controller owns. */
function controllerOf(meta: Meta | undefined): { kind: string; name: string } | undefined {
  const refs = Array.isArray(meta?.ownerReferences) ? (meta.ownerReferences as OwnerRef[]) : [];
  const ref = refs.find((r) => r?.controller === true) ?? refs[0];
  const kind = str(ref?.kind);
  const name = str(ref?.name);
  return kind && name ? { kind, name } : undefined;
}

/**
 * Folds pod weaknesses into the controllers read before them. Feed every controller (Deployment,
 * DaemonSet, StatefulSet, Job, CronJob) with `controller()` first, then every pod with `pod()`, then report
 * what `rest()` gives.
 */
export class WorkloadFold {
  /** `namespace/Kind/name` of each controller read → the KB ids its template showed. */
  private readonly templates = new Map<string, Set<string>>();
  private readonly groups = new Map<string, Group>();
  /** Pod weaknesses left to their owner's finding. */
  folded = 0;

  /** Notes a controller's template and what it showed. */
  controller(kind: string, meta: Meta | undefined, weaknesses: readonly SpecWeakness[]): void {
    const namespace = str(meta?.namespace) ?? '';
    const name = str(meta?.name);
    if (!name) return;
    this.templates.set(`${namespace}/${kind}/${name}`, new Set(weaknesses.map((w) => w.kb)));
  }

  /**
   * What to report now for one pod: its weaknesses that its owner's template does not show. The weaknesses
   * of a pod whose owner was not read wait for `rest()`.
   */
  pod(meta: Meta | undefined, where: string, weaknesses: readonly SpecWeakness[]): FoldedReport[] {
    if (weaknesses.length === 0) return [];
    const template = this.ownerTemplate(meta);
    const out: FoldedReport[] = [];
    for (const w of weaknesses) {
      if (template?.shows.has(w.kb)) {
        this.folded++;
        continue;
      }
      const report = {
        kb: w.kb,
        object: where,
        detail: template ? `${w.detail}; its owner ${template.key}'s template does not show this` : w.detail,
      };
      if (template) out.push(report);
      else this.bare(str(meta?.namespace) ?? '', str(meta?.name) ?? '?', report);
    }
    return out;
  }

  /**
   * The weaknesses of pods no controller read owns: one finding per pod while a namespace has at most
   * BARE_PODS_ONE_BY_ONE pods with the same weakness, else one finding for them all, naming their count.
   */
  rest(): FoldedReport[] {
    const out: FoldedReport[] = [];
    for (const g of this.groups.values()) {
      if (g.total <= BARE_PODS_ONE_BY_ONE) {
        out.push(...g.held);
        continue;
      }
      const more = g.total - g.sample.length;
      out.push({
        kb: g.kb,
        object: `${g.namespace}/Pod/*`,
        detail:
          `${count(g.total, 'pod')} of namespace ${g.namespace} that no controller read through the API owns, ` +
          `e.g. ${g.sample.join('; ')}${more > 0 ? ` and ${more} more` : ''}`,
      });
    }
    return out;
  }

  private bare(namespace: string, name: string, report: FoldedReport): void {
    const key = `${report.kb} ${namespace}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { kb: report.kb, namespace, held: [], total: 0, sample: [] };
      this.groups.set(key, g);
    }
    g.total++;
    if (g.sample.length < SAMPLE) g.sample.push(`${name} (${report.detail})`);
    // Past the bound only the count grows: a namespace of any size holds this much.
    if (g.total <= BARE_PODS_ONE_BY_ONE) g.held.push(report);
    else g.held.length = 0;
  }

  /** The controller whose template a pod was made from, when it was read: ReplicaSets lead to their Deployment. */
  private ownerTemplate(meta: Meta | undefined): { key: string; shows: Set<string> } | undefined {
    const owner = controllerOf(meta);
    if (!owner) return undefined;
    const namespace = str(meta?.namespace) ?? '';
    let key = `${namespace}/${owner.kind}/${owner.name}`;
    if (owner.kind === 'ReplicaSet') {
      // A Deployment's ReplicaSet is named after it and the template's hash (the pod's pod-template-hash).
      const hash = str((meta?.labels as Record<string, unknown> | undefined)?.['pod-template-hash']);
      if (hash && owner.name.endsWith(`-${hash}`)) {
        key = `${namespace}/Deployment/${owner.name.slice(0, -hash.length - 1)}`;
      }
    }
    const shows = this.templates.get(key);
    return shows && { key, shows };
  }
}
