import type { Capabilities, Container, Pod, PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import {
  ENFORCE_LABEL,
  ENFORCE_VERSION_LABEL,
  isPodSecurityLevel,
  isPodSecurityVersion,
  POD_SECURITY_LEVELS,
  type PodSecurityLevel,
} from '../kubernetes/pod-security.js';
import { BASELINE_CAPABILITIES } from '../kubernetes/pod-spec.js';
import type { FieldError } from './status.js';
import type { KubeObject } from './store.js';
import type { UserInfo } from './users.js';

// Admission of new pods beyond validation, as kubeadm's API server runs it: Pod Security Admission (the
// namespace's `pod-security.kubernetes.io/enforce` level refuses pods that break the Pod Security
// Standards) and NodeRestriction (a kubelet may create only mirror pods of its own node). The checks are
// the standards' own, each named as the server names it in its refusal, with the level and version the
// namespace enforces (`restricted:v1.25`); warn and audit modes, exemptions and per-version differences of
// the checks are left out (every version is judged by the latest checks: the privileged, host-namespace
// and hostPath checks of baseline hold at every version).

type Level = PodSecurityLevel;

/** The volume types restricted allows. */
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

const quoted = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');
const containersWord = (names: string[]) => `${names.length === 1 ? 'container' : 'containers'} ${quoted(names)}`;

/** Every container of the pod (init and ephemeral included), as the standards judge them all. */
function containersOf(pod: Pod): Container[] {
  const spec = pod.spec;
  return [
    ...(spec?.initContainers ?? []),
    ...(spec?.containers ?? []),
    ...((spec?.ephemeralContainers ?? []) as Container[]),
  ];
}

function baseline(pod: Pod): string[] {
  const spec = pod.spec ?? ({} as NonNullable<Pod['spec']>);
  const containers = containersOf(pod);
  const out: string[] = [];
  const privileged = containers.filter((c) => c.securityContext?.privileged === true).map((c) => c.name);
  if (privileged.length > 0)
    out.push(`privileged (${containersWord(privileged)} must not set securityContext.privileged=true)`);
  const host = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => spec[f] === true);
  if (host.length > 0) out.push(`host namespaces (${host.map((f) => `${f}=true`).join(', ')})`);
  const hostPaths = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  if (hostPaths.length > 0) {
    out.push(`hostPath volumes (${hostPaths.length === 1 ? 'volume' : 'volumes'} ${quoted(hostPaths)})`);
  }
  const hostPorts = containers.flatMap((c) => (c.ports ?? []).filter((p) => p.hostPort).map((p) => `${p.hostPort}`));
  if (hostPorts.length > 0) out.push(`hostPort (hostPorts ${hostPorts.join(', ')})`);
  const added = containers.flatMap((c) =>
    (c.securityContext?.capabilities?.add ?? [])
      .filter((cap) => !BASELINE_CAPABILITIES.has(cap))
      .map((cap) => ({ c: c.name, cap })),
  );
  if (added.length > 0) {
    out.push(
      `non-default capabilities (${containersWord([...new Set(added.map((a) => a.c))])} must not include ${quoted([...new Set(added.map((a) => a.cap))])} in securityContext.capabilities.add)`,
    );
  }
  return out;
}

