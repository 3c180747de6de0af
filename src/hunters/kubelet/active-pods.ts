import { refusal } from '../../active/send.js';
import { baseUrl, identityOf, schemeOf } from '../../active/toolkit.js';
import type { ChangeIdentity } from '../../core/changes.js';
import type { CredentialSecret, KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { PODS_MAX_BYTES } from './pod-list.js';

/** What active kubelet hunters need of a pod from the kubelet's /pods. */
export interface KubeletPod {
  namespace: string;
  name: string;
  running: boolean;
  containers: string[];
  volumes: { name: string; hostPath?: string }[];
  mounts: Record<string, { volume: string; mountPath: string; readOnly: boolean }[]>;
}

interface PodList {
  items?: {
    metadata?: { name?: string; namespace?: string };
    spec?: {
      containers?: { name?: string; volumeMounts?: { name?: string; mountPath?: string; readOnly?: boolean }[] }[];
      volumes?: { name?: string; hostPath?: { path?: string } }[];
    };
    status?: { phase?: string };
  }[];
}

/** A kubelet an active hunter follows up on, and who to be when talking to it. */
export interface KubeletTarget {
  base: string;
  host: string;
  port: number;
  identity: ChangeIdentity;
  secret?: CredentialSecret;
}

/** The kubelet a finding is about: its URL (https unless discovery said otherwise) and the finding's identity. */
export function kubeletTarget(ctx: HuntContext, finding: KfEvent<'Finding'>): KubeletTarget | undefined {
  if (!finding.host || !finding.port) return undefined;
  const { identity, secret } = identityOf(ctx, finding.identity);
  const base = baseUrl(schemeOf(ctx, finding.host, finding.port, 'https'), finding.host, finding.port);
  return { base, host: finding.host, port: finding.port, identity, secret };
}

/** The node's pods as the kubelet lists them, sorted by namespace and name; undefined when it refuses. */
export async function kubeletPods(ctx: HuntContext, target: KubeletTarget): Promise<KubeletPod[] | undefined> {
  const res = await ctx.net.http({ url: `${target.base}/pods`, credential: target.secret, maxBytes: PODS_MAX_BYTES });
  if (res.status !== 200) {
    ctx.log(`GET /pods: ${refusal(res)}`);
    return undefined;
  }
  const list = res.json<PodList>();
  const pods: KubeletPod[] = [];
  for (const item of list?.items ?? []) {
    const name = item.metadata?.name;
    const namespace = item.metadata?.namespace;
    if (!name || !namespace) continue;
    const containers = (item.spec?.containers ?? []).filter((c) => c.name);
    pods.push({
      namespace,
      name,
      running: item.status?.phase === 'Running',
      containers: containers.map((c) => c.name!),
      volumes: (item.spec?.volumes ?? [])
        .filter((v) => v.name)
        .map((v) => ({ name: v.name!, ...(v.hostPath?.path && { hostPath: v.hostPath.path }) })),
      mounts: Object.fromEntries(
        containers.map((c) => [
          c.name!,
          (c.volumeMounts ?? [])
            .filter((m) => m.name && m.mountPath)
            .map((m) => ({ volume: m.name!, mountPath: m.mountPath!, readOnly: m.readOnly === true })),
        ]),
      ),
    });
  }
  return pods.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The running containers of the node, as `[pod, container]` pairs. */
export function runningContainers(pods: KubeletPod[]): [KubeletPod, string][] {
  return pods.filter((p) => p.running).flatMap((p) => p.containers.map((c): [KubeletPod, string] => [p, c]));
}

/** `/run/<ns>/<pod>/<container>?cmd=…` of a kubelet: spaces as %20, since the kubelet splits on them. */
export function runUrl(base: string, pod: KubeletPod, container: string, command: string): string {
  const path = [pod.namespace, pod.name, container].map(encodeURIComponent).join('/');
  return `${base}/run/${path}?cmd=${encodeURIComponent(command)}`;
}

/** Subject of kubelet follow-ups: one run per kubelet, whichever finding about it came first. */
export const perKubelet = (f: KfEvent<'Finding'>) => `${f.host}:${f.port}`;
