import type { Pod } from 'kubernetes-types/core/v1.js';
import type { HttpResponse } from '../../net/network.js';
import { normalizedPath, privilegedNames, specContainers } from '../pod-spec-checks.js';

export { normalizedPath };

// What the passive kubelet hunters read from a kubelet's /pods (a v1 PodList whose items lack kind and
// apiVersion). Read defensively: a kubelet under attack, or something posing as one, may send anything.

/** /pods of a busy node runs to a few MiB; a body cut short is still recognised as a PodList. */
export const PODS_MAX_BYTES = 8 * 1024 * 1024;

/**
 * How every kubelet hunter reads /pods: up to the cap, and shared, so the passive and active hunters of one
 * kubelet and identity send it once between them.
 */
export const PODS_READ = { maxBytes: PODS_MAX_BYTES, shared: true } as const;

export interface PodListAnswer {
  /** The pods, or undefined when the list was cut at the size cap and could not be parsed. */
  pods?: Pod[];
}

/** The answer as a PodList, or undefined when it is not one. */
export function readPodList(res: HttpResponse | undefined): PodListAnswer | undefined {
  if (res?.status !== 200) return undefined;
  const json = res.json<{ kind?: unknown; items?: unknown }>();
  if (json && typeof json === 'object' && Array.isArray(json.items) && (json.kind ?? 'PodList') === 'PodList') {
    const named = (p: unknown): p is Pod => typeof (p as Pod | null)?.metadata?.name === 'string';
    return { pods: json.items.filter(named) };
  }
  if (res.truncated && /^\s*\{\s*"kind"\s*:\s*"PodList"/.test(res.text())) return {};
  return undefined;
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

/**
 * The pod and container whose handlers a passive probe names, chosen as kube-hunter chose: a running pod
 * in `default`, else in `kube-system`, else any running pod; its first container.
 */
export function probeTarget(pods: readonly Pod[]): { namespace: string; pod: string; container: string } | undefined {
  const running = pods.filter(
    (p) => p.status?.phase === 'Running' && p.metadata?.name && p.metadata.namespace && p.spec?.containers?.[0]?.name,
  );
  const chosen =
    running.find((p) => p.metadata?.namespace === 'default') ??
    running.find((p) => p.metadata?.namespace === 'kube-system') ??
    running[0];
  if (!chosen) return undefined;
  return {
    namespace: chosen.metadata!.namespace!,
    pod: chosen.metadata!.name!,
    container: chosen.spec!.containers[0].name,
  };
}
