import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { type Asker, listRequest, REVIEW_REQUESTS } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, netFailure, readListing } from './api.js';
import { ownNamespace } from './credential-namespace.js';
import { readRules, rulesAllow, rulesReview } from './rules.js';
import { emptySeen, listPlace, reportSecrets, type SecretsSeen } from './secrets.js';

/** Namespaces surveyed per identity and server beyond its own: a cluster of thousands costs a bounded hunt. */
export const NAMESPACES_PER_IDENTITY = 50;

function budgetOf(ctx: HuntContext): number {
  const set = ctx.options.namespaceBudget;
  return typeof set === 'number' && Number.isInteger(set) && set >= 0 ? set : NAMESPACES_PER_IDENTITY;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const keyOf = (t: ApiTarget) => `${t.host}:${t.port}`;

/**
 * The namespaces this run knows on one API server: listed by any identity that may list them (the first
 * page, shared with the survey's read), and named by the Credentials bound to it (a kubeconfig context's,
 * a pod's, a found token's, a service-account token's claims).
 */
async function knownNamespaces(
  ctx: HuntContext,
  target: ApiTarget,
  accesses: KfEvent<'ApiAccess'>[],
): Promise<string[]> {
  const names = new Set<string>();
  for (const c of ctx.known(
    'Credential',
    (x) => x.apiServer?.host === target.host && x.apiServer.port === target.port,
  )) {
    names.add(ownNamespace(c));
  }
  for (const access of accesses.filter((a) => a.can['list namespaces'] === true)) {
    const asker = askerOf(ctx, access);
    if (!asker) continue;
    try {
      const answer = await askApi(ctx, target, listRequest(asker, '/api/v1/namespaces'));
      const listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
      for (const o of listing?.objects ?? []) names.add(o.name);
      if (listing) break;
    } catch (err) {
      ctx.log(`listing namespaces as ${access.identity}: ${netFailure(err)}`);
    }
  }
  return [...names].filter((n) => NAMESPACE.test(n)).sort();
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

/**
 * One identity in every known namespace but its own: a SelfSubjectRulesReview per namespace, and where
 * its rules allow listing Secrets (or no rules are given: the read is then the question), the listing (as
 * a Table, names and types only). Within the budget of
 * NAMESPACES_PER_IDENTITY and the hunter's deadline, each reported as a coverage gap when it runs out.
 */
async function surveyIdentity(
  ctx: HuntContext,
  target: ApiTarget,
  access: KfEvent<'ApiAccess'>,
  namespaces: string[],
): Promise<void> {
  const asker = askerOf(ctx, access);
  if (!asker) return;
  if (await listsEverywhere(ctx, target, asker)) return;
  const others = namespaces.filter((n) => n !== asker.namespace);
  const budget = budgetOf(ctx);
  const surveyed = others.slice(0, budget);
  const subject = `rights in every namespace (${access.identity})`;
  if (others.length > surveyed.length) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject,
      reason: 'budget',
      detail: `${surveyed.length} of ${others.length} namespaces surveyed (at most ${budget} per identity); not: ${others.slice(budget, budget + 5).join(', ')}${others.length > budget + 5 ? ', …' : ''}`,
    });
  }
  const readable: string[] = [];
  let seen: SecretsSeen | undefined;
  let done = 0;
  for (const namespace of surveyed) {
    if (ctx.signal.aborted) break;
    try {
      const answer = await askApi(ctx, target, {
        ...rulesReview(namespace, asker.credential),
        ...(asker.host !== undefined && { host: asker.host }),
      });
      const rules = answer.kind === 'ok' ? readRules(namespace, answer.body) : undefined;
      done++;
      // Anonymous callers are usually refused reviews of themselves (system:basic-user is bound to
      // system:authenticated only): where no rules come back, the read itself is the question.
      if (rules && !rulesAllow(rules, { verb: 'list', group: '', resource: 'secrets' })) continue;
      const where = `namespace ${namespace}`;
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
      seen ??= emptySeen(where);
      const result = await listPlace(ctx, target, asker, { path, where }, seen);
      if (result.seen) readable.push(namespace);
    } catch (err) {
      ctx.log(`surveying ${access.identity} in namespace ${namespace}: ${netFailure(err)}`);
    }
  }
  if (done < surveyed.length && ctx.signal.aborted) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject,
      reason: 'deadline',
      detail: `${done} of ${surveyed.length} namespaces surveyed before the hunter's deadline`,
    });
  }
  if (!seen || readable.length === 0) return;
  seen.where = `namespace${readable.length === 1 ? '' : 's'} ${readable.join(', ')}`;
  await reportSecrets(ctx, access, asker, seen, seen.where);
}

/**
 * Every namespace, not only one's own: once every identity has been surveyed (the bus went idle), each one
 * that does not hold everything is asked for its rules in every namespace the run knows, and reads the
 * Secrets where they allow it: an anonymous caller allowed to read the Secrets of `dev` is seen doing so,
 * and the tokens there are followed in turn (as the secrets hunter does).
 */
export const namespaceSurveyHunter = defineHunter({
  id: 'apiserver-namespaces',
  title: 'What each identity can read in every namespace the hunt knows',
  mode: 'passive',
  on: 'HuntSettled',
  reports: ['KF-API-007', 'KF-API-008'],
  readOnlyRequests: REVIEW_REQUESTS,
  async hunt(_settled, ctx) {
    const accesses = ctx.known('ApiAccess', (a) => followsUp(a) && a.via !== 'insecure-port' && a.can['* *'] !== true);
    const servers = new Map<string, { target: ApiTarget; accesses: KfEvent<'ApiAccess'>[] }>();
    for (const a of accesses) {
      const target = { host: a.host, port: a.port, scheme: a.scheme };
      const entry = servers.get(keyOf(target)) ?? { target, accesses: [] };
      entry.accesses.push(a);
      servers.set(keyOf(target), entry);
    }
    for (const { target, accesses: here } of servers.values()) {
      // Namespaces listed by an identity holding everything count too: it is left out of the survey only.
      const listers = ctx.known('ApiAccess', (a) => a.host === target.host && a.port === target.port && followsUp(a));
      const namespaces = await knownNamespaces(ctx, target, listers);
      for (const access of here) await surveyIdentity(ctx, target, access, namespaces);
    }
  },
});
