import type { RbacFacts } from '../../paths/rbac.js';
import { crowdingAgents, Fleet, pullStampedes, watchingAgents } from './agents.js';
import { dnsFindings } from './dns.js';
import {
  nameOf,
  namespaceOf,
  OPS_KB,
  type OpsFinding,
  type OpsObject,
  type OpsSource,
  owned,
  podSpecOf,
  podSpecPath,
  str,
  whereOf,
} from './objects.js';
import { schedulingFindings } from './scheduling.js';

// The operational-risk checks (issue 17) over a set of objects, as the API serves them or as manifests
// hold them: the same rules for a live cluster (hunter) and for files (`kubeferret check`). Pure: no I/O.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Beyond this a grace period outlives what a node does without interruption (kubelet restarts, rotation). */
export const GRACE_LIMIT_SECONDS = 3600;

/**
 * (5) An autoscaled Deployment or StatefulSet whose applied configuration (live: the last-applied
 * annotation; manifest: the manifest itself) sets spec.replicas.
 */
function hpaReplicas(objects: readonly OpsObject[], source: OpsSource): OpsFinding[] {
  const out: OpsFinding[] = [];
  const targets = new Map<string, OpsObject>();
  for (const o of objects) {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') targets.set(`${namespaceOf(o)}/${o.kind}/${nameOf(o)}`, o);
  }
  const reported = new Set<OpsObject>();
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = hpa.item.spec?.scaleTargetRef as { kind?: unknown; name?: unknown } | undefined;
    const target = targets.get(`${namespaceOf(hpa)}/${str(ref?.kind)}/${str(ref?.name)}`);
    if (!target || reported.has(target)) continue;
    const applied = source === 'live' ? appliedReplicas(target) : target.item.spec?.replicas;
    if (typeof applied !== 'number') continue;
    reported.add(target);
    const live =
      source === 'live' && typeof target.item.spec?.replicas === 'number' ? target.item.spec.replicas : undefined;
    const range = `${hpa.item.spec?.minReplicas ?? 1}-${hpa.item.spec?.maxReplicas ?? '?'}`;
    out.push({
      kb: OPS_KB.hpaReplicas,
      object: target,
      where: whereOf(target),
      field: ['spec', 'replicas'],
      detail:
        `scaled by HorizontalPodAutoscaler ${nameOf(hpa)} (${range} replicas) but its ` +
        `${source === 'live' ? 'last-applied configuration' : 'manifest'} sets spec.replicas ${applied}` +
        `${live === undefined ? '' : ` (now ${live})`}: the next kubectl apply resets it to ${applied}`,
    });
  }
  return out;
}

/** spec.replicas of the last-applied configuration, when it is there and parses. */
function appliedReplicas(o: OpsObject): unknown {
  const annotations = o.item.metadata?.annotations as Record<string, unknown> | undefined;
  const text = str(annotations?.[LAST_APPLIED]);
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { spec?: { replicas?: unknown } } | null)?.spec?.replicas;
  } catch {
    return undefined;
  }
}

/** (9) Pod specs whose termination grace period is beyond an hour; a controller's pods are its template's. */
function longGrace(objects: readonly OpsObject[]): OpsFinding[] {
  const out: OpsFinding[] = [];
  for (const o of objects) {
    if (o.kind === 'Pod' && owned(o)) continue;
    const grace = podSpecOf(o)?.terminationGracePeriodSeconds;
    if (typeof grace !== 'number' || grace <= GRACE_LIMIT_SECONDS) continue;
    out.push({
      kb: OPS_KB.longGrace,
      object: o,
      where: whereOf(o),
      field: [...podSpecPath(o.kind), 'terminationGracePeriodSeconds'],
      detail: `terminationGracePeriodSeconds ${grace} (${(grace / 3600).toFixed(1)} h, beyond ${GRACE_LIMIT_SECONDS / 3600} h)`,
    });
  }
  return out;
}

/** Kubernetes enforces exec probe timeouts from 1.20 (feature gate ExecProbeTimeout); before, never. */
export const EXEC_TIMEOUT_ENFORCED_MINOR = 20;
/** Init processes that reap orphaned children, as a container's command names them. */
const INITS = new Set(['tini', 'dumb-init', 'catatonit', 'init', 's6-svscan', 'tini-static']);
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/**
 * (8) Exec probes with a timeout of 1 s (the default) in containers that have no init to reap what a
 * killed probe leaves behind (no shared process namespace, no tini/dumb-init as the command). Before 1.20
 * the timeout was not enforced at all. `minor` is the cluster's minor version when known.
 */
function leakyProbes(objects: readonly OpsObject[], minor: number | undefined): OpsFinding[] {
  const out: OpsFinding[] = [];
  for (const o of objects) {
    if (o.kind === 'Pod' && owned(o)) continue;
    const spec = podSpecOf(o);
    if (!spec || spec.shareProcessNamespace === true) continue;
    const probes: string[] = [];
    let field: (string | number)[] | undefined;
    for (const [index, c] of (Array.isArray(spec.containers) ? spec.containers : []).entries()) {
      const first = Array.isArray(c?.command) ? str(c.command[0]) : undefined;
      if (first && INITS.has(first.slice(first.lastIndexOf('/') + 1))) continue;
      for (const kind of PROBES) {
        const probe = c?.[kind];
        const command = probe?.exec?.command;
        if (!Array.isArray(command) || (probe?.timeoutSeconds ?? 1) > 1) continue;
        field ??= [...podSpecPath(o.kind), 'containers', index, kind];
        probes.push(
          `container ${c.name} ${kind} \`${command.join(' ').slice(0, 80)}\` (timeoutSeconds ${probe?.timeoutSeconds ?? '1, the default'})`,
        );
      }
    }
    if (probes.length === 0) continue;
    const version =
      minor === undefined
        ? 'a probe killed at its timeout leaves its children to PID 1, which does not reap them (exec probe timeouts are not enforced at all before 1.20; the version was not known)'
        : minor < EXEC_TIMEOUT_ENFORCED_MINOR
          ? `on Kubernetes 1.${minor} exec probe timeouts are not enforced: a hung probe is never killed and piles up`
          : `on Kubernetes 1.${minor} a probe killed at its timeout leaves its children to PID 1, which does not reap them`;
    out.push({
      kb: OPS_KB.leakyProbe,
      object: o,
      where: whereOf(o),
      field,
      detail: `${probes.join('; ')}; no init to reap (no shareProcessNamespace, no tini or dumb-init): ${version}`,
    });
  }
  return out;
}

/** Every operational risk the objects show, in a stable order (by check, then as the objects came). */
export function opsFindings(
  objects: readonly OpsObject[],
  source: OpsSource,
  options: {
    now?: number;
    minor?: number;
    rbac?: RbacFacts;
    /** Whether the Node objects are all the cluster's nodes (scheduling.ts); by default, whether any is there. */
    nodes?: boolean;
  } = {},
): OpsFinding[] {
  const now = options.now ?? Date.now();
  const fleet = new Fleet(objects, options.rbac);
  return [
    ...hpaReplicas(objects, source),
    ...pullStampedes(fleet, now),
    ...longGrace(objects),
    ...crowdingAgents(
      fleet,
      objects.filter((o) => o.kind === 'PriorityClass'),
    ),
    ...leakyProbes(objects, options.minor),
    ...dnsFindings(objects, source),
    ...watchingAgents(fleet),
    ...schedulingFindings(objects, { nodes: options.nodes }),
  ];
}
