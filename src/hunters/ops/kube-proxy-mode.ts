import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { hostPort } from '../../net/scope.js';
import { askerOf, followsUp } from '../apiserver/access-identity.js';
import { runMap } from '../apiserver/run-reads.js';
import { count, said } from '../evidence.js';
import { ServiceProbe } from '../probe.js';
import { dnsServiceSaid, dnsServiceUdp, ipvsUdpRisk } from './dns.js';
import { type DnsServiceReader, readDnsService } from './dns-service.js';
import { DNS_KB } from './objects.js';

/** Where /configz keeps kube-proxy's running configuration. */
const CONFIGZ_KEY = 'kubeproxy.config.k8s.io';

/** What one kube-proxy showed: IPVS with an untuned (or unreadable) UDP timeout. */
interface Shown {
  service: KfEvent<'ServiceFound'>;
  evidence: string;
  /** Set when the UDP timeout could not be read. */
  possible?: string;
}

/** The kube-proxies that showed IPVS before the hunt settled, by run, judged once every identity is in. */
const pendingByRun = new WeakMap<object, Map<string, Shown>>();

/** `/proxyMode` and `/configz` of one kube-proxy: what it shows, or undefined when it is safe or not IPVS. */
async function probeKubeProxy(ctx: HuntContext, service: KfEvent<'ServiceFound'>): Promise<Shown | undefined> {
  const probe = new ServiceProbe(ctx, service);
  const mode = await probe.get('/proxyMode', { maxBytes: 1024 });
  if (mode?.status !== 200 || mode.text().trim() !== 'ipvs') return undefined;
  const at = `kube-proxy at ${service.host}:${service.port}`;
  const configz = await probe.get('/configz', { maxBytes: 512 * 1024 });
  const running = configz?.status === 200 ? configz.json<Record<string, unknown>>()?.[CONFIGZ_KEY] : undefined;
  if (running && typeof running === 'object') {
    const risk = ipvsUdpRisk({ mode: 'ipvs', ...running });
    if (!risk) return undefined;
    return { service, evidence: `${at}: ${said(mode, 'ipvs')}; ${said(configz!, risk)}` };
  }
  const why = configz ? `/configz answered ${configz.status}` : '/configz did not answer';
  return {
    service,
    evidence: `${at}: ${said(mode, 'ipvs')}; its UDP timeout could not be read (${why})`,
    possible: `whether ipvs.udpTimeout is tuned (${why})`,
  };
}

/** The cluster a kube-proxy belongs to: the API server whose Node list names its host, or one on its host. */
interface Cluster {
  /** The API server's host: the finding's, and where the kube-dns Service is read. */
  host: string;
  /** How the kube-proxy was tied to it, for the evidence. */
  how: string;
}

/**
 * Which cluster a kube-proxy at `host` belongs to, as the run can tell: a node address an API server listed
 * (AddressLearned, from apiserver-node-addresses or discover-nodes), else an API server on the host itself
 * (a control-plane node runs a kube-proxy too). Undefined when no API server of the run says: its port
 * does not tell, and another cluster's Service must not stand for its own.
 */
function clusterOf(ctx: HuntContext, host: string): Cluster | undefined {
  const node = ctx.known('AddressLearned', (a) => a.address === host && a.node !== undefined)[0]?.node;
  if (node) return { host: node.host, how: `node ${node.name} of the API server at ${hostPort(node.host, node.port)}` };
  const own = ctx.known('ApiAccess', (a) => a.host === host && followsUp(a))[0];
  if (own) return { host, how: `on the host of the API server at ${hostPort(own.host, own.port)}` };
  return undefined;
}

/**
 * The identities that may be asked for the kube-dns Service of a kube-proxy's cluster: those on its API
 * server's host; when the cluster could not be told, every identity of the run, those on the kube-proxy's
 * own host first (the evidence then says so).
 */
function readersFor(ctx: HuntContext, cluster: Cluster | undefined, host: string): DnsServiceReader[] {
  const accesses = ctx.known('ApiAccess', followsUp);
  const ordered = cluster
    ? accesses.filter((a) => a.host === cluster.host)
    : [...accesses.filter((a) => a.host === host), ...accesses.filter((a) => a.host !== host)];
  return ordered.flatMap((access) => {
    const asker = askerOf(ctx, access);
    return asker ? [{ target: { host: access.host, port: access.port, scheme: access.scheme }, asker }] : [];
  });
}

/**
 * One finding per cluster from what its kube-proxies showed (kube-proxies no API server of the run could
 * be tied to are one more group): the first that read its UDP timeout (by address), the others counted.
 */
