import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { count, sample } from '../evidence.js';
import { type Directive, parseCorefile, pluginsOf } from './corefile.js';
import {
  DNS_KB,
  nameOf,
  namespaceOf,
  type OpsFinding,
  type OpsObject,
  type OpsSource,
  owned,
  podSpecOf,
  podSpecPath,
  str,
  whereOf,
} from './objects.js';

// The DNS situations of issue 17 (amplification and outages), over the same objects as checks.ts: CoreDNS
// Corefiles that bypass or lack the cache, namespaces whose workloads keep ndots:5, kube-proxy in IPVS
// mode with the kernel's UDP expiry, and a large cluster without a node-local DNS cache. Pure: no I/O;
// the node-local cache's link-local address is only ever read as data, never contacted.

/**
 * The most dots a name can have and still be looked up as written first. Most external names have one
 * or two (`example.com`, `api.example.com`): above two, every such lookup walks the pod's search list
 * first (three cluster domains and the node's), each an A and an AAAA query, before the real one.
 */
export const NDOTS_LIMIT = 2;
/** What a pod's resolver uses when the cluster writes its resolv.conf and the pod sets no `ndots`. */
export const KUBERNETES_NDOTS = 5;
/**
 * An IPVS UDP timeout at or under this is tuned: a DNS exchange lasts milliseconds, and a connection entry
 * left to a CoreDNS pod that is gone blackholes the client's queries for this long at most (the kernel's
 * own default, which kube-proxy keeps when `ipvs.udpTimeout` is 0 or unset, is 300 s).
 */
export const TUNED_UDP_TIMEOUT_SECONDS = 30;
/**
 * From this many nodes a node-local DNS cache is expected. Without one, every pod's queries cross the
 * node's conntrack (whose UDP races drop queries and cost 5 s timeouts) to a few CoreDNS replicas; at a
 * hundred nodes the query rate and the conntrack churn are what the published DNS outages of large
 * clusters were made of, while small clusters rarely notice. A judgement, kept in one place.
 */
export const LARGE_CLUSTER_NODES = 100;
/** The link-local range node-local caches bind to (169.254.20.10 by the add-on, 169.254.25.10 by Kubespray). */
const LINK_LOCAL = /^169\.254\.\d{1,3}\.\d{1,3}$/;
/** Names the node-local DNS cache's DaemonSet goes by (the add-on, Kubespray). */
const NODE_LOCAL_NAMES = new Set(['node-local-dns', 'nodelocaldns']);

