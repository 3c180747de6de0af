import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { isNamespaceName } from '../../kubernetes/namespaces.js';
import { count } from '../evidence.js';
import { type Asker, listRequest, REVIEW_REQUESTS } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, netFailure, readListing } from './api.js';
import { PATH_REPORTS, publishPaths, startOf } from './attack-paths.js';
import { ownNamespace } from './credential-namespace.js';
import { describeNamespaceRights, rightsIn } from './namespace-rights.js';
import { RULES_REVIEW_PATH, readRules, rulesAllow, rulesReview } from './rules.js';
import { emptySeen, listPlace, reportSecrets, type SecretsSeen } from './secrets.js';

/** Namespaces surveyed per identity and server beyond its own: a cluster of thousands costs a bounded hunt. */
export const NAMESPACES_PER_IDENTITY = 50;

function budgetOf(ctx: HuntContext): number {
  const set = ctx.options.namespaceBudget;
  return typeof set === 'number' && Number.isInteger(set) && set >= 0 ? set : NAMESPACES_PER_IDENTITY;
}

const keyOf = (t: ApiTarget) => `${t.host}:${t.port}`;

/**
 * The namespaces named without asking this API server for its list: by the Credentials bound to it (a
 * kubeconfig context's, a pod's, a found token's, a service-account token's claims), by what the hunt read
 * elsewhere (NamespaceSeen: kubelet pod lists, etcd key names, the serving certificates it saw:
 * `<service>.<namespace>.svc`). Read again at each round of the survey: cheap, and it grows as facts arrive.
 */
function namedNamespaces(ctx: HuntContext, target: ApiTarget): Set<string> {
  const names = new Set<string>();
  for (const c of ctx.known(
    'Credential',
    (x) => x.apiServer?.host === target.host && x.apiServer.port === target.port,
  )) {
    names.add(ownNamespace(c));
  }
  // The serving certificates' Service names come as NamespaceSeen too (certificate-namespaces).
  for (const seen of ctx.known('NamespaceSeen')) names.add(seen.namespace);
  return names;
}

/**
 * The namespaces one API server lists, to the end of the list (a Table, a page at a time, the first page
 * shared with the access survey's read), as the first identity that may list them sees them. A page that
 * fails is a `page-failed` gap: the namespaces after it are known only if named elsewhere.
 */
async function listedNamespaces(
  ctx: HuntContext,
  target: ApiTarget,
  accesses: KfEvent<'ApiAccess'>[],
): Promise<string[]> {
  for (const access of accesses.filter((a) => a.can['list namespaces'] === true)) {
    const asker = askerOf(ctx, access);
    if (!asker) continue;
    const names: string[] = [];
    let next: string | undefined;
    let pages = 0;
    try {
      do {
        const answer = await askApi(ctx, target, listRequest(asker, '/api/v1/namespaces', next));
        const listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
        if (!listing) {
          if (pages === 0) break;
          ctx.gap({
            host: target.host,
            port: target.port,
            subject: `list namespaces (${access.identity})`,
            reason: 'page-failed',
            detail: `page ${pages + 1} was not a list after ${names.length} namespaces`,
          });
          return names;
        }
        for (const o of listing.objects) names.push(o.name);
        pages++;
        if (listing.continueToken !== undefined && listing.continueToken === next) break;
        next = listing.continueToken;
      } while (next && !ctx.signal.aborted);
    } catch (err) {
      ctx.log(`listing namespaces as ${access.identity}: ${netFailure(err)}`);
      if (pages === 0) continue;
      ctx.gap({
        host: target.host,
        port: target.port,
        subject: `list namespaces (${access.identity})`,
        reason: ctx.signal.aborted ? 'deadline' : 'page-failed',
        detail: `${netFailure(err)} after ${names.length} namespaces in ${pages} pages`,
      });
      return names;
    }
    if (pages > 0) return names;
  }
  return [];
}

