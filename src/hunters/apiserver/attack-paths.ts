import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';
import { namespaceFact } from '../../paths/facts.js';
import { EscalationGraph, type PathFacts, type PathGoal, type StartFact } from '../../paths/graph.js';
import { ANONYMOUS, certificateWho, serviceAccountWho, type Who } from '../../paths/rbac.js';
import { count, sample } from '../evidence.js';
import { type Asker, listRequest } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, netFailure, readListing } from './api.js';
import { describePath, type Mounted, readTemplates, reportMountedTokens, type TemplateFact } from './mounted-tokens.js';
import { NETWORK_FINDINGS, NETWORK_START, networkStart } from './network-start.js';
import { podsOnce } from './pods-once.js';
import { readForRun, runMap } from './run-reads.js';
import { readAll, readRbac, serverMinor } from './workloads.js';

const GOAL_KB: Record<PathGoal, string> = {
  'cluster-admin': 'KF-PATH-001',
  'root on a node': 'KF-PATH-002',
  'every Secret': 'KF-PATH-003',
};
/** What computing paths may report: the paths, and pods that mount a powerful token. */
export const PATH_REPORTS = ['KF-PATH-001', 'KF-PATH-002', 'KF-PATH-003', 'KF-WORKLOAD-007'];
/** The findings that show a first step taken with the start's own rights, by step. */
const STEP_FINDINGS: Record<string, string[]> = {
  wildcard: ['KF-API-009'],
  'read-token': ['KF-API-008'],
  'read-secrets': ['KF-API-007'],
  'create-pod-as': ['KF-API-010'],
  'create-pod-node': ['KF-API-010'],
};
const SA_TOKEN = 'kubernetes.io/service-account-token';

/** The servers whose Pod Security exemptions gap was published, per run. */
const exemptionsSaid = new WeakMap<object, Map<string, boolean>>();

/** An identity that may read what the graph is built from: RBAC objects everywhere. */
export const readsRbac = (a: KfEvent<'ApiAccess'>) =>
  a.can['list clusterroles'] === true && a.can['list roles'] === true;

/**
 * What the graph is built from, the graph itself (built once per server, identity and run, without starts:
 * each caller adds its own through `graph.paths(starts)`), and the controllers' pod templates when asked
 * for (KF-WORKLOAD-007).
 */
export type ReadFacts = Omit<PathFacts, 'starts'> & { graph: EscalationGraph; templates: TemplateFact[] };

/**
 * Everything the graph needs, read with one identity, and the graph built from it; parts it may not read
 * stay empty. With `templates`, the controllers' pod templates too. Read and built once per identity and
 * run (run-reads.ts): every ApiAccess the attack paths are computed for, each recomputation, and the
 * secrets ranking use the same facts and the same graph, and each gets the gaps of the read as its own.
 */
export async function readFacts(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  templates = false,
): Promise<ReadFacts> {
  const key = `${target.host}:${target.port} ${asker.identity} path facts`;
  const { facts, mounted } = await readForRun(ctx, key, async (c) => {
    const read = await readGraphFacts(c, target, asker);
    // Built here, inside the shared read, so a run builds one graph per server and reader.
    return { ...read, facts: { ...read.facts, graph: new EscalationGraph({ ...read.facts, starts: [] }) } };
  });
  const read = templates
    ? await readForRun(ctx, `${key} templates`, (c) => readTemplates(c, target, asker, mounted))
    : [];
  return { ...facts, templates: read };
}