async function judge(ctx: HuntContext, shown: readonly Shown[]): Promise<void> {
  const groups = new Map<string, { cluster?: Cluster; shown: Shown[] }>();
  for (const s of shown) {
    const cluster = clusterOf(ctx, s.service.host);
    const key = cluster?.host ?? '';
    const group = groups.get(key) ?? { cluster, shown: [] };
    group.shown.push(s);
    groups.set(key, group);
  }
  for (const group of groups.values()) await judgeCluster(ctx, group.cluster, group.shown);
}

/**
 * One cluster's finding, reported only when its kube-system/kube-dns serves UDP 53 or could not be read with
 * any identity of the run (the finding then says so, as the ConfigMap path does); a Service that serves
 * DNS over TCP only keeps no UDP entries to outlive a CoreDNS pod. A cluster told is the finding's host (its
 * API server's, as the ConfigMap path's); one not told has none.
 */
async function judgeCluster(ctx: HuntContext, cluster: Cluster | undefined, shown: readonly Shown[]): Promise<void> {
  const [first, ...others] = [...shown].sort(
    (a, b) =>
      Number(a.possible !== undefined) - Number(b.possible !== undefined) ||
      a.service.host.localeCompare(b.service.host) ||
      a.service.port - b.service.port,
  );
  if (!first) return;
  const read = await readDnsService(ctx, readersFor(ctx, cluster, first.service.host));
  const udp = dnsServiceUdp(read.object ? [read.object] : []);
  const whose = cluster
    ? ` (${cluster.how})`
    : ` (its cluster could not be told: no node list the run read names ${first.service.host}, and no API server of the run is there)`;
  if (udp === 'no') {
    ctx.log(`${first.evidence}${whose}; kube-system/Service/kube-dns serves no UDP 53 (${read.how}): not reported`);
    return;
  }
  const more = others.length > 0 ? `; ${count(others.length, 'other kube-proxy', 'other kube-proxies')} in IPVS` : '';
  ctx.report(
    {
      ...(cluster && { host: cluster.host }),
      kb: DNS_KB.ipvsUdp,
      object: 'kube-proxy (running)',
      evidence: `${first.evidence}${whose}${dnsServiceSaid(udp, 'live')} (${read.how})${more}`,
      ...(first.possible !== undefined && { possible: first.possible }),
    },
    [first.service.id],
  );
}

/**
 * KF-OPS-008 as a running kube-proxy says it, for a hunt that sees kube-proxy's metrics port but may not
 * read its ConfigMap (a remote hunt, an identity without ConfigMaps): `/proxyMode` answers `ipvs`, and
 * `/configz` gives the running `ipvs.udpTimeout`. When /configz does not answer, the timeout could not be
 * checked and the finding is possible. Whether DNS goes over UDP (kube-system/kube-dns) is asked with the
 * identities of the run on the kube-proxy's own cluster (the API server whose Node list names its host), which
 * the access survey publishes after the ports are found: what a kube-proxy shows is kept until the hunt
 * settles (`ops-kube-proxy-ipvs-dns` judges it then), or judged at once when it already has. kube-proxy runs
 * on every node with one configuration, so the finding is one for the cluster (the host of its API server;
 * none when the cluster could not be told, which the evidence says), naming the node that showed it.
 */
export const kubeProxyIpvsHunter = defineHunter({
  id: 'ops-kube-proxy-ipvs',
  title: "kube-proxy in IPVS mode with the kernel's UDP timeout, from its metrics port",
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'kube-proxy',
  reports: [DNS_KB.ipvsUdp],
  async hunt(service: KfEvent<'ServiceFound'>, ctx) {
    // Before anything is awaited: while this runs the bus is not idle, so a hunt not settled now settles
    // after this run, and the settled hunter finds what it kept.
    const settled = ctx.known('HuntSettled').length > 0;
    const pending = settled ? undefined : runMap(ctx, pendingByRun);
    const shown = await probeKubeProxy(ctx, service);
    if (!shown) return;
    if (pending) pending.set(`${service.host}:${service.port}`, shown);
    else await judge(ctx, [shown]); // settled already, or a bare engine that never settles a run
  },
});

/** What the kube-proxies showed before the hunt settled, judged with every identity the run has by then. */
export const kubeProxyIpvsSettledHunter = defineHunter({
  id: 'ops-kube-proxy-ipvs-dns',
  title: 'kube-proxy in IPVS mode: whether the cluster DNS goes over UDP, once every identity is in',
  mode: 'passive',
  on: 'HuntSettled',
  reports: [DNS_KB.ipvsUdp],
  async hunt(_settled, ctx) {
    const pending = runMap(ctx, pendingByRun);
    if (!pending || pending.size === 0) return;
    const shown = [...pending.values()];
    pending.clear();
    await judge(ctx, shown);
  },
});