/** Whether the identity's Secrets listing already covered every namespace (the shared first page). */
async function listsEverywhere(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<boolean> {
  try {
    const answer = await askApi(ctx, target, listRequest(asker, '/api/v1/secrets'));
    return answer.kind === 'ok' && readListing(answer.body) !== undefined;
  } catch {
    return false;
  }
}

/** One identity's survey on one server, carried over the rounds of the survey. */
interface IdentitySurvey {
  access: KfEvent<'ApiAccess'>;
  asker: Asker;
  /** It lists Secrets in all namespaces already: its rules are asked for, its reads are not repeated. */
  listsAll: boolean;
  surveyed: Set<string>;
  /** Namespaces beyond the budget, never asked about. */
  left: Set<string>;
  /** Reviews answered. */
  answered: number;
  readable: string[];
  seen?: SecretsSeen;
  rights: KfEvent<'NamespaceAccess'>[];
}

/**
 * One round for one identity: a SelfSubjectRulesReview in each known namespace not yet surveyed (its own
 * aside: its access survey asked there), what it may do there published as NamespaceAccess, and where its
 * rules allow listing Secrets (or no rules are given: the read is then the question) the listing (as a
 * Table, names and types only). Within the budget of NAMESPACES_PER_IDENTITY over all rounds.
 */
async function surveyRound(
  ctx: HuntContext,
  target: ApiTarget,
  state: IdentitySurvey,
  namespaces: string[],
  budget: number,
): Promise<void> {
  const { access, asker } = state;
  const fresh = namespaces.filter((n) => n !== asker.namespace && !state.surveyed.has(n) && !state.left.has(n));
  for (const namespace of fresh) {
    if (state.surveyed.size >= budget) {
      state.left.add(namespace);
      continue;
    }
    if (ctx.signal.aborted) break;
    state.surveyed.add(namespace);
    try {
      const answer = await askApi(ctx, target, {
        ...rulesReview(namespace, asker.credential),
        ...(asker.host !== undefined && { host: asker.host }),
      });
      const rules = answer.kind === 'ok' ? readRules(namespace, answer.body) : undefined;
      state.answered++;
      const record = (can: Record<string, boolean>) =>
        state.rights.push(
          ctx.publish(
            'NamespaceAccess',
            { host: target.host, port: target.port, identity: access.identity, namespace, can },
            [access.id],
          ),
        );
      if (rules) record(rightsIn(rules));
      if (state.listsAll) continue;
      // Anonymous callers are usually refused reviews of themselves (system:basic-user is bound to
      // system:authenticated only): where no rules come back, the read itself is the question.
      if (rules && !rulesAllow(rules, { verb: 'list', group: '', resource: 'secrets' })) continue;
      const where = `namespace ${namespace}`;
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
      state.seen ??= emptySeen(where);
      const result = await listPlace(ctx, target, asker, { path, where }, state.seen);
      if (result.seen) state.readable.push(namespace);
      if (!rules && (result.seen || !result.unusable)) {
        // No rules to read the rights from: the read's answer is the one right known there.
        record({ 'list secrets': result.seen !== undefined });
      }
    } catch (err) {
      ctx.log(`surveying ${access.identity} in namespace ${namespace}: ${netFailure(err)}`);
    }
  }
}

/** What is left once an identity's rounds are over: its gaps, its Secrets, its rights in other namespaces. */
async function concludeSurvey(ctx: HuntContext, target: ApiTarget, state: IdentitySurvey, budget: number) {
  const { access, asker } = state;
  const subject = `rights in every namespace (${access.identity})`;
  const left = [...state.left].sort();
  if (left.length > 0) {
    const all = state.surveyed.size + left.length;
    ctx.gap({
      host: target.host,
      port: target.port,
      subject,
      reason: 'budget',
      detail: `${state.surveyed.size} of ${all} namespaces surveyed (at most ${budget} per identity); not: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}`,
    });
  }
  if (state.answered < state.surveyed.size && ctx.signal.aborted) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject,
      reason: 'deadline',
      detail: `${state.answered} of ${state.surveyed.size} namespaces surveyed before the hunter's deadline`,
    });
  }
  const rights = describeNamespaceRights(state.rights);
  if (rights) {
    ctx.report(
      {
        host: target.host,
        port: target.port,
        identity: access.identity,
        kb: 'KF-API-006',
        path: RULES_REVIEW_PATH,
        object: 'other namespaces',
        evidence: `${access.identity} beyond namespace ${asker.namespace} (asked in ${count(state.rights.length, 'namespace')}: its SelfSubjectRulesReview there, else its read of the Secrets): ${rights}`,
      },
      [access.id, ...state.rights.map((r) => r.id)],
    );
  }
  if (!state.seen || state.readable.length === 0) return;
  state.seen.where = `namespace${state.readable.length === 1 ? '' : 's'} ${state.readable.join(', ')}`;
  await reportSecrets(ctx, access, asker, state.seen, state.seen.where);
}