async function readGraphFacts(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
): Promise<{ facts: Omit<ReadFacts, 'templates' | 'graph'>; mounted: Mounted }> {
  const { rbac } = await readRbac(ctx, target, asker);
  const accountList = await readAll(ctx, target, asker, {
    kind: 'ServiceAccount',
    resource: 'serviceaccounts',
    api: '/api/v1',
  });
  const accounts = (accountList?.items ?? []) as unknown as ServiceAccount[];
  const accountMounts = new Map(
    accounts.map((a) => [`${a.metadata?.namespace}/${a.metadata?.name}`, a.automountServiceAccountToken]),
  );
  const mounted: Mounted = (spec, namespace, account) =>
    spec?.automountServiceAccountToken ?? accountMounts.get(`${namespace}/${account}`) ?? true;
  // Namespaces for their Pod Security labels: when they cannot be listed, creating a pod stays a way onto a node.
  // Reduced at once: 20,000 whole Namespaces held 9 MB through the long read of the pods below.
  const namespaces = (
    await readAll(ctx, target, asker, { kind: 'Namespace', resource: 'namespaces', api: '/api/v1' })
  )?.items.flatMap((n) => namespaceFact(n as unknown as Namespace) ?? []);
  // Pods are many: read once for every hunter that needs them, each reduced to what the graph needs as its
  // page arrives (pods-once.ts); the service accounts decide where the pod says nothing. The token Secrets
  // are read meanwhile: one after the other, the two reads of a 100,000-pod cluster outlasted the hunter's
  // deadline on a loaded machine, and the Secrets were cut (bench/README.md).
  const [turn, tokenSecrets] = await Promise.all([podsOnce(ctx, target, asker), listTokenSecrets(ctx, target, asker)]);
  const pods: PathFacts['pods'] = (turn?.digest.paths ?? []).map((p) => {
    if (p.tokenMounted !== undefined) return p;
    const account = accountMounts.get(`${p.namespace}/${p.serviceAccount}`);
    return account === undefined ? p : { ...p, tokenMounted: account };
  });
  return {
    facts: {
      rbac,
      namespaces,
      podSecurityAdmission: podSecurityAdmission(await serverMinor(ctx, target, asker)),
      ...(accountList === undefined && { serviceAccountsUnread: true }),
      serviceAccounts: accounts.flatMap((s) =>
        typeof s.metadata?.name === 'string' && typeof s.metadata.namespace === 'string'
          ? [{ namespace: s.metadata.namespace, name: s.metadata.name }]
          : [],
      ),
      tokenSecrets,
      pods,
    },
    mounted,
  };
}

/**
 * The service-account token Secrets one identity may list, as a Table (names, types and annotations only,
 * never a value), page after page. A page that fails or the deadline cuts the list, not the paths: they
 * are computed from what was read, and the cut is a gap.
 */
async function listTokenSecrets(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<PathFacts['tokenSecrets']> {
  const tokenSecrets: PathFacts['tokenSecrets'] = [];
  let next: string | undefined;
  let pages = 0;
  let failed = false;
  do {
    let answer: Awaited<ReturnType<typeof askApi>>;
    try {
      answer = await askApi(ctx, target, listRequest(asker, '/api/v1/secrets', next));
    } catch (err) {
      ctx.log(`listing token Secrets as ${asker.identity}: ${netFailure(err)}`);
      failed = true;
      break;
    }
    const listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
    if (!listing) break;
    for (const o of listing.objects) {
      const account = o.annotations['kubernetes.io/service-account.name'];
      if (o.columns.Type === SA_TOKEN && account && o.namespace) {
        tokenSecrets.push({ namespace: o.namespace, name: o.name, serviceAccount: account });
      }
    }
    pages++;
    if (listing.continueToken !== undefined && listing.continueToken === next) break;
    next = listing.continueToken;
  } while (next && !ctx.signal.aborted);
  if (next || failed) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject: `list secrets (${asker.identity})`,
      reason: ctx.signal.aborted ? 'deadline' : 'page-failed',
      detail: `${tokenSecrets.length} token Secrets in the first ${pages} pages; the rest not read`,
    });
  }
  return tokenSecrets;
}

/** Pod Security Admission enforces from 1.23 (beta, on by default); an unknown version is taken to have it. */
const podSecurityAdmission = (minor: number | undefined) => minor === undefined || minor >= 23;