/** The string values of a ConfigMap's data, by key. */
function dataOf(o: OpsObject): [string, string][] {
  const data = o.item.data;
  if (o.kind !== 'ConfigMap' || !data || typeof data !== 'object') return [];
  return Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/** A cheap first look (YAML or JSON); kubeProxyUdpRisk parses the text and checks its kind for real. */
const isKubeProxyConfig = (text: string) => /["']?kind["']?\s*:\s*["']?KubeProxyConfiguration\b/.test(text);

/**
 * Whether a ConfigMap matters to these checks (a Corefile or a kube-proxy configuration): the hunter keeps
 * only those of a cluster's ConfigMaps, which may be many and large.
 */
export function dnsConfigMap(o: OpsObject): boolean {
  return dataOf(o).some(([key, text]) => key === 'Corefile' || isKubeProxyConfig(text));
}

const at = (d: Directive) => `line ${d.line}`;

/**
 * (1) Corefiles (any ConfigMap's `Corefile` key: CoreDNS, a node-local cache) with `autopath`, which
 * answers the search-list expansions itself and bypasses the cache for the names it rewrites (and needs
 * `pods verified`, a watch of every pod in every replica), or a server block without `cache`, whose every
 * query is resolved anew. A block that imports a file is not judged on `cache`: the file may hold it.
 */
function corefileRisks(objects: readonly OpsObject[]): OpsFinding[] {
  const out: OpsFinding[] = [];
  for (const o of objects) {
    const text = dataOf(o).find(([key]) => key === 'Corefile')?.[1];
    if (text === undefined) continue;
    const corefile = parseCorefile(text);
    const problems: string[] = [];
    let first: number | undefined;
    for (const server of corefile.servers) {
      const { plugins, unresolved } = pluginsOf(server, corefile);
      const zone = `server block ${server.keys.join(' ') || '(unnamed)'} (line ${server.line})`;
      const autopath = plugins.find((d) => d.name === 'autopath');
      if (autopath) {
        const verified = plugins
          .filter((d) => d.name === 'kubernetes')
          .flatMap((d) => d.options)
          .find((d) => d.name === 'pods' && d.args[0] === 'verified');
        problems.push(
          `${zone}: autopath ${autopath.args.join(' ')} (${at(autopath)}) answers search-list expansions itself, past the cache` +
            (verified ? `, and pods verified (${at(verified)}) makes every replica watch every pod` : ''),
        );
        first ??= autopath.line;
      }
      if (!plugins.some((d) => d.name === 'cache') && unresolved.length === 0) {
        const forward = plugins.find((d) => d.name === 'forward' || d.name === 'grpc' || d.name === 'proxy');
        problems.push(
          `${zone}: no cache` +
            (forward ? `, every query forwarded to ${forward.args.slice(1).join(' ') || '?'} (${at(forward)})` : ''),
        );
        first ??= server.line;
      }
    }
    if (problems.length === 0) continue;
    out.push({
      kb: DNS_KB.corefile,
      object: o,
      where: whereOf(o),
      field: ['data', 'Corefile'],
      valueLine: first,
      detail: `Corefile (lines are the Corefile's own): ${problems.join('; ')}`,
    });
  }
  return out;
}

/**
 * The `ndots` a pod spec's resolver ends up with when the cluster's DNS writes its resolv.conf, or
 * undefined when it does not (dnsPolicy Default, or ClusterFirst on the host network, which falls back to
 * the node's). dnsPolicy None takes only the pod's own options (the resolver's default is 1).
 */
export function effectiveNdots(spec: PodSpec): number | undefined {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'Default') return undefined;
  if (policy === 'ClusterFirst' && spec.hostNetwork === true) return undefined;
  const options = Array.isArray(spec.dnsConfig?.options) ? spec.dnsConfig.options : [];
  const set = options.filter((o) => o?.name === 'ndots').pop();
  const value = Number.parseInt(String(set?.value ?? ''), 10);
  if (Number.isFinite(value)) return value;
  return policy === 'None' ? 1 : KUBERNETES_NDOTS;
}

/** What runs pods of its own: a Pod or Job nobody owns, a ReplicaSet outside a Deployment, a controller. */
const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/**
 * (2) Workloads whose pods keep an ndots above NDOTS_LIMIT (the default 5 mostly), summarised per
 * namespace: whether they look up external names cannot be told from their specs, so the finding is one
 * per namespace with its counts and a sample, not one per pod. Live Pods are counted too (owned ones
 * included) to say how many pods resolve that way.
 */
