import type { Pod } from 'kubernetes-types/core/v1.js';
import { JsonStream } from '../net/json-stream.js';
import type { BodySink, ResponseHead } from '../net/network.js';
import { normalizedPath, privilegedNames, specContainers } from './pod-spec.js';

// What the passive kubelet hunters read from a kubelet's /pods (a v1 PodList whose items lack kind and
// apiVersion). Read defensively: a kubelet under attack, or something posing as one, may send anything.

/**
 * What every kubelet hunter derives from /pods, read as a stream pod by pod (a node with 100,000 pods is
 * examined whole without holding its list), and shared so the passive and active hunters of one kubelet
 * and identity send it once between them. Only the facts the hunters decide on are kept: counts, a few
 * names, the privileged and /var/log-mounting pods, the pod the debug handlers are probed with, and whole
 * pods for the active hunters (the first KEPT_WHOLE, plus up to KEPT_WHOLE risky ones after them).
 */
export interface PodDigest {
  /** The answer is a PodList (its kind says so, or it lists items without a kind). */
  podList: boolean;
  /** Pods read (named ones). */
  count: number;
  /** The first few pods' `namespace/name`, in list order. */
  names: string[];
  /** The namespaces of the pods read, each once (at most NAMESPACES_KEPT): namespaces the hunt now knows. */
  namespaces: string[];
  privileged: { pod: string; containers: string[] }[];
  varLog: { pod: string; mounts: VarLogMount[] }[];
  /** The pod and container the passive debug-handler probes name (see TargetChooser). */
  target?: ProbeTarget;
  /** Whole pods kept for the active hunters. */
  kept: Pod[];
  /** Every pod read was kept whole. */
  keptAll: boolean;
  /** The first bytes of an answer that is not a 200 (a refusal's text). */
  excerpt: string;
}

/** Names kept for evidence. */
const NAMES_KEPT = 8;
/** Distinct namespaces kept: a guard on memory against a list that names a new one per pod. */
export const NAMESPACES_KEPT = 10_000;
/** Whole pods kept for the active hunters beyond the risky ones. */
export const KEPT_WHOLE = 1000;
const EXCERPT_BYTES = 4096;

/** Reader name of the shared /pods digest (NetClient.stream). */
export const POD_DIGEST = 'kubelet-pod-digest';

/** A sink for NetClient.stream that digests a PodList (/pods, /runningpods/) as it arrives. */
export function podDigestSink(head: ResponseHead): BodySink<PodDigest> {
  const digest: PodDigest = {
    podList: false,
    count: 0,
    names: [],
    namespaces: [],
    privileged: [],
    varLog: [],
    kept: [],
    keptAll: true,
    excerpt: '',
  };
  if (head.status !== 200) {
    return {
      write(chunk) {
        digest.excerpt += chunk.subarray(0, EXCERPT_BYTES - digest.excerpt.length).toString('utf8');
        // A refusal is read as far as its first few KiB: an endless error page is not read to the deadline.
        if (digest.excerpt.length >= EXCERPT_BYTES) throw new Error('the rest of a refusal is not read');
      },
      result: () => digest,
    };
  }
  const targets = new TargetChooser();
  const namespaces = new Set<string>();
  let kind: unknown;
  const json = new JsonStream({
    paths: ['$.kind', '$.items.*'],
    onValue(value, keys) {
      if (keys.length === 1 && keys[0] === 'kind') {
        kind = value;
        digest.podList = kind === 'PodList';
        return;
      }
      if (kind === undefined) digest.podList = true;
      const pod = value as Pod | null;
      if (typeof pod?.metadata?.name !== 'string') return;
      digest.count++;
      const name = podName(pod);
      if (digest.names.length < NAMES_KEPT) digest.names.push(name);
      const namespace = pod.metadata.namespace;
      if (typeof namespace === 'string' && namespaces.size < NAMESPACES_KEPT) namespaces.add(namespace);
      const containers = privilegedContainers(pod);
      const mounts = writableVarLogMounts(pod);
      if (containers.length > 0) digest.privileged.push({ pod: name, containers });
      if (mounts.length > 0) digest.varLog.push({ pod: name, mounts });
      targets.consider(pod);
      // Control-plane static pods too: their flags are what CVE conditions read (observations.ts).
      const risky = containers.length > 0 || mounts.length > 0 || pod.metadata?.namespace === 'kube-system';
      if (digest.kept.length < KEPT_WHOLE || (risky && digest.kept.length < 2 * KEPT_WHOLE)) digest.kept.push(pod);
      else digest.keptAll = false;
    },
  });
  return {
    write: (chunk) => json.write(chunk),
    end: () => json.end(),
    result: () => {
      digest.target = targets.chosen();
      digest.namespaces = [...namespaces];
      if (kind !== undefined && kind !== 'PodList') digest.podList = false;
      return digest;
    },
  };
}
export const podName = (pod: Pod) => `${pod.metadata?.namespace ?? '?'}/${pod.metadata?.name ?? '?'}`;

const containersOf = (pod: Pod) => specContainers(pod.spec);

/** Names of the pod's containers (init and ephemeral ones included) that run privileged. */
export function privilegedContainers(pod: Pod): string[] {
  return privilegedNames(pod.spec);
}

/** A host path from which a writable mount lets a pod place files under the node's /var/log. */
function coversVarLog(hostPath: string): boolean {
  const p = normalizedPath(hostPath);
  return p === '/var/log' || p.startsWith('/var/log/') || p === '/var' || p === '/';
}

export interface VarLogMount {
  container: string;
  hostPath: string;
  mountPath: string;
}

/** Containers of the pod that mount the host's /var/log (or a directory above or below it) writable. */
export function writableVarLogMounts(pod: Pod): VarLogMount[] {
  const volumes = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) {
    const path = v?.hostPath?.path;
    if (typeof v?.name === 'string' && typeof path === 'string' && coversVarLog(path)) volumes.set(v.name, path);
  }
  if (volumes.size === 0) return [];
  const out: VarLogMount[] = [];
  for (const c of containersOf(pod)) {
    for (const m of c.volumeMounts ?? []) {
      const hostPath = volumes.get(m?.name);
      if (hostPath !== undefined && m.readOnly !== true) {
        out.push({ container: c.name, hostPath, mountPath: String(m.mountPath) });
      }
    }
  }
  return out;
}

/** A container the passive debug-handler probes name. */
export interface ProbeTarget {
  namespace: string;
  pod: string;
  container: string;
}

/**
 * The pod and container whose handlers a passive probe names, chosen as kube-hunter chose: a running pod
 * in `default`, else in `kube-system`, else any running pod; its first container. Pods are shown one at a
 * time, as a stream reads them.
 */
class TargetChooser {
  private readonly first: Record<'default' | 'kube-system' | 'any', ProbeTarget | undefined> = {
    default: undefined,
    'kube-system': undefined,
    any: undefined,
  };

  consider(p: Pod): void {
    const namespace = p.metadata?.namespace;
    const pod = p.metadata?.name;
    const container = p.spec?.containers?.[0]?.name;
    if (p.status?.phase !== 'Running' || !namespace || !pod || typeof container !== 'string') return;
    const target = { namespace, pod, container };
    this.first.any ??= target;
    if (namespace === 'default' || namespace === 'kube-system') this.first[namespace] ??= target;
  }

  chosen(): ProbeTarget | undefined {
    return this.first.default ?? this.first['kube-system'] ?? this.first.any;
  }
}