/**
 * Who the API server takes a start for, when it can be told: anonymous, a service-account token's subject,
 * or a client certificate's subject (CN and O, as the x509 authenticator reads them: a kubelet's
 * `system:node:NAME` in `system:nodes`, an admin's `system:masters`). The server accepted the credential
 * (the access survey ran with it), so its subject is what it authenticates as.
 */
function whoOf(ctx: HuntContext, access: KfEvent<'ApiAccess'>): Who | undefined {
  if (access.via === 'anonymous') return ANONYMOUS;
  if (access.via !== 'credential') return undefined;
  const name = access.credential ?? access.identity;
  const credential = ctx.known('Credential', (c) => c.name === name)[0];
  const token = credential?.secret.token;
  if (!token) return credential?.secret.clientCert ? certificateWho(credential.secret.clientCert) : undefined;
  const subject = tokenSubject(token);
  return subject.namespace && subject.serviceAccount
    ? serviceAccountWho(subject.namespace, subject.serviceAccount)
    : undefined;
}

/**
 * A start as the graph takes it: who the server takes it for, its access survey's answers, and what it may
 * do in each namespace the namespace survey asked about (NamespaceAccess), where its rights cannot be read
 * from RBAC.
 */
export function startOf(ctx: HuntContext, access: KfEvent<'ApiAccess'>): StartFact {
  const namespaces: Record<string, Record<string, boolean>> = {};
  for (const n of ctx.known(
    'NamespaceAccess',
    (x) => x.identity === access.identity && x.host === access.host && x.port === access.port,
  )) {
    namespaces[n.namespace] = n.can;
  }
  return {
    name: access.identity,
    who: whoOf(ctx, access),
    can: access.can,
    namespaces,
    tokensRead: tokensRead(ctx, access),
  };
}

/**
 * The tokens an identity was seen reading (KF-API-008, each followed as a `found` Credential): a step of
 * its own, which the graph cannot see when its reader may not list Secrets (or service accounts).
 */
function tokensRead(ctx: HuntContext, access: KfEvent<'ApiAccess'>): StartFact['tokensRead'] {
  const shown = new Set(
    ctx
      .known(
        'Finding',
        (f) =>
          f.kb === 'KF-API-008' && f.identity === access.identity && f.host === access.host && f.port === access.port,
      )
      .map((f) => f.id),
  );
  if (shown.size === 0) return [];
  return ctx
    .known('Credential', (c) => c.source === 'found' && c.parents.some((p) => shown.has(p)))
    .flatMap((c) => {
      const subject = c.secret.token ? tokenSubject(c.secret.token) : {};
      if (!subject.namespace || !subject.serviceAccount) return [];
      return [
        {
          secret: c.name.replace(/^found:/, ''),
          serviceAccount: `${subject.namespace}/${subject.serviceAccount}`,
          findings: c.parents.filter((p) => shown.has(p)),
        },
      ];
    });
}

/** The identity whose finding a found token was read under (KF-API-008), on the token's API server. */
function finderOf(ctx: HuntContext, credential: KfEvent<'Credential'>): KfEvent<'ApiAccess'> | undefined {
  const server = credential.apiServer;
  if (!server) return undefined;
  const finding = ctx.known(
    'Finding',
    (f) =>
      f.kb === 'KF-API-008' && credential.parents.includes(f.id) && f.host === server.host && f.port === server.port,
  )[0];
  if (!finding) return undefined;
  return ctx.known(
    'ApiAccess',
    (a) => a.identity === finding.identity && a.host === server.host && a.port === server.port && followsUp(a),
  )[0];
}

/**
 * Computes and publishes the attack paths of the identities on `access`'s API server, as seen from
 * `access`: all of them when it may read RBAC itself, else its own from the first identity that may. The
 * namespace survey calls it again for an identity `alone` (its own paths only) once its rights per
 * namespace are known; a shorter path then replaces the one published for the same start and goal.
 */