function ndotsRisks(objects: readonly OpsObject[]): OpsFinding[] {
  const byNamespace = new Map<
    string,
    { first?: OpsObject; workloads: string[]; owners: Map<string, OpsObject>; pods: number; ndots: Set<number> }
  >();
  for (const o of objects) {
    if (!WORKLOAD_KINDS.has(o.kind)) continue;
    const spec = podSpecOf(o);
    const ndots = spec && effectiveNdots(spec);
    if (ndots === undefined || ndots <= NDOTS_LIMIT) continue;
    const ns = namespaceOf(o);
    let entry = byNamespace.get(ns);
    if (!entry) {
      entry = { workloads: [], owners: new Map(), pods: 0, ndots: new Set() };
      byNamespace.set(ns, entry);
    }
    entry.ndots.add(ndots);
    if (o.kind === 'Pod') entry.pods++;
    if (owned(o)) {
      const [ref] = (o.item.metadata?.ownerReferences ?? []) as { kind?: unknown; name?: unknown }[];
      entry.owners.set(`${str(ref?.kind) ?? '?'}/${str(ref?.name) ?? '?'}`, o);
      continue;
    }
    entry.first ??= o; // where a manifest's finding points: the first workload of its own
    entry.workloads.push(`${o.kind}/${nameOf(o)}`);
  }
  const out: OpsFinding[] = [];
  for (const [ns, e] of byNamespace) {
    // Only owned pods, when their controllers could not be read: their owners, as the pods name them.
    const owners = [...e.owners.keys()].map((o) => `${o} (not read)`);
    const first = e.first ?? e.owners.values().next().value;
    const workloads = e.first ? e.workloads : owners;
    if (!first) continue;
    const values = [...e.ndots].sort((a, b) => a - b).join('/');
    out.push({
      kb: DNS_KB.ndots,
      object: first,
      where: `namespace ${ns}`,
      field: podSpecPath(first.kind),
      detail:
        `${count(workloads.length, 'workload')}${e.pods > 0 ? ` (${count(e.pods, 'pod')} running)` : ''} whose pods resolve with ndots ${values}` +
        ` (no dnsConfig ndots of ${NDOTS_LIMIT} or less): a name with fewer than ${Math.min(...e.ndots)} dots (api.example.com) is tried in every search domain first;` +
        ` ${sample(workloads)}`,
    });
  }
  return out;
}

/** A Go duration (`0s`, `10s`, `1m30s`, `250ms`) in seconds, or undefined when it is not one. */
export function durationSeconds(v: unknown): number | undefined {
  if (typeof v === 'number') return v / 1e9; // a bare number in Go's JSON is nanoseconds
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  if (text === '0') return 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, µs: 1e-6, ns: 1e-9 };
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/**
 * What a kube-proxy configuration (as an object: a parsed config.conf, /configz's) says of IPVS and UDP:
 * a problem when the mode is ipvs and its UDP timeout is unset, 0 (the kernel's 300 s stays) or beyond
 * TUNED_UDP_TIMEOUT_SECONDS; undefined when it is safe (iptables, nftables, a tuned timeout).
 */
export function ipvsUdpRisk(config: unknown): string | undefined {
  const c = config as { mode?: unknown; ipvs?: { udpTimeout?: unknown } } | null;
  if (str(c?.mode)?.toLowerCase() !== 'ipvs') return undefined;
  const raw = c?.ipvs?.udpTimeout;
  const seconds = durationSeconds(raw);
  if (seconds !== undefined && seconds > 0 && seconds <= TUNED_UDP_TIMEOUT_SECONDS) return undefined;
  const timeout =
    raw === undefined
      ? 'ipvs.udpTimeout unset'
      : seconds === undefined
        ? `ipvs.udpTimeout ${String(raw)} (not a duration)`
        : seconds === 0
          ? `ipvs.udpTimeout ${String(raw)}`
          : `ipvs.udpTimeout ${String(raw)} (beyond ${TUNED_UDP_TIMEOUT_SECONDS} s)`;
  const kernel = seconds === undefined || seconds === 0 ? ', so the kernel keeps UDP entries 300 s' : '';
  return (
    `mode ipvs with ${timeout}${kernel}: when a CoreDNS pod goes away, queries reusing an entry to it are ` +
    'dropped until it expires'
  );
}

/** ipvsUdpRisk of a config.conf's text (YAML), with the line of its `mode:`; undefined when not one or safe. */
export function kubeProxyUdpRisk(text: string): { detail: string; line?: number } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  const config = doc.toJS() as { kind?: unknown } | null;
  if (config?.kind !== 'KubeProxyConfiguration') return undefined;
  const detail = ipvsUdpRisk(config);
  if (!detail) return undefined;
  const modeKey = doc.contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'mode')?.key as
    | { range?: [number, number, number] | null }
    | undefined;
  return { detail, line: modeKey?.range ? lines.linePos(modeKey.range[0]).line : undefined };
}