/** Whether per-namespace rights can add to an identity's attack paths: the graph does not know it from RBAC. */
function pathsNeedRights(ctx: HuntContext, state: IdentitySurvey): boolean {
  return startOf(ctx, state.access).who === undefined && state.rights.some((r) => Object.values(r.can).some(Boolean));
}

/** The identities the survey asks about: what they found themselves, short of holding everything. */
const surveyed = (a: KfEvent<'ApiAccess'>) => followsUp(a) && a.via !== 'insecure-port' && a.can['* *'] !== true;

/**
 * What the settled survey took into account, per run (its HuntSettled event) and server (`host:port`):
 * undefined while the server waits its turn, then the namespaces its last round knew. A namespace seen
 * after that round is not surveyed: `namespaceSeenLateHunter` says so.
 */
const taken = new WeakMap<object, Map<string, Set<string> | undefined>>();

/**
 * Surveys identities on one server in every namespace known, in rounds while new namespaces turn up, then
 * concludes each (gaps, Secrets, rights) and computes again the paths of those whose rights per namespace
 * the graph could not read from RBAC. `done` is called with the namespaces of the last round, right after
 * the check that found nothing new.
 */
async function surveyServer(
  ctx: HuntContext,
  target: ApiTarget,
  accesses: KfEvent<'ApiAccess'>[],
  done: (known: Set<string>) => void = () => undefined,
): Promise<void> {
  const budget = budgetOf(ctx);
  // Namespaces listed by an identity holding everything count too: it is left out of the survey only.
  const listers = ctx.known('ApiAccess', (a) => a.host === target.host && a.port === target.port && followsUp(a));
  const listed = await listedNamespaces(ctx, target, listers);
  const states: IdentitySurvey[] = [];
  for (const access of accesses) {
    const asker = askerOf(ctx, access);
    if (!asker) continue;
    states.push({
      access,
      asker,
      listsAll: await listsEverywhere(ctx, target, asker),
      surveyed: new Set(),
      left: new Set(),
      answered: 0,
      readable: [],
      rights: [],
    });
  }
  let known = new Set<string>();
  for (;;) {
    const now = new Set([...listed, ...namedNamespaces(ctx, target)].filter(isNamespaceName));
    const fresh = [...now].filter((n) => !known.has(n)).sort();
    if (fresh.length === 0 || ctx.signal.aborted) break;
    known = now;
    for (const state of states) await surveyRound(ctx, target, state, fresh, budget);
  }
  done(known);
  for (const state of states) await concludeSurvey(ctx, target, state, budget);
  for (const state of states.filter((s) => pathsNeedRights(ctx, s))) await publishPaths(ctx, state.access, true);
}

const NAMESPACE_REPORTS = ['KF-API-006', 'KF-API-007', 'KF-API-008', ...PATH_REPORTS];

