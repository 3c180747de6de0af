import type { Pod } from 'kubernetes-types/core/v1.js';
import { refusal } from '../../active/send.js';
import { identityOf } from '../../active/toolkit.js';
import type { ChangeIdentity } from '../../core/changes.js';
import type { CredentialSecret, KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { parseBounded } from '../../net/json-stream.js';
import type { StreamedResponse } from '../../net/network.js';
import { ServiceProbe, serviceUrl } from '../probe.js';
import { KEPT_WHOLE, type PodDigest, podListOf, podName, podsGap, readPods } from './pod-list.js';
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
  scheme: 'http' | 'https';
  identity: ChangeIdentity;
  secret?: CredentialSecret;
}

/** The kubelet a finding is about (kubeletOf): its URL, and the finding's identity. */
export function kubeletTarget(ctx: HuntContext, finding: KfEvent<'Finding'>): KubeletTarget | undefined {
  const kubelet = kubeletOf(ctx, finding);
  if (!kubelet) return undefined;
  const { identity, secret } = identityOf(ctx, finding.identity);
  return {
    base: serviceUrl(kubelet, ''),
    host: kubelet.host,
    port: kubelet.port,
    scheme: kubelet.scheme,
    identity,
    secret,
  };
}

/**
 * The node's pods as the kubelet lists them (read as the passive hunters read them, the digest shared),
 * sorted by namespace and name; undefined when it refuses or sends no PodList. On a node with more than
 * KEPT_WHOLE pods, these are the first KEPT_WHOLE listed plus up to KEPT_WHOLE privileged or
 * /var/log-mounting ones after them.
 */
export async function kubeletPods(ctx: HuntContext, target: KubeletTarget): Promise<Pod[] | undefined> {
  const probe = new ServiceProbe(ctx, target);
  const read = await readPods(probe, '/pods', { credential: target.secret });
  const list = podListOf(read);
  if (!read || !list) {
    const why = !read ? probe.failed : read.status === 200 ? 'not a PodList' : refusal(excerptAnswer(read));
    ctx.log(`GET /pods: ${why}`);
    return undefined;
  }
  podsGap(ctx, target, read);
  if (!list.keptAll) {
    ctx.log(
      `${list.count} pods listed: the first ${KEPT_WHOLE} and up to ${KEPT_WHOLE} privileged or /var/log-mounting ones after them are followed`,
    );
  }
  return [...list.kept].sort((a, b) => podName(a).localeCompare(podName(b)));
}

/** A refused read's status and the start of its body, as `refusal` reads an answer. */
function excerptAnswer(read: StreamedResponse<PodDigest>) {
  const text = () => read.value.excerpt;
  const json = <T>() => parseBounded<T>(read.value.excerpt);
  return { status: read.status, text, json };
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