export async function publishPaths(
  ctx: HuntContext,
  access: KfEvent<'ApiAccess'>,
  alone = false,
  networkOnly = false,
): Promise<void> {
  const same = (a: KfEvent<'ApiAccess'>) => a.host === access.host && a.port === access.port && followsUp(a);
  const readers = ctx
    .known('ApiAccess', (a) => same(a) && readsRbac(a))
    .sort((a, b) => a.identity.localeCompare(b.identity));
  const reader = readsRbac(access) ? access : readers[0];
  if (!reader) return;
  const asker = askerOf(ctx, reader);
  if (!asker) return;
  const target = { host: access.host, port: access.port, scheme: access.scheme };
  const all = reader === access && !alone && !networkOnly;
  const starts = networkOnly ? [] : all ? ctx.known('ApiAccess', same) : [access];
  let facts: ReadFacts;
  try {
    facts = await readFacts(ctx, target, asker, all);
  } catch (err) {
    ctx.log(`reading RBAC as ${reader.identity}: ${netFailure(err)}`, 'warn');
    return;
  }
  if (all && !facts.namespaces) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject: `list namespaces (${reader.identity})`,
      reason: 'skipped',
      detail: 'namespaces not readable: their Pod Security labels unknown, creating a pod is taken as reaching a node',
    });
  }
  const { graph } = facts;
  // Pods that carry a powerful token: judged once per reader (the same finding from another reader is one).
  if (all) reportMountedTokens(ctx, target, reader, graph, facts.templates);
  // The unauthenticated network caller: once the hunt settled, every etcd and kubelet finding in.
  const nodes = new Set(facts.pods.flatMap((p) => p.node ?? []));
  const network = networkOnly ? await networkStart(ctx, target, nodes) : undefined;
  const paths = graph.paths([...starts.map((s) => startOf(ctx, s)), ...(network ? [network.fact] : [])]);
  // Pod Security judged by the labels alone: the admission configuration's exemptions are not seen.
  const refused = graph.refusedByLabels();
  const said = runMap(ctx, exemptionsSaid);
  const server = `${target.host}:${target.port}`;
  // Once per server and run, whichever hunter computes paths there first.
  if (refused.length > 0 && !said?.has(server)) {
    said?.set(server, true);
    ctx.gap({
      host: target.host,
      port: target.port,
      subject: 'Pod Security exemptions',
      reason: 'skipped',
      detail:
        `a privileged pod was judged refused by the labels of ${count(refused.length, 'namespace')} (${sample(refused)}) ` +
        "alone: the PodSecurity admission configuration's exemptions (user names, runtime classes, namespaces) are not " +
        'readable through the API, so a way onto a node through an exempt one is not seen',
    });
  }
  for (const path of paths) {
    const start = starts.find((s) => s.identity === path.from);
    const from = start
      ? { identity: start.identity, parents: [start.id] }
      : { identity: NETWORK_START, parents: network?.parents ?? [] };
    // The shortest path the run knows: one computed again with more facts (rights per namespace) replaces
    // a longer one published before, and an equal or longer one changes nothing.
    const before = ctx.known(
      'AttackPath',
      (p) => p.host === target.host && p.port === target.port && p.from === path.from && p.to === path.to,
    )[0];
    if (before && before.steps.length <= path.steps.length) continue;
    const replace = { replace: before !== undefined };
    const first = path.steps[0];
    const shown = start
      ? ctx.known(
          'Finding',
          (f) =>
            f.identity === start.identity &&
            f.host === start.host &&
            (STEP_FINDINGS[first.action] ?? []).includes(f.kb),
        )
      : [];
    const steps = path.steps.map((s, i) =>
      i === 0 ? { ...s, findings: [...new Set([...s.findings, ...shown.map((f) => f.id)])] } : s,
    );
    ctx.publish(
      'AttackPath',
      { host: target.host, port: target.port, from: path.from, to: path.to, steps },
      [...from.parents, reader.id, ...shown.map((f) => f.id)],
      replace,
    );
    ctx.report(
      {
        host: target.host,
        port: target.port,
        identity: from.identity,
        kb: GOAL_KB[path.to],
        object: `${path.from} → ${path.to}`,
        evidence: `${path.from} → ${path.to} in ${steps.length} ${steps.length === 1 ? 'step' : 'steps'} (computed from what ${reader.identity} read, not walked): ${describePath({ ...path, steps })}`,
      },
      [...from.parents, reader.id, ...shown.map((f) => f.id)],
      replace,
    );
  }
}