function restricted(pod: Pod): string[] {
  const spec = pod.spec ?? ({} as NonNullable<Pod['spec']>);
  const podContext: PodSecurityContext = spec.securityContext ?? {};
  const containers = containersOf(pod);
  const context = (c: Container): SecurityContext => c.securityContext ?? {};
  const failing = (test: (c: Container) => boolean) => containers.filter(test).map((c) => c.name);
  const out: string[] = [];
  const volumes = (spec.volumes ?? []).filter((v) => {
    const type = Object.keys(v).find((k) => k !== 'name');
    return type !== undefined && !RESTRICTED_VOLUMES.has(type);
  });
  if (volumes.length > 0)
    out.push(
      `restricted volume types (${volumes.length === 1 ? 'volume' : 'volumes'} ${quoted(volumes.map((v) => v.name))})`,
    );
  const escalation = failing((c) => context(c).allowPrivilegeEscalation !== false);
  if (escalation.length > 0) {
    out.push(
      `allowPrivilegeEscalation != false (${containersWord(escalation)} must set securityContext.allowPrivilegeEscalation=false)`,
    );
  }
  const drops = (caps?: Capabilities) => (caps?.drop ?? []).includes('ALL');
  const capabilities = failing(
    (c) =>
      !drops(context(c).capabilities) || (context(c).capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE'),
  );
  if (capabilities.length > 0) {
    out.push(
      `unrestricted capabilities (${containersWord(capabilities)} must set securityContext.capabilities.drop=["ALL"])`,
    );
  }
  const nonRoot = failing((c) => (context(c).runAsNonRoot ?? podContext.runAsNonRoot) !== true);
  if (nonRoot.length > 0) {
    out.push(`runAsNonRoot != true (pod or ${containersWord(nonRoot)} must set securityContext.runAsNonRoot=true)`);
  }
  const seccomp = failing((c) => {
    const type = (context(c).seccompProfile ?? podContext.seccompProfile)?.type;
    return type !== 'RuntimeDefault' && type !== 'Localhost';
  });
  if (seccomp.length > 0) {
    out.push(
      `seccompProfile (pod or ${containersWord(seccomp)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
    );
  }
  return out;
}

/**
 * The namespace's enforced Pod Security level, as Pod Security Admission reads its label: a value that is
 * no level fails closed (`restricted`); no label, none.
 */
export function enforcedLevel(namespace: KubeObject | undefined): Level | undefined {
  const value = namespace?.metadata.labels?.[ENFORCE_LABEL];
  if (value === undefined) return undefined;
  return isPodSecurityLevel(value) ? value : 'restricted';
}

/** The version the level is enforced at, as its refusal names it: `v1.N`, else `latest` (also for a bad value). */
export function enforcedVersion(namespace: KubeObject | undefined): string {
  const value = namespace?.metadata.labels?.[ENFORCE_VERSION_LABEL];
  return value !== undefined && isPodSecurityVersion(value) ? value : 'latest';
}

/** What the Pod Security Standards find wrong with a pod at a level (empty: admitted). */
export function podSecurityViolations(pod: Pod, level: Level): string[] {
  if (level === 'privileged') return [];
  return level === 'baseline' ? baseline(pod) : [...baseline(pod), ...restricted(pod)];
}

/** Pod Security Admission is on by default from 1.23 (beta); before, its labels mean nothing. */
export const POD_SECURITY_FROM_MINOR = 23;

/** The namespace labels Pod Security Admission reads, in the order it parses them (PolicyToEvaluate). */
const POLICY_LABELS = ['enforce', 'audit', 'warn'].flatMap((mode) => [
  { label: `pod-security.kubernetes.io/${mode}`, version: false },
  { label: `pod-security.kubernetes.io/${mode}-version`, version: true },
]);

/**
 * What Pod Security Admission finds wrong with a namespace's labels (ValidateNamespace): each level that is
 * none of the three and each version that is neither `latest` nor `v1.N`, as the field errors of its 422.
 */
export function podSecurityLabelErrors(labels: Record<string, string> | undefined): FieldError[] {
  return POLICY_LABELS.flatMap(({ label, version }) => {
    const value = labels?.[label];
    if (value === undefined) return [];
    const ok = version ? value === 'latest' || isPodSecurityVersion(value) : isPodSecurityLevel(value);
    if (ok) return [];
    const why = version ? 'must be "latest" or "v1.x"' : `must be one of ${POD_SECURITY_LEVELS.join(', ')}`;
    return [
      {
        field: `metadata.labels[${label}]`,
        reason: 'FieldValueInvalid' as const,
        message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
      },
    ];
  });
}

/**
 * Why Pod Security Admission refuses a namespace create (`before` undefined) or update on a server of
 * `minor`: labels it cannot parse, on create always, on update only when they changed what was wrong (a
 * namespace whose bad labels were there before may still be updated otherwise).
 */
export function namespaceAdmission(after: KubeObject, before: KubeObject | undefined, minor: number): FieldError[] {
  if (minor < POD_SECURITY_FROM_MINOR) return [];
  const errors = podSecurityLabelErrors(after.metadata.labels);
  if (errors.length === 0 || !before) return errors;
  const old = podSecurityLabelErrors(before.metadata.labels);
  return old.length > 0 && JSON.stringify(old) === JSON.stringify(errors) ? [] : errors;
}

/** Why a pod create is refused by admission on a server of `minor`, or undefined when it is admitted. */
export function podAdmission(
  user: UserInfo,
  pod: Pod,
  namespace: KubeObject | undefined,
  minor: number,
): string | undefined {
  const node = /^system:node:(.+)$/.exec(user.name)?.[1];
  if (node !== undefined && user.groups.includes('system:nodes')) {
    if (!pod.metadata?.annotations?.['kubernetes.io/config.mirror']) {
      return `pod does not have "kubernetes.io/config.mirror" annotation, node "${node}" can only create mirror pods`;
    }
  }
  const level = minor >= POD_SECURITY_FROM_MINOR ? enforcedLevel(namespace) : undefined;
  if (!level) return undefined;
  const violations = podSecurityViolations(pod, level);
  const version = enforcedVersion(namespace);
  return violations.length > 0 ? `violates PodSecurity "${level}:${version}": ${violations.join(', ')}` : undefined;
}
