import type { Affinity, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';

// What the DaemonSet controller adds to every pod it makes (kube-controller-manager's
// AddOrUpdateDaemonPodTolerations): tolerations of the node problems and of a cordon, so that a node agent
// is never evicted for a node's condition and lands on a node before it is ready (its network plugin may
// be what makes it ready). The lab makes its daemon pods with them; the ops checks judge where a DaemonSet
// may run with them.

/** The controller's tolerations, in its order, each `Exists` with no toleration period (forever). */
const ADDED: readonly (Toleration & { hostNetworkOnly?: true })[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  // Only for pods on the host network: the others need the network the node does not have yet.
  { key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule', hostNetworkOnly: true },
];

/** The same toleration to the controller: key, operator (Equal when unset), value and effect. */
const sameRule = (a: Toleration, b: Toleration) =>
  (a.key ?? '') === (b.key ?? '') &&
  (a.operator ?? 'Equal') === (b.operator ?? 'Equal') &&
  (a.value ?? '') === (b.value ?? '') &&
  (a.effect ?? '') === (b.effect ?? '');

/** The tolerations the controller adds to a pod of this spec (`network-unavailable` on the host network only). */
export function daemonTolerations(spec: PodSpec | undefined): Toleration[] {
  return ADDED.filter((t) => !t.hostNetworkOnly || spec?.hostNetwork === true).map(({ hostNetworkOnly: _, ...t }) => t);
}

/**
 * A daemon pod's tolerations: its template's, then the controller's. A template toleration with the same
 * key, operator, value and effect as one the controller adds is replaced by it in place (a toleration
 * period set on it is dropped), as AddOrUpdateTolerationInPodSpec does; the others are kept as written.
 */
export function daemonPodTolerations(spec: PodSpec | undefined): Toleration[] {
  const written: unknown[] = Array.isArray(spec?.tolerations) ? spec.tolerations : [];
  // A manifest's list may hold anything: only objects are tolerations.
  const out = written.filter((t): t is Toleration => typeof t === 'object' && t !== null);
  for (const added of daemonTolerations(spec)) {
    const at = out.findIndex((t) => sameRule(t, added));
    if (at >= 0) out[at] = added;
    else out.push(added);
  }
  return out;
}

/** Whether a toleration is one the controller adds, as it adds it (to take a daemon pod's template back). */
export function isDaemonToleration(t: Toleration): boolean {
  return ADDED.some(({ hostNetworkOnly: _, ...added }) => sameRule(t, added) && t.tolerationSeconds === undefined);
}

/**
 * The affinity the controller gives its pod for `node` (ReplaceDaemonSetPodNodeNameNodeAffinity): the
 * template's, its required node terms replaced by one that matches the node's name (`matchFields
 * metadata.name In [node]`), so the scheduler binds the pod there and nowhere else.
 */
export function daemonPodAffinity(affinity: Affinity | undefined, node: string): Affinity {
  return {
    ...affinity,
    nodeAffinity: {
      ...affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      },
    },
  };
}
