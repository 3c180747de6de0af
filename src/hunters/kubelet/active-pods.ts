import type { Pod } from 'kubernetes-types/core/v1.js';
import { refusal } from '../../active/send.js';
import { identityOf } from '../../active/toolkit.js';
import type { ChangeIdentity } from '../../core/changes.js';
import type { CredentialSecret, KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { serviceUrl } from '../probe.js';
import { PODS_READ, podName, readPodList } from './pod-list.js';
import { kubeletOf } from './target.js';

/** A running container of the node, as active kubelet hunters address it. */
export interface KubeletContainer {
  namespace: string;
  pod: string;
  container: string;
  /** The pod it belongs to, as the kubelet listed it. */
  spec: Pod;
}

/** A kubelet an active hunter follows up on, and who to be when talking to it. */
export interface KubeletTarget {
  base: string;
  host: string;
  port: number;
  identity: ChangeIdentity;
  secret?: CredentialSecret;
}

/** The kubelet a finding is about (kubeletOf): its URL, and the finding's identity. */
export function kubeletTarget(ctx: HuntContext, finding: KfEvent<'Finding'>): KubeletTarget | undefined {
  const kubelet = kubeletOf(ctx, finding);
  if (!kubelet) return undefined;
  const { identity, secret } = identityOf(ctx, finding.identity);
  return { base: serviceUrl(kubelet, ''), host: kubelet.host, port: kubelet.port, identity, secret };
}

/**
 * The node's pods as the kubelet lists them (read as the passive hunters read them), sorted by namespace and
 * name; undefined when it refuses or sends no PodList.
 */
export async function kubeletPods(ctx: HuntContext, target: KubeletTarget): Promise<Pod[] | undefined> {
  const res = await ctx.net.http({ url: `${target.base}/pods`, credential: target.secret, ...PODS_READ });
  const list = readPodList(res);
  if (!list?.pods) {
    ctx.log(
      `GET /pods: ${res.status === 200 ? (list ? 'the PodList is over the size cap' : 'not a PodList') : refusal(res)}`,
    );
    return undefined;
  }
  return list.pods.sort((a, b) => podName(a).localeCompare(podName(b)));
}

/** The running containers of the node (not init or ephemeral ones), pod by pod. */
export function runningContainers(pods: readonly Pod[]): KubeletContainer[] {
  return pods
    .filter((p) => p.status?.phase === 'Running' && p.metadata?.namespace)
    .flatMap((p) =>
      (p.spec?.containers ?? [])
        .filter((c) => typeof c?.name === 'string')
        .map((c) => ({
          namespace: p.metadata!.namespace!,
          pod: p.metadata!.name!,
          container: c.name,
          spec: p,
        })),
    );
}

/** `namespace/pod/container`, as evidence and logs name a container. */
export const containerName = (c: KubeletContainer) => `${c.namespace}/${c.pod}/${c.container}`;

/** The path of a container under a kubelet handler (`/run`, `/containerLogs`), each part escaped. */
export const containerPath = (c: KubeletContainer) =>
  [c.namespace, c.pod, c.container].map(encodeURIComponent).join('/');

/** `/run/<ns>/<pod>/<container>?cmd=…` of a kubelet: spaces as %20, since the kubelet splits on them. */
export function runUrl(base: string, c: KubeletContainer, command: string): string {
  return `${base}/run/${containerPath(c)}?cmd=${encodeURIComponent(command)}`;
}

/** Subject of kubelet follow-ups: one run per kubelet, whichever finding about it came first. */
export const perKubelet = (f: KfEvent<'Finding'>) => `${f.host}:${f.port}`;
