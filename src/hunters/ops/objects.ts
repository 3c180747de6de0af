import type { PodSpec } from 'kubernetes-types/core/v1.js';

// What every operational check shares (issue 17): the objects as they come, the findings as they go, the
// KB ids, and where an object's pod spec is. The check files import from here and never from each other's
// entry points, so the imports go one way: objects.ts <- agents.ts, dns.ts, scheduling.ts <- checks.ts.

/** An object with its kind (a manifest or a listed item; items of a list carry no kind of their own). */
export interface OpsObject {
  kind: string;
  item: {
    metadata?: { name?: unknown; namespace?: unknown; annotations?: unknown; ownerReferences?: unknown };
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    /** A PriorityClass's value (top level, not in a spec). */
    value?: unknown;
    /** A ConfigMap's data. */
    data?: unknown;
  };
}

export const OPS_KB = {
  hpaReplicas: 'KF-OPS-001',
  pullStampede: 'KF-OPS-002',
  longGrace: 'KF-OPS-003',
  crowdingAgent: 'KF-OPS-004',
  leakyProbe: 'KF-OPS-005',
  watchingAgent: 'KF-OPS-014',
  // scheduling.ts (situations 6 and 7)
  strandedVolume: 'KF-OPS-010',
  neverScheduled: 'KF-OPS-011',
  pendingPile: 'KF-OPS-012',
  cronPileUp: 'KF-OPS-013',
} as const;

/** The DNS checks of dns.ts (situation 1). */
export const DNS_KB = {
  corefile: 'KF-OPS-006',
  ndots: 'KF-OPS-007',
  ipvsUdp: 'KF-OPS-008',
  noNodeLocalDns: 'KF-OPS-009',
} as const;

export interface OpsFinding {
  kb: (typeof OPS_KB)[keyof typeof OPS_KB] | (typeof DNS_KB)[keyof typeof DNS_KB];
  /** The object the finding is about (for a manifest, where its line is). */
  object: OpsObject;
  /** `namespace/Kind/name`. */
  where: string;
  detail: string;
  /** The field of the object the finding is about (`['spec', 'replicas']`), for a manifest's line. */
  field?: (string | number)[];
  /** The 1-based line within that field's text value (a Corefile's plugin), when the finding names one. */
  valueLine?: number;
}

/** Whether the objects are live (read through the API: the applied configuration is an annotation) or manifests. */
export type OpsSource = 'live' | 'manifest';

export const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
export const namespaceOf = (o: OpsObject) => str(o.item.metadata?.namespace) ?? 'default';
export const nameOf = (o: OpsObject) => str(o.item.metadata?.name) ?? '?';
export const whereOf = (o: OpsObject) => `${namespaceOf(o)}/${o.kind}/${nameOf(o)}`;

/** The pod spec an object runs: a Pod's own, a controller's template, a CronJob's job template. */
export function podSpecOf(o: OpsObject): PodSpec | undefined {
  const spec = o.item.spec;
  if (!spec || typeof spec !== 'object') return undefined;
  if (o.kind === 'Pod') return spec as unknown as PodSpec;
  if (o.kind === 'CronJob') {
    const job = (spec.jobTemplate as { spec?: { template?: { spec?: PodSpec } } } | undefined)?.spec;
    return job?.template?.spec;
  }
  if (['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job'].includes(o.kind)) {
    return (spec.template as { spec?: PodSpec } | undefined)?.spec;
  }
  return undefined;
}

/** Where an object's pod spec sits in it, as a path of fields. */
export function podSpecPath(kind: string): string[] {
  if (kind === 'Pod') return ['spec'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return ['spec', 'template', 'spec'];
}

export const owned = (o: OpsObject) =>
  Array.isArray(o.item.metadata?.ownerReferences) && o.item.metadata.ownerReferences.length > 0;

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity (`500m`, `1.5`, `512Mi`, `1G`) as a number, or undefined when it is not one. */
export function quantity(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(v.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]] : 1);
}
