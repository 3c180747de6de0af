import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { secretFingerprint } from '../../core/redact.js';
import { podSpecWeaknesses, type SpecWeakness, specContainers } from '../../kubernetes/pod-spec.js';
import type { RbacFacts } from '../../paths/rbac.js';
import { count, sample } from '../evidence.js';
import { opsFindings } from '../ops/checks.js';
import { dnsConfigMap, dnsUnjudged } from '../ops/dns.js';
import { readDnsService } from '../ops/dns-service.js';
import { DNS_KB, OPS_KB, type OpsObject } from '../ops/objects.js';
import { NOT_SERVED, opsUnjudged, unjudgedLine } from '../ops/unjudged.js';
import { scanCredentials } from '../plain-credentials.js';
import type { Asker } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type Answer, type ApiTarget, askApi, endpointLabel, netFailure } from './api.js';
import { takeJudged, workloadOnce } from './pods-once.js';
import { type ReadOnce, readOnce } from './read-once.js';
import { readForRun, runMap } from './run-reads.js';
import { served } from './served.js';
import type { FoldedReport } from './workload-fold.js';

/** Where objects holding a pod spec (or credentials) are listed, and where the spec sits in each. */
export interface Source {
  kind: string;
  /** The resource, as coverage gaps and log lines name it. */
  resource: string;
  /** API path prefix up to the resource (`/api/v1`, `/apis/apps/v1`). */
  api: string;
  /** Older API paths serving the same objects, tried in order when `api` is not served (served.ts). */
  older?: readonly string[];
  spec?: (item: Item) => PodSpec | undefined;
  /** What of each item is kept, when not all of it (a list of thousands is kept until the checks run). */
  slim?: (item: Item) => Item;
}

export interface Item {
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: Record<string, unknown>;
  data?: unknown;
}

type Template = { spec?: PodSpec } | undefined;
const template = (item: Item) => (item.spec?.template as Template)?.spec;

/** Pods: read once for every hunter that needs them (pods-once.ts). */
export const POD_SOURCE: Source = {
  kind: 'Pod',
  resource: 'pods',
  api: '/api/v1',
  spec: (i) => i.spec as PodSpec | undefined,
};

/** Controllers first, then Pods (see WorkloadFold), then ConfigMaps. */
export const WORKLOAD_SOURCES: readonly Source[] = [
  { kind: 'Deployment', resource: 'deployments', api: '/apis/apps/v1', spec: template },
  { kind: 'DaemonSet', resource: 'daemonsets', api: '/apis/apps/v1', spec: template },
  { kind: 'StatefulSet', resource: 'statefulsets', api: '/apis/apps/v1', spec: template },
  { kind: 'Job', resource: 'jobs', api: '/apis/batch/v1', spec: template },
  {
    kind: 'CronJob',
    resource: 'cronjobs',
    api: '/apis/batch/v1',
    older: ['/apis/batch/v1beta1'], // Kubernetes 1.8-1.20: the job template is the same
    spec: (i) => ((i.spec?.jobTemplate as { spec?: Item['spec'] } | undefined)?.spec?.template as Template)?.spec,
  },
  // After the controllers: a pod's weakness its owner's template shows is folded into the owner's finding.
  POD_SOURCE,
  { kind: 'ConfigMap', resource: 'configmaps', api: '/api/v1' },
];

/**
 * What only the operational-risk checks read (src/hunters/ops/checks.ts): they run on these and on the
 * workloads above, read once by this hunter for both.
 */