/** The cluster DNS Service, as kubeadm and most distributions name it. */
export const DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;

/**
 * Whether the cluster DNS Service serves UDP 53 (what the IPVS expiry is about): `yes`, `no` (it serves
 * DNS over TCP only, or not on 53), or `unknown` when it is not among the objects (not readable, named
 * otherwise, manifests without it). A port without a protocol is TCP, as the API defaults it.
 */
export function dnsServiceUdp(objects: readonly OpsObject[]): 'yes' | 'no' | 'unknown' {
  const service = objects.find(
    (o) => o.kind === 'Service' && namespaceOf(o) === DNS_SERVICE.namespace && nameOf(o) === DNS_SERVICE.name,
  );
  if (!service) return 'unknown';
  const ports = Array.isArray(service.item.spec?.ports)
    ? (service.item.spec.ports as { port?: unknown; protocol?: unknown }[])
    : [];
  return ports.some((p) => p?.port === 53 && p.protocol === 'UDP') ? 'yes' : 'no';
}

/**
 * What a KF-OPS-008 finding says of the cluster DNS Service (`udp` as dnsServiceUdp judged it), after its
 * kube-proxy detail: from a ConfigMap and from a running kube-proxy alike. A manifest without the Service
 * says nothing of it (manifests are seldom the whole cluster).
 */
export function dnsServiceSaid(udp: 'yes' | 'unknown', source: OpsSource): string {
  const service = `${DNS_SERVICE.namespace}/Service/${DNS_SERVICE.name}`;
  if (udp === 'yes') return `; ${service} serves UDP 53`;
  return source === 'live' ? `; ${service} not read: whether DNS goes over UDP was not checked` : '';
}

/**
 * (3) kube-proxy configurations (any ConfigMap key holding a KubeProxyConfiguration) in IPVS mode, untuned,
 * when the cluster DNS Service serves UDP 53 (a Service serving DNS over TCP only keeps no UDP entries):
 * live, a Service that could not be read leaves the finding standing, saying so.
 */
function ipvsRisks(objects: readonly OpsObject[], source: OpsSource): OpsFinding[] {
  const udp = dnsServiceUdp(objects);
  if (udp === 'no') return [];
  const said = dnsServiceSaid(udp, source);
  const out: OpsFinding[] = [];
  for (const o of objects) {
    for (const [key, text] of dataOf(o)) {
      if (!isKubeProxyConfig(text)) continue;
      const risk = kubeProxyUdpRisk(text);
      if (!risk) continue;
      out.push({
        kb: DNS_KB.ipvsUdp,
        object: o,
        where: whereOf(o),
        field: ['data', key],
        valueLine: risk.line,
        detail: `${key}: ${risk.detail}${said}`,
      });
    }
  }
  return out;
}

/** Where a node-local DNS cache shows: its DaemonSet, or a Corefile bound to a link-local address. */
function nodeLocalCache(objects: readonly OpsObject[]): string | undefined {
  for (const o of objects) {
    if (o.kind === 'DaemonSet') {
      const labels = (o.item.spec?.template as { metadata?: { labels?: Record<string, unknown> } } | undefined)
        ?.metadata?.labels;
      if (NODE_LOCAL_NAMES.has(nameOf(o)) || NODE_LOCAL_NAMES.has(str(labels?.['k8s-app']) ?? '')) return whereOf(o);
    }
    const text = dataOf(o).find(([key]) => key === 'Corefile')?.[1];
    if (text === undefined) continue;
    const corefile = parseCorefile(text);
    for (const server of corefile.servers) {
      const bind = pluginsOf(server, corefile).plugins.find(
        (d) => d.name === 'bind' && d.args.some((a) => LINK_LOCAL.test(a)),
      );
      if (bind) return `${whereOf(o)} (bind ${bind.args.join(' ')})`;
    }
  }
  return undefined;
}