/**
 * Attack paths: for every identity the hunt has on an API server, the shortest chain of escalation steps to
 * cluster-admin, root on a node and every Secret, each a finding whose evidence numbers the steps. The graph
 * is built from what an identity that may list RBAC objects everywhere reads (RBAC, service accounts, pods,
 * token Secrets by name); paths are computed, never walked. Runs on every ApiAccess: a reader computes the
 * paths of every identity known by then, any later identity its own, so either order covers all.
 */
export const attackPathsHunter = defineHunter({
  id: 'apiserver-attack-paths',
  title: 'Attack paths from each identity to cluster-admin, a node and every Secret',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => followsUp(a),
  reports: PATH_REPORTS,
  async hunt(access: KfEvent<'ApiAccess'>, ctx) {
    await publishPaths(ctx, access);
  },
});

/**
 * A token found later is a step of the identity that read it (tokensRead): its paths, published before the
 * token was read, are computed again, and a shorter one replaces the one published (publishPaths).
 */
export const attackPathsLateHunter = defineHunter({
  id: 'apiserver-attack-paths-late',
  title: 'Attack paths computed again when an identity is seen reading a token',
  mode: 'passive',
  on: 'Credential',
  when: (c) => c.source === 'found' && c.apiServer !== undefined,
  reports: ['KF-PATH-001', 'KF-PATH-002', 'KF-PATH-003'],
  async hunt(credential: KfEvent<'Credential'>, ctx) {
    const finder = finderOf(ctx, credential);
    if (finder) await publishPaths(ctx, finder, true);
  },
});

/**
 * The paths of the unauthenticated network caller (network-start.ts), on every API server of the run with
 * an identity that may read RBAC, computed once the hunt settled: every etcd and kubelet finding is in by
 * then, so the paths do not depend on which component answered first.
 */
export const attackPathsNetworkHunter = defineHunter({
  id: 'apiserver-attack-paths-network',
  title: 'Attack paths of the unauthenticated network caller, through an open etcd, anonymous kubelets, a Dashboard',
  mode: 'passive',
  on: 'HuntSettled',
  reports: ['KF-PATH-001', 'KF-PATH-002', 'KF-PATH-003'],
  async hunt(_settled, ctx) {
    const shown = ctx.known('Finding', (f) => NETWORK_FINDINGS.includes(f.kb));
    if (shown.length === 0) return;
    const servers = new Map<string, KfEvent<'ApiAccess'>>();
    for (const a of ctx.known('ApiAccess', (x) => x.scheme === 'https' && followsUp(x))) {
      if (!servers.has(`${a.host}:${a.port}`)) servers.set(`${a.host}:${a.port}`, a);
    }
    const read = [...servers.values()].filter(
      (s) =>
        ctx.known('ApiAccess', (a) => a.host === s.host && a.port === s.port && followsUp(a) && readsRbac(a)).length >
        0,
    );
    if (read.length === 0) {
      // The graph needs RBAC read through an API server: without one, the network's steps lead nowhere known.
      const where = [...new Set(shown.map((f) => `${f.kb} at ${f.host}:${f.port}`))];
      ctx.gap({
        subject: `attack paths of ${NETWORK_START}`,
        reason: 'skipped',
        detail: `no identity could read RBAC on an API server served over TLS: the paths through ${sample(where)} were not computed`,
      });
      return;
    }
    for (const access of read) await publishPaths(ctx, access, false, true);
  },
});
