import type { HuntContext } from '../../core/hunter.js';
import { POD_DIGEST, type PodDigest, podDigestSink } from '../../kubernetes/pod-digest.js';
import type { StreamedResponse, StreamRequest } from '../../net/network.js';
import { streamGap } from '../evidence.js';
import type { ServiceAddress, ServiceProbe } from '../probe.js';

// The kubelet hunters' side of /pods: reading it through a probe, and reporting a list read in part. The
// digest itself (src/kubernetes/pod-digest.ts) sits below discovery and hunters, which both read it.
export {
  KEPT_WHOLE,
  POD_DIGEST,
  type PodDigest,
  type ProbeTarget,
  podDigestSink,
  podName,
  privilegedContainers,
  type VarLogMount,
  writableVarLogMounts,
} from '../../kubernetes/pod-digest.js';
export { normalizedPath } from '../../kubernetes/pod-spec.js';

/** Streams a kubelet PodList (`/pods` by default) as its hunters share it; undefined when no answer came. */
export function readPods(
  probe: ServiceProbe,
  path = '/pods',
  init: Omit<StreamRequest, 'url' | 'shared'> = {},
): Promise<StreamedResponse<PodDigest> | undefined> {
  return probe.stream(path, podDigestSink, { ...init, shared: POD_DIGEST });
}

/**
 * The read as a PodList, or undefined when it is not one. A list cut short (a deadline, a reset) is still
 * one: what was read is examined, and the hunter reports the cut (podsGap).
 */
export function podListOf(read: StreamedResponse<PodDigest> | undefined): PodDigest | undefined {
  return read?.status === 200 && read.value.podList ? read.value : undefined;
}

/** `; cut after 1,234 pods: <why>` for the evidence of a finding based on a list read in part. */
export function partial(read: StreamedResponse<PodDigest>): string {
  return read.cut ? ` (partial: the list was cut after ${read.value.count} pods: ${read.cut})` : '';
}

/**
 * Records a /pods list the hunter could not read to its end as a coverage gap: a PodList cut anywhere, or
 * any answer cut by a deadline or silence (an answer that was simply not JSON is no kubelet's list).
 */
export function podsGap(ctx: HuntContext, service: ServiceAddress, read: StreamedResponse<PodDigest>): void {
  streamGap(ctx, service, read, podListOf(read) !== undefined, `up to pod ${read.value.count} (${read.bytes} bytes)`);
}