/**
 * (4) A cluster of LARGE_CLUSTER_NODES nodes or more without a node-local DNS cache. The node count is the
 * Node objects read, or at least the most nodes a DaemonSet runs on. Judged only when kube-system's
 * DaemonSets were read (one of them is there on any cluster): an identity that cannot see them cannot
 * tell the cache is missing.
 */
function nodeLocalRisk(objects: readonly OpsObject[]): OpsFinding[] {
  let nodes = 0;
  let widest: { o: OpsObject; n: number } | undefined;
  let systemDaemonSet: OpsObject | undefined;
  for (const o of objects) {
    if (o.kind === 'Node') nodes++;
    if (o.kind !== 'DaemonSet') continue;
    if (namespaceOf(o) === 'kube-system') systemDaemonSet ??= o;
    const n = o.item.status?.desiredNumberScheduled;
    if (typeof n === 'number' && n > (widest?.n ?? 0)) widest = { o, n };
  }
  const size = Math.max(nodes, widest?.n ?? 0);
  if (!systemDaemonSet || size < LARGE_CLUSTER_NODES || nodeLocalCache(objects)) return [];
  const counted =
    nodes >= (widest?.n ?? 0)
      ? count(nodes, 'node')
      : `at least ${widest!.n} nodes (${whereOf(widest!.o)} runs on them)`;
  return [
    {
      kb: DNS_KB.noNodeLocalDns,
      object: systemDaemonSet,
      where: 'cluster DNS',
      detail:
        `${counted} (${LARGE_CLUSTER_NODES} or more) and no node-local DNS cache (no node-local-dns DaemonSet, ` +
        'no Corefile bound to a link-local address): every query crosses conntrack to the CoreDNS replicas',
    },
  ];
}

/** What the DNS checks could not judge in an object: one line, for a coverage gap (reason `skipped`). */
export interface DnsUnjudged {
  object: OpsObject;
  where: string;
  detail: string;
}

/**
 * Corefiles whose imports name files (`import custom/*.server`, AKS's and others' way to add
 * configuration from another ConfigMap): the server blocks in those files, and whether a block without
 * its own `cache` gets one from them, cannot be read from here. Never silent: each is a line to report as
 * coverage, not a finding.
 */
export function dnsUnjudged(objects: readonly OpsObject[]): DnsUnjudged[] {
  const out: DnsUnjudged[] = [];
  for (const o of objects) {
    const text = dataOf(o).find(([key]) => key === 'Corefile')?.[1];
    if (text === undefined) continue;
    const corefile = parseCorefile(text);
    const notes = corefile.imports.length > 0 ? [`the server blocks it imports (${corefile.imports.join(', ')})`] : [];
    for (const server of corefile.servers) {
      const { plugins, unresolved } = pluginsOf(server, corefile);
      if (unresolved.length === 0 || plugins.some((d) => d.name === 'cache')) continue;
      notes.push(
        `whether server block ${server.keys.join(' ') || '(unnamed)'} (line ${server.line}) caches: it imports ${unresolved.join(', ')}`,
      );
    }
    if (notes.length === 0) continue;
    out.push({ object: o, where: whereOf(o), detail: `Corefile not judged fully: ${notes.join('; ')}` });
  }
  return out;
}

/** Every DNS risk the objects show, by check. Node-local caches are judged live only (nodes are not manifests). */
export function dnsFindings(objects: readonly OpsObject[], source: OpsSource): OpsFinding[] {
  return [
    ...corefileRisks(objects),
    ...ndotsRisks(objects),
    ...ipvsRisks(objects, source),
    ...(source === 'live' ? nodeLocalRisk(objects) : []),
  ];
}
