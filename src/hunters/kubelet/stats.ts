import type { HuntContext } from '../../core/hunter.js';
import { JsonStream } from '../../net/json-stream.js';
import type { BodySink, ResponseHead, StreamedResponse } from '../../net/network.js';
import { count, streamGap } from '../evidence.js';
import type { ServiceAddress, ServiceProbe } from '../probe.js';

// A kubelet's statistics: `/stats/summary` (1.7+) names the node and every pod, so at 10,000 pods it runs
// to megabytes; it is read as a stream and only counted.

export interface StatsDigest {
  /** `/stats/summary`: the node's name (when the answer has a `node` object). */
  node?: string;
  /** The older cAdvisor-style `/stats/`: the root container's name. */
  container?: string;
  pods: number;
  subcontainers: number;
}

function statsSink(head: ResponseHead): BodySink<StatsDigest> {
  const digest: StatsDigest = { pods: 0, subcontainers: 0 };
  if (head.status !== 200) {
    return {
      write() {
        throw new Error('a refusal is not read');
      },
      result: () => digest,
    };
  }
  const json = new JsonStream({
    paths: ['$.node', '$.name', '$.pods.*', '$.subcontainers.*'],
    onValue(value, keys) {
      if (keys[0] === 'node' && keys.length === 1 && value && typeof value === 'object') {
        digest.node = String((value as { nodeName?: unknown }).nodeName ?? '?');
      } else if (keys[0] === 'name' && typeof value === 'string') digest.container = value;
      else if (keys[0] === 'pods' && keys.length === 2) digest.pods++;
      else if (keys[0] === 'subcontainers' && keys.length === 2) digest.subcontainers++;
    },
  });
  return { write: (chunk) => json.write(chunk), end: () => json.end(), result: () => digest };
}

/** `/stats/summary`, or `/stats/` when the kubelet predates it (404); undefined when no answer came. */
export async function readStats(probe: ServiceProbe): Promise<StreamedResponse<StatsDigest> | undefined> {
  const summary = await probe.stream('/stats/summary', statsSink);
  if (summary?.status !== 404) return summary;
  return probe.stream('/stats/', statsSink);
}

/** What the statistics name, or undefined when the answer is not a kubelet's statistics. */
export function describeStats(read: StreamedResponse<StatsDigest>): string | undefined {
  if (read.status !== 200) return undefined;
  const { node, container, pods, subcontainers } = read.value;
  const cut = read.cut ? ` (partial: cut after ${read.bytes} bytes: ${read.cut})` : '';
  if (node !== undefined) return `resource summary of node ${node} and ${count(pods, 'pod')}${cut}`;
  if (container !== undefined)
    return `container statistics of ${container} (${count(subcontainers, 'subcontainer')})${cut}`;
  return undefined;
}

/** Records statistics the hunter could not read to their end as a coverage gap. */
export function statsGap(ctx: HuntContext, service: ServiceAddress, read: StreamedResponse<StatsDigest>): void {
  streamGap(
    ctx,
    service,
    read,
    describeStats(read) !== undefined,
    `for ${read.bytes} bytes (${count(read.value.pods, 'pod')})`,
  );
}