export const OPS_SOURCES: readonly Source[] = [
  { kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', api: '/apis/autoscaling/v1' },
  { kind: 'PriorityClass', resource: 'priorityclasses', api: '/apis/scheduling.k8s.io/v1' },
  { kind: 'Node', resource: 'nodes', api: '/api/v1', slim: slimNode },
  { kind: 'PersistentVolume', resource: 'persistentvolumes', api: '/api/v1' },
  { kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', api: '/api/v1' },
];

/** Objects per page: full objects (a pod runs to several KiB), so fewer than the survey's Table rows. */
const PAGE_LIMIT = 250;
/** A page of full objects may be large; beyond this it is cut and reported as coverage. */
const PAGE_MAX_BYTES = 8 * 1024 * 1024;
interface Read {
  /** Objects read. */
  count: number;
  where: string;
}

/**
 * Every object of one resource the identity may list, a page at a time, handed to `each` as it arrives
 * (a page is dropped once handled, so a cluster of any size costs one page of memory): all namespaces when
 * it may, else its own namespace. Undefined when neither is readable (denied, not served). Read to the end
 * of the list: what bounds it is the hunter's deadline, and whatever could not be read (the deadline, a
 * page that failed, the network) is a coverage gap naming how much was.
 */
export async function readEach(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
  each: (item: Item) => void,
): Promise<Read | undefined> {
  const places = [
    { path: `${source.api}/${source.resource}`, where: 'all namespaces' },
    {
      path: `${source.api}/namespaces/${encodeURIComponent(asker.namespace)}/${source.resource}`,
      where: `namespace ${asker.namespace}`,
    },
  ];
  const subject = `list ${source.resource} (${asker.identity})`;
  const gap = (reason: 'deadline' | 'page-failed' | 'error', detail: string) =>
    ctx.gap({ host: target.host, port: target.port, subject, reason, detail });
  for (const place of places) {
    let read = 0;
    let next: string | undefined;
    let pages = 0;
    do {
      const page = next === undefined ? '' : `&continue=${encodeURIComponent(next)}`;
      let answer: Answer;
      try {
        answer = await askApi(ctx, target, {
          path: `${place.path}?limit=${PAGE_LIMIT}${page}`,
          credential: asker.credential,
          maxBytes: PAGE_MAX_BYTES,
          gap: false,
          // Pods and controllers are many and large (200 pages of pods at 50,000), and what several hunters
          // need of them is shared above the network (pods-once.ts): the network's store of answers would
          // only hold up to 32 MB of their pages that nobody asks for again. Other lists (the nodes) stay in
          // it: other hunters read the same pages.
          ...(source.spec !== undefined && { shared: false }),
        });
      } catch (err) {
        const why = ctx.signal.aborted ? 'deadline' : 'error';
        gap(why, `${netFailure(err)} after ${count(read, source.kind.toLowerCase())} in ${place.where}`);
        return pages > 0 ? { count: read, where: place.where } : undefined;
      }
      if (answer.kind === 'denied' || answer.kind === 'absent' || answer.kind === 'unauthenticated') {
        if (pages === 0) break;
        gap('page-failed', `page ${pages + 1} answered ${answer.status} after ${count(read, 'object')}`);
        return { count: read, where: place.where };
      }
      const body = answer.kind === 'ok' ? answer.body : undefined;
      const list = Array.isArray(body?.items) ? (body.items as Item[]) : undefined;
      if (!body || !list) {
        const why = answer.kind === 'unusable' ? answer.why : 'not a list';
        gap(pages === 0 ? 'error' : 'page-failed', `${why}; ${count(read, 'object')} read in ${place.where}`);
        return pages > 0 ? { count: read, where: place.where } : undefined;
      }
      for (const item of list) {
        if (!item || typeof item !== 'object') continue;
        read++;
        each(item);
      }
      const meta = body.metadata as { continue?: unknown } | undefined;
      const token = typeof meta?.continue === 'string' && meta.continue !== '' ? meta.continue : undefined;
      pages++;
      if (token !== undefined && token === next) {
        // A server that hands back the token it was given would be read forever.
        gap('page-failed', `page ${pages} gave back its own continue token after ${count(read, 'object')}`);
        return { count: read, where: place.where };
      }
      next = token;
    } while (next);
    if (pages === 0) continue;
    return { count: read, where: place.where };
  }
  return undefined;
}

/** Every object of one resource the identity may list, kept: for the small ones (RBAC objects, accounts). */
export async function readAll(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
): Promise<{ items: Item[]; where: string } | undefined> {
  const items: Item[] = [];
  const read = await readEach(ctx, target, asker, source, (item) => items.push(item));
  return read && { items, where: read.where };
}

const RBAC_API = '/apis/rbac.authorization.k8s.io/v1';
const RBAC_SOURCES: readonly (Source & { facts: keyof RbacFacts })[] = [
  { kind: 'ClusterRole', resource: 'clusterroles', api: RBAC_API, facts: 'clusterRoles' },
  { kind: 'ClusterRoleBinding', resource: 'clusterrolebindings', api: RBAC_API, facts: 'clusterRoleBindings' },
  { kind: 'Role', resource: 'roles', api: RBAC_API, facts: 'roles' },
  { kind: 'RoleBinding', resource: 'rolebindings', api: RBAC_API, facts: 'roleBindings' },
];

/**
 * The RBAC objects the identity may list (the attack paths and the ops checks judge on them), of the kinds
 * `parts` names (all by default), and the resources it may not list at all (their part stays empty).
 */
export async function readRbac(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  parts: readonly (keyof RbacFacts)[] = RBAC_SOURCES.map((s) => s.facts),
): Promise<{ rbac: RbacFacts; unread: string[] }> {
  const rbac: RbacFacts = { roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [] };
  const unread: string[] = [];
  for (const source of RBAC_SOURCES.filter((s) => parts.includes(s.facts))) {
    // Read once per identity and run for the attack paths, the secrets ranking and the ops checks alike.
    const key = `${target.host}:${target.port} ${asker.identity} ${source.api}/${source.resource}`;
    const read = await readForRun(ctx, key, (c) => readAll(c, target, asker, source));
    if (read) rbac[source.facts] = read.items as never[];
    else unread.push(source.resource);
  }
  return { rbac, unread };
}

/** What the checks read of a node: its name, labels, taints, cordon and allocatable resources. */
function slimNode(item: Item): Item {
  const metadata = (item.metadata ?? {}) as { name?: unknown; labels?: unknown };
  const spec = (item.spec ?? {}) as { taints?: unknown; unschedulable?: unknown };
  const status = (item as { status?: { allocatable?: unknown } }).status;
  return {
    metadata: { name: metadata.name, labels: metadata.labels },
    spec: { taints: spec.taints, unschedulable: spec.unschedulable },
    status: { allocatable: status?.allocatable },
  } as Item;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '?');

/** The server's minor version from /version (what version-aware checks need), or undefined. */
export async function serverMinor(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<number | undefined> {
  try {
    const answer = await askApi(ctx, target, { path: '/version', credential: asker.credential });
    if (answer.kind !== 'ok') return undefined;
    const minor = Number.parseInt(String(answer.body.minor ?? ''), 10);
    return Number.isFinite(minor) ? minor : undefined;
  } catch {
    return undefined; // a version-aware check then says the version was not known
  }
}

/**
 * The RBAC objects the cluster-wide agents (KF-OPS-014) are judged on, read only when there are DaemonSets
 * to judge, and the resources of them not listable (without the ClusterRoles and ClusterRoleBindings
 * nothing can be judged: the hunter's `operational checks` gap says so).
 */
async function daemonSetsRbac(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  objects: readonly OpsObject[],
): Promise<{ rbac?: RbacFacts; unread: string[] }> {
  if (!objects.some((o) => o.kind === 'DaemonSet')) return { unread: [] };
  // Only cluster-wide grants count (src/hunters/ops/agents.ts), so Roles and RoleBindings are not read.
  const { rbac, unread } = await readRbac(ctx, target, asker, ['clusterRoles', 'clusterRoleBindings']);
  return unread.length === 0 ? { rbac, unread } : { unread };
}

/**
 * The cluster DNS Service, when a kube-proxy configuration may be among the ConfigMaps read (KF-OPS-008 asks
 * whether DNS goes over UDP through it), and readable: the read both paths of KF-OPS-008 share
 * (src/hunters/ops/dns-service.ts). Not readable, the finding stands and says so (src/hunters/ops/dns.ts).
 */
async function dnsService(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  objects: readonly OpsObject[],
): Promise<OpsObject | undefined> {
  if (!objects.some((o) => o.kind === 'ConfigMap')) return undefined;
  return (await readDnsService(ctx, [{ target, asker }])).object;
}

/** `namespace/Kind/name`: where a weakness is, as every finding of this hunter names it. */
export function locate(kind: string, item: Item): string {
  return `${str(item.metadata?.namespace)}/${kind}/${str(item.metadata?.name)}`;
}

/** Environment literals of every container of the spec, as `container: NAME` pairs. */
function envLiterals(spec: PodSpec | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (const c of specContainers(spec)) {
    for (const e of Array.isArray(c.env) ? c.env : []) {
      if (typeof e?.name === 'string' && typeof e.value === 'string') out.push([e.name, e.value]);
    }
  }
  return out;
}

function configMapValues(item: Item): [string, string][] {
  const data = item.data;
  if (!data || typeof data !== 'object') return [];
  return Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/**
 * One object's weaknesses as the workload findings name them: its pod spec's (when it holds one) and the
 * credentials in its environment literals or data (KF-WORKLOAD-006), and the secret-like names whose
 * values were kept out as not credentials (`namespace/Kind/name NAME`).
 */
export function judgeItem(source: Source, item: Item): { weaknesses: SpecWeakness[]; keptOut: string[] } {
  const where = locate(source.kind, item);
  const spec = source.spec?.(item);
  const scan = scanCredentials(source.spec ? envLiterals(spec) : configMapValues(item));
  const weaknesses = [...podSpecWeaknesses(spec)];
  if (scan.matches.length > 0) {
    const held = scan.matches.map((m) => `${m.name} = ${secretFingerprint(m.value)} (${m.why})`);
    const kept = scan.keptOut.length > 0;
    weaknesses.push({
      kb: 'KF-WORKLOAD-006',
      detail:
        `holds ${count(held.length, 'credential')} ${source.spec ? 'in environment literals' : 'in its data'}: ` +
        `${held.join('; ')}` +
        `${kept ? `; ${count(scan.keptOut.length, 'secret-like name')} kept out as not credentials (${scan.keptOut.join(', ')})` : ''}`,
    });
  }
  return { weaknesses, keptOut: scan.keptOut.map((n) => `${where} ${n}`) };
}

/** The operational checks' views judged so far, by run and `host view`: the identity that judged each. */
const judgedViews = new WeakMap<object, Map<string, string>>();

/** Whose read of a kind readOnce gave an identity, and where it was listed; undefined when unreadable. */
function readerOf(asker: Asker, turn: ReadOnce): { by: string; where: string } | undefined {
  if (turn.kind === 'unreadable') return undefined;
  return turn.kind === 'shared' ? { by: turn.by, where: 'all namespaces' } : { by: asker.identity, where: turn.where };
}

/**
 * Workloads read through the API: with every identity that may list pods, the Pods and the pod templates
 * of Deployments, DaemonSets, StatefulSets, Jobs and CronJobs it can read (all namespaces, else its own), and
 * the ConfigMaps. Reports each pod spec's weaknesses (the ones the kubelet side sees, and more) and every
 * credential left in an environment literal or a ConfigMap value, located as namespace/Kind/name; values
 * are shown only as fingerprints. On the same reads (and the HorizontalPodAutoscalers) it runs the
 * operational-risk checks of src/hunters/ops/checks.ts (KF-OPS-*, tag `ops`), with the nodes, volumes
 * and claims the scheduling checks need (without the nodes those are not run: a `skipped` gap). A
 * weakness is a fact about the object: reported once whoever read it (no port, no identity), the
 * evidence naming the first reader.
 */
export const workloadsHunter = defineHunter({
  id: 'apiserver-workloads',
  title: 'Pod specs and plain-text credentials of the workloads an identity can read through the API',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => a.can['list pods'] === true && followsUp(a),
  reports: [
    'KF-WORKLOAD-001',
    'KF-WORKLOAD-002',
    'KF-WORKLOAD-003',
    'KF-WORKLOAD-004',
    'KF-WORKLOAD-005',
    'KF-WORKLOAD-006',
    ...Object.values(OPS_KB),
    ...Object.values(DNS_KB),
  ],
  async hunt(access: KfEvent<'ApiAccess'>, ctx) {
    const asker = askerOf(ctx, access);
    if (!asker) return;
    const target = { host: access.host, port: access.port, scheme: access.scheme };
    const seen = `read through the API as ${access.identity} at ${endpointLabel(target)}`;
    const keptOut: string[] = [];
    const opsObjects: OpsObject[] = [];
    let folded = 0;
    const report = (r: FoldedReport) =>
      ctx.report({ host: target.host, kb: r.kb, object: r.object, evidence: `${r.object}: ${r.detail} (${seen})` }, [
        access.id,
      ]);
    const shared: string[] = [];
    /** Where each kind was listed, for what the checks could not judge. */
    const listed = new Map<string, string>();
    /** Whose read of each kind the checks judge on (the identity's own, or another's complete one). */
    const view: string[] = [];
    /** One kind's part of the view (none: not listable), and where it was listed, for the gaps. */
    const saw = (kind: string, read?: { by: string; where: string }) => {
      if (read) listed.set(kind, read.where);
      view.push(read ? `${kind}: ${read.by}, ${read.where}` : `${kind}: none`);
    };
    for (const wanted of WORKLOAD_SOURCES) {
      const source = await served(ctx, target, asker, wanted);
      if (!source) {
        // No version of it is served: none exist, and nothing of it went unjudged.
        listed.set(wanted.kind, NOT_SERVED);
        view.push(`${wanted.kind}: ${NOT_SERVED}`);
        continue;
      }
      if (source.spec) {
        // Pods and controllers are read once for every hunter that needs them (pods-once.ts); this hunter's
        // part of that read is judged by the first identity that takes it.
        const turn = await workloadOnce(ctx, target, asker, source);
        saw(source.kind, turn?.digest);
        if (!turn) continue;
        for (const o of turn.digest.ops) opsObjects.push(o);
        const judged = turn.from === undefined ? takeJudged(turn.digest) : undefined;
        if (!judged) {
          shared.push(`${source.resource} (${turn.digest.by})`);
          continue;
        }
        keptOut.push(...judged.keptOut);
        for (const r of judged.reports) report(r);
        folded += judged.folded;
        for (const { where, weaknesses } of turn.digest.shows) {
          for (const w of weaknesses) report({ kb: w.kb, object: where, detail: w.detail });
        }
        continue;
      }
      const turn = await readOnce(
        ctx,
        target,
        asker,
        source,
        (item) => {
          const judged = judgeItem(source, item);
          keptOut.push(...judged.keptOut);
          for (const w of judged.weaknesses) report({ kb: w.kb, object: locate(source.kind, item), detail: w.detail });
        },
        // The DNS configurations are all the checks need of the ConfigMaps; those after it judge them too.
        (item) => (dnsConfigMap({ kind: source.kind, item }) ? item : undefined),
      );
      saw(source.kind, readerOf(asker, turn));
      if (turn.kind === 'shared') shared.push(`${source.resource} (${turn.by})`);
      if (turn.kind !== 'unreadable') for (const item of turn.kept) opsObjects.push({ kind: source.kind, item });
    }
    if (shared.length > 0) {
      ctx.log(`${access.identity}: complete reads of other identities used, nothing read again: ${shared.join(', ')}`);
    }
    if (folded > 0) {
      ctx.log(`${access.identity}: ${count(folded, 'pod weakness')} left to the controllers whose templates show them`);
    }
    for (const source of OPS_SOURCES) {
      // Kept whole or slim, for this identity's checks and, read completely, for those after it.
      const turn = await readOnce(ctx, target, asker, source, () => undefined, source.slim ?? ((item) => item));
      saw(source.kind, readerOf(asker, turn));
      if (turn.kind !== 'unreadable') for (const item of turn.kept) opsObjects.push({ kind: source.kind, item });
    }
    const { rbac, unread } = await daemonSetsRbac(ctx, target, asker, opsObjects);
    const service = await dnsService(ctx, target, asker, opsObjects);
    const minor = await serverMinor(ctx, target, asker);
    view.push(`RBAC: ${unread.length > 0 ? `not ${unread.join(', ')}` : rbac ? 'read' : 'not needed'}`);
    view.push(`DNS Service: ${service ? 'read' : 'not read'}`, `version: ${minor ?? '?'}`);
    // The checks judge the server's objects as this identity sees them. Identities whose views are the same
    // reads (another's complete read, shared) are judged once: the same findings, and the same gaps.
    const views = runMap(ctx, judgedViews);
    const key = `${target.host} ${view.join('; ')}`;
    const judgedBy = views?.get(key);
    if (judgedBy !== undefined) {
      ctx.log(`${access.identity}: operational checks judged on the same reads as ${judgedBy}'s`);
      return;
    }
    views?.set(key, access.identity);
    const unjudged = opsUnjudged(opsObjects, listed, unread);
    if (unjudged.length > 0) {
      // Never silent, and one line: what was missing and every check it kept from being judged.
      ctx.gap({
        host: target.host,
        port: target.port,
        subject: `operational checks (${access.identity})`,
        reason: 'skipped',
        detail: unjudgedLine(unjudged),
      });
    }
    const nodes = opsObjects.some((o) => o.kind === 'Node');
    if (service) opsObjects.push(service);
    for (const f of opsFindings(opsObjects, 'live', { minor, rbac, nodes })) {
      ctx.report({ host: target.host, kb: f.kb, object: f.where, evidence: `${f.where}: ${f.detail} (${seen})` }, [
        access.id,
      ]);
    }
    for (const u of dnsUnjudged(opsObjects)) {
      ctx.gap({ host: target.host, port: target.port, subject: u.where, reason: 'skipped', detail: u.detail });
    }
    if (keptOut.length > 0) {
      ctx.log(
        `${access.identity}: ${count(keptOut.length, 'secret-like name')} whose values are not credentials kept out: ${sample(keptOut)}`,
      );
    }
  },
});
