import { posix } from 'node:path';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';

// What makes a pod spec dangerous, wherever it was read (a kubelet's /pods, a Pod or a workload's pod
// template read through the API). Read defensively: the spec comes from a server that may send anything.

/** A weakness of one pod spec, named by its KB id, with what shows it in one phrase. */
export interface SpecWeakness {
  kb: string;
  detail: string;
}

export const SPEC_KB = {
  privileged: 'KF-WORKLOAD-001',
  hostNamespaces: 'KF-WORKLOAD-002',
  hostPath: 'KF-WORKLOAD-003',
  capabilities: 'KF-WORKLOAD-004',
  root: 'KF-WORKLOAD-005',
} as const;

/** A path as written in a pod spec, normalised and without a trailing slash (`/var/log/` → `/var/log`). */
export function normalizedPath(path: string): string {
  return posix.normalize(path).replace(/(.)\/$/, '$1');
}

/** Every container of the spec, init and ephemeral ones included, that has a name. */
export function specContainers(spec: PodSpec | undefined): Container[] {
  if (!spec || typeof spec !== 'object') return [];
  const lists = [spec.initContainers, spec.containers, spec.ephemeralContainers];
  return lists
    .flatMap((l) => (Array.isArray(l) ? l : []))
    .filter((c): c is Container => !!c && typeof c === 'object' && typeof c.name === 'string');
}

/**
 * Host paths that hand over the node, and why. A mount of a directory above one of them (`/var`, `/run`)
 * hands it over too; the root covers everything.
 */
const DANGEROUS_HOST_PATHS: readonly [string, string][] = [
  ['/', "the node's root filesystem"],
  ['/var/run/docker.sock', 'the container runtime socket'],
  ['/run/docker.sock', 'the container runtime socket'],
  ['/var/run/containerd/containerd.sock', 'the container runtime socket'],
  ['/run/containerd/containerd.sock', 'the container runtime socket'],
  ['/var/run/crio/crio.sock', 'the container runtime socket'],
  ['/run/crio/crio.sock', 'the container runtime socket'],
  ['/var/log', 'the node logs, readable through the kubelet'],
  ['/etc/kubernetes', "the node's Kubernetes credentials and manifests"],
  ['/var/lib/kubelet', "the kubelet's credentials and every pod's volumes"],
];

/** Why a host path is dangerous, or undefined for one not known to be. */
export function dangerousHostPath(path: string): string | undefined {
  const p = normalizedPath(path);
  if (p === '/') return DANGEROUS_HOST_PATHS[0][1];
  for (const [danger, why] of DANGEROUS_HOST_PATHS.slice(1)) {
    if (p === danger || danger.startsWith(`${p}/`)) return p === danger ? why : `holds ${danger}: ${why}`;
    if (p.startsWith(`${danger}/`)) return why;
  }
  return undefined;
}

/**
 * Capabilities the `baseline` Pod Security Standard allows to be added (the container runtime's defaults):
 * anything else added is a step towards the node.
 */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const capName = (c: unknown) => String(c).toUpperCase().replace(/^CAP_/, '');

/** Names of the spec's containers (init and ephemeral ones included) that run privileged. */
export function privilegedNames(spec: PodSpec | undefined): string[] {
  return specContainers(spec)
    .filter((c) => c.securityContext?.privileged === true)
    .map((c) => c.name);
}

function privileged(spec: PodSpec): SpecWeakness | undefined {
  const names = privilegedNames(spec);
  if (names.length === 0) return undefined;
  return {
    kb: SPEC_KB.privileged,
    detail: `${names.length === 1 ? 'container' : 'containers'} ${names.join(', ')} with securityContext.privileged: true`,
  };
}

function hostNamespaces(spec: PodSpec): SpecWeakness | undefined {
  const shared = (['hostPID', 'hostNetwork', 'hostIPC'] as const).filter((k) => spec[k] === true);
  if (shared.length === 0) return undefined;
  return { kb: SPEC_KB.hostNamespaces, detail: shared.map((k) => `${k}: true`).join(', ') };
}

function hostPaths(spec: PodSpec): SpecWeakness | undefined {
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  const mounts: string[] = [];
  for (const v of volumes) {
    const path = v?.hostPath?.path;
    if (typeof path !== 'string') continue;
    const why = dangerousHostPath(path);
    mounts.push(why ? `${path} (${why})` : path);
  }
  if (mounts.length === 0) return undefined;
  return { kb: SPEC_KB.hostPath, detail: `hostPath ${mounts.join(', ')}` };
}

function capabilities(spec: PodSpec): SpecWeakness | undefined {
  const added: string[] = [];
  for (const c of specContainers(spec)) {
    const add = c.securityContext?.capabilities?.add;
    const risky = (Array.isArray(add) ? add : []).map(capName).filter((n) => !BASELINE_CAPABILITIES.has(n));
    if (risky.length > 0) added.push(`${c.name} adds ${risky.join(', ')}`);
  }
  if (added.length === 0) return undefined;
  return { kb: SPEC_KB.capabilities, detail: added.join('; ') };
}

/**
 * Containers that run as root with nothing holding them back: no non-root user asked for (pod or
 * container), privilege escalation not turned off and no capability dropped wholesale. A privileged
 * container is left to the privileged check, which says more.
 */
function unrestrictedRoot(spec: PodSpec): SpecWeakness | undefined {
  const pod = spec.securityContext;
  const names: string[] = [];
  for (const c of specContainers(spec)) {
    const sc = c.securityContext;
    if (sc?.privileged === true) continue;
    const user = sc?.runAsUser ?? pod?.runAsUser;
    const nonRoot = sc?.runAsNonRoot ?? pod?.runAsNonRoot;
    const root = user === 0 || (user === undefined && nonRoot !== true);
    if (!root) continue;
    const dropsAll = (Array.isArray(sc?.capabilities?.drop) ? sc.capabilities.drop : []).map(capName).includes('ALL');
    if (sc?.allowPrivilegeEscalation === false || dropsAll) continue;
    names.push(c.name);
  }
  if (names.length === 0) return undefined;
  return {
    kb: SPEC_KB.root,
    detail:
      `${names.length === 1 ? 'container' : 'containers'} ${names.join(', ')} may run as root ` +
      '(no runAsNonRoot or non-zero runAsUser, privilege escalation allowed, no capabilities dropped)',
  };
}

/** The weaknesses of one pod spec, one per kind, in KB order. */
export function podSpecWeaknesses(spec: PodSpec | undefined): SpecWeakness[] {
  if (!spec || typeof spec !== 'object') return [];
  return [privileged, hostNamespaces, hostPaths, capabilities, unrestrictedRoot]
    .map((check) => check(spec))
    .filter((w): w is SpecWeakness => w !== undefined);
}