/**
 * Every namespace, not only one's own: once every identity has been surveyed (the bus went idle), each one
 * that does not hold everything is asked for its rules in every namespace the run knows (listed to the end
 * by any identity that may, or named by a credential, a kubelet's pods, etcd's keys or a certificate), what
 * it may do there is published (NamespaceAccess), and it reads the Secrets where they allow it: an anonymous
 * caller allowed to read the Secrets of `dev` is seen doing so, and the tokens there are followed in turn
 * (as the secrets hunter does; their identities are surveyed by `namespaceLateHunter`). Facts keep arriving
 * while it runs: it goes round again while new namespaces turn up. The identities whose rights the graph
 * takes from their access survey get their attack paths computed again with their rights per namespace.
 */
export const namespaceSurveyHunter = defineHunter({
  id: 'apiserver-namespaces',
  title: 'What each identity can read in every namespace the hunt knows',
  mode: 'passive',
  on: 'HuntSettled',
  reports: NAMESPACE_REPORTS,
  readOnlyRequests: REVIEW_REQUESTS,
  async hunt(settled, ctx) {
    const servers = new Map<string, { target: ApiTarget; accesses: KfEvent<'ApiAccess'>[] }>();
    for (const a of ctx.known('ApiAccess', surveyed)) {
      const target = { host: a.host, port: a.port, scheme: a.scheme };
      const entry = servers.get(keyOf(target)) ?? { target, accesses: [] };
      entry.accesses.push(a);
      servers.set(keyOf(target), entry);
    }
    const record = new Map<string, Set<string> | undefined>([...servers.keys()].map((k) => [k, undefined]));
    taken.set(settled, record);
    for (const [key, { target, accesses }] of servers) {
      await surveyServer(ctx, target, accesses, (known) => record.set(key, known));
    }
  },
});

/**
 * The facts that arrive after the hunt settled. An identity whose ApiAccess comes then (a token the
 * survey followed, and those it leads to) is surveyed in every namespace on its own. A namespace first seen
 * after the survey's last round on a server (a kubelet scanned through --discover-nodes with such a
 * token) is not: a coverage gap says so.
 */
export const namespaceLateHunter = defineHunter({
  id: 'apiserver-namespaces-late',
  title: 'Every namespace, for identities and namespaces that turn up after the hunt settled',
  mode: 'passive',
  on: 'ApiAccess',
  when: surveyed,
  reports: NAMESPACE_REPORTS,
  readOnlyRequests: REVIEW_REQUESTS,
  async hunt(access, ctx) {
    // Checked before anything is awaited: the bus is never idle while this run waited in the queue, so
    // a HuntSettled known now came before this ApiAccess, which the settled survey then never saw.
    if (ctx.known('HuntSettled').length === 0) return;
    await surveyServer(ctx, { host: access.host, port: access.port, scheme: access.scheme }, [access]);
  },
});

/** A namespace seen after the settled survey's last round on a server: named as not surveyed there. */
export const namespaceSeenLateHunter = defineHunter({
  id: 'apiserver-namespaces-unsurveyed',
  title: 'Namespaces seen after the namespace survey ended',
  mode: 'passive',
  on: 'NamespaceSeen',
  async hunt(seen, ctx) {
    const settled = ctx.known('HuntSettled')[0];
    const record = settled && taken.get(settled);
    if (!record) return;
    for (const [server, known] of record) {
      if (!known || known.has(seen.namespace)) continue;
      const [host, port] = [
        server.slice(0, server.lastIndexOf(':')),
        Number(server.slice(server.lastIndexOf(':') + 1)),
      ];
      ctx.gap({
        host,
        port,
        subject: `rights in namespace ${seen.namespace}`,
        reason: 'skipped',
        detail: `namespace ${seen.namespace} was first seen (${seen.source}) after the namespace survey of this server ended: the identities surveyed when the hunt settled were not asked about it`,
      });
    }
  },
});
