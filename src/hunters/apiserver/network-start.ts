import type { KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { podFact } from '../../paths/facts.js';
import type { NetworkFact, PodFact, StartFact } from '../../paths/graph.js';
import { podListOf, readPods } from '../kubelet/pod-list.js';
import { ServiceProbe, serviceOf } from '../probe.js';
import { followsUp } from './access-identity.js';
import type { ApiTarget } from './api.js';

// The unauthenticated network caller as a start of the attack paths: what answers it without any
// credential beyond the API server (an etcd that lists keys, a kubelet that runs commands for anyone, a
// Dashboard that skips its login). The insecure port and an exposed kubectl proxy are API identities of
// their own (ApiAccess), so they are starts already; this one adds the components that are not API servers.

/** The start's name in the paths and their findings. */
export const NETWORK_START = 'network (no credentials)';
/** Findings that show a kubelet runs commands for anonymous callers: /exec, /run, /attach let through. */
const KUBELET_EXEC = ['KF-KUBELET-005', 'KF-KUBELET-006', 'KF-KUBELET-008'];
/** The findings the network start rests on: a late one computes its paths again. */
export const NETWORK_FINDINGS = ['KF-ETCD-003', 'KF-DASHBOARD-001', ...KUBELET_EXEC];

/**
 * The network start of the API server at `target`, or undefined when nothing answers a caller with no
 * credential. Only for a server served over TLS: the insecure port of the same server is the same cluster,
 * and its paths would say it twice. An etcd belongs to the server on its host, a kubelet to the server
 * whose pods run on its node (`nodes`), or either to the only API server host the run found.
 */
export async function networkStart(
  ctx: HuntContext,
  target: ApiTarget,
  nodes: ReadonlySet<string>,
): Promise<{ fact: StartFact; parents: string[] } | undefined> {
  if (target.scheme !== 'https') return undefined;
  const hosts = new Set(ctx.known('ApiAccess', (a) => a.scheme === 'https' && followsUp(a)).map((a) => a.host));
  const single = hosts.size <= 1;
  const etcd: NonNullable<NetworkFact['etcd']> = [];
  const kubelets: NonNullable<NetworkFact['kubelets']> = [];
  const parents: string[] = [];
  for (const listed of ctx.known('Finding', (f) => f.kb === 'KF-ETCD-003' && (single || f.host === target.host))) {
    const open = ctx.known(
      'Finding',
      (f) => f.kb === 'KF-ETCD-002' && f.host === listed.host && f.port === listed.port,
    );
    const findings = [listed.id, ...open.map((f) => f.id)];
    etcd.push({ endpoint: `${listed.host}:${listed.port}`, findings });
    parents.push(...findings);
  }
  const byKubelet = new Map<string, KfEvent<'Finding'>[]>();
  for (const f of ctx.known('Finding', (x) => KUBELET_EXEC.includes(x.kb) && x.port !== undefined)) {
    const key = `${f.host}:${f.port}`;
    byKubelet.set(key, [...(byKubelet.get(key) ?? []), f]);
  }
  for (const [endpoint, shown] of [...byKubelet].sort(([a], [b]) => a.localeCompare(b))) {
    const { host, port } = shown[0];
    const service = port === undefined ? undefined : serviceOf(ctx, host!, port);
    if (!service) continue;
    const listed = await listedPods(ctx, service);
    if (!listed) continue;
    if (!single && !nodes.has(listed.node)) continue;
    const anonymous = ctx.known('Finding', (f) => f.kb === 'KF-KUBELET-001' && f.host === host && f.port === port);
    const findings = [...shown.map((f) => f.id), ...anonymous.map((f) => f.id)];
    kubelets.push({ endpoint, node: listed.node, pods: listed.pods, findings });
    parents.push(...findings);
  }
  // A Dashboard (a NodePort, on any node's address) is the cluster's on whose API server's host or one of
  // whose kubelets' hosts it answers; in a hunt of one cluster, the cluster's.
  const clusterHosts = new Set([target.host, ...kubelets.map((k) => k.endpoint.replace(/:\d+$/, ''))]);
  const dashboards = ctx.known(
    'Finding',
    (f) => f.kb === 'KF-DASHBOARD-001' && f.port !== undefined && (single || clusterHosts.has(f.host ?? '')),
  );
  const dashboard = dashboards.map((f) => ({ endpoint: `${f.host}:${f.port}`, findings: [f.id] }));
  parents.push(...dashboards.map((f) => f.id));
  if (etcd.length === 0 && kubelets.length === 0 && dashboard.length === 0) return undefined;
  const network = { etcd, kubelets, dashboards: dashboard };
  return { fact: { name: NETWORK_START, network }, parents: [...new Set(parents)] };
}

/**
 * The node a kubelet serves and the pods it lists, from its /pods: the read the kubelet hunters share, so
 * no request is added. Undefined when it lists no pod that names its node.
 */
async function listedPods(
  ctx: HuntContext,
  service: { host: string; port: number; scheme: 'http' | 'https' },
): Promise<{ node: string; pods: PodFact[] } | undefined> {
  const list = podListOf(await readPods(new ServiceProbe(ctx, service)));
  const node = list?.kept.map((p) => p.spec?.nodeName).find((n): n is string => typeof n === 'string');
  if (!list || !node) {
    ctx.log(`kubelet ${service.host}:${service.port}: no pod in its /pods names its node; no path through it`);
    return undefined;
  }
  const pods = list.kept.flatMap((p) => podFact(p) ?? []).map((p) => ({ ...p, node }));
  return { node, pods };
}
