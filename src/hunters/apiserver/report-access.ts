import type { EventPayloads, KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { count } from '../evidence.js';
import { type Asker, allowedChecks, MAPPING_READS, type Survey, surveyAccess } from './access.js';
import { type ApiTarget, endpointLabel } from './api.js';
import { adminEquivalence, describeRules, grantingRules, RULES_REVIEW_PATH } from './rules.js';

const RESOURCE_WORDS: Record<string, [one: string, many: string]> = {
  namespaces: ['namespace', 'namespaces'],
  nodes: ['node', 'nodes'],
  pods: ['pod', 'pods'],
  secrets: ['secret', 'secrets'],
  roles: ['role', 'roles'],
  clusterroles: ['cluster role', 'cluster roles'],
};

/** `1 pod`, `6 pods`, `at least 500 pods`. */
export function counted(n: number, resource: string, more = false): string {
  const [one, many] = RESOURCE_WORDS[resource] ?? [resource, resource];
  return more ? `at least ${count(n, many, many)}` : count(n, one, many);
}

/** `14 pods in 5 namespaces`, `6 namespaces`, `2 roles (namespace dev)`. */
function describeRead(key: string, survey: Survey): string {
  const r = survey.reads[key];
  const count = counted(r.count, key.replace(/^list /, ''), r.more);
  const spread = r.namespaces > 1 ? ` in ${r.namespaces} namespaces` : '';
  return `${count}${spread}${r.clusterWide ? '' : ` (${r.where} only)`}`;
}

/** The reads that succeeded, in words: `listed 6 namespaces, 14 pods in 5 namespaces`. */
export function describeReads(survey: Survey, keys = Object.keys(survey.reads)): string {
  const done = keys.filter((k) => survey.reads[k]);
  return done.length ? `listed ${done.map((k) => describeRead(k, survey)).join(', ')}` : '';
}

/** The writes a review allowed, in words: `may create pods (all namespaces), create pods/exec (namespace dev)`. */
export function describeWrites(survey: Survey, keys = Object.keys(survey.writes)): string {
  const done = keys.filter((k) => survey.writes[k]);
  if (done.length === 0) return '';
  const words = done.map((k) => `${k === '* *' ? '* on *' : k} (${survey.writes[k]})`);
  return `may ${words.join(', ')} (SelfSubjectAccessReview, nothing attempted)`;
}

/** Everything the survey found allowed, in one phrase. */
export function describeAccess(survey: Survey): string {
  return [describeReads(survey), describeWrites(survey)].filter(Boolean).join('; ') || 'nothing allowed';
}

/** How a survey's identity is named in ApiAccess. */
export interface AccessIdentity {
  identity: string;
  via: EventPayloads['ApiAccess']['via'];
  credential?: string;
}

/** Publishes what an identity can do on an API server, for the report and for hunters that follow up. */
export function publishAccess(
  ctx: HuntContext,
  target: ApiTarget,
  who: AccessIdentity,
  survey: Survey,
  parents?: string[],
): KfEvent<'ApiAccess'> {
  return ctx.publish(
    'ApiAccess',
    {
      host: target.host,
      port: target.port,
      scheme: target.scheme,
      identity: who.identity,
      via: who.via,
      ...(who.credential !== undefined && { credential: who.credential }),
      can: survey.can,
    },
    parents,
  );
}

/**
 * Surveys an identity (or takes the survey `done` already) and says in one warning line when the server
 * could not be asked or gave answers that decide nothing. Returns undefined when nothing can be concluded (no check decided either way).
 */
export async function surveyOrWarn(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  done?: Survey,
): Promise<Survey | undefined> {
  const survey = done ?? (await surveyAccess(ctx, target, asker));
  const where = `${endpointLabel(target)} as ${asker.identity}`;
  if (survey.failed) {
    ctx.log(`${where}: ${survey.failed}`, 'warn');
    return undefined;
  }
  if (survey.unusable.length > 0) {
    const n = survey.unusable.length;
    ctx.log(`${where}: ${n} answer${n === 1 ? '' : 's'} decided nothing (${survey.unusable[0]})`, 'warn');
  }
  return Object.keys(survey.can).length > 0 || survey.unauthenticated ? survey : undefined;
}

/**
 * The findings every identity gets from its survey (anonymous callers and credentials alike): its rules
 * (info), cluster-admin equivalence, and pod creation or exec. The caller adds what depends on who asked.
 */
export function reportRulesAndWrites(
  ctx: HuntContext,
  target: ApiTarget,
  identity: string,
  survey: Survey,
  access: KfEvent<'ApiAccess'>,
): void {
  const at = { host: target.host, port: target.port, identity };
  const parents = [access.id];
  const rules = survey.rules;
  if (rules) {
    const incomplete = rules.incomplete ? ' (the server says the list is incomplete)' : '';
    ctx.report(
      {
        ...at,
        kb: 'KF-API-006',
        path: RULES_REVIEW_PATH,
        evidence: `${identity} in namespace ${rules.namespace}: ${describeRules(rules)}${incomplete}`,
      },
      parents,
    );
  }
  const admin = survey.writes['* *']
    ? `SelfSubjectAccessReview allowed * on * in every API group (${survey.writes['* *']})`
    : rules && adminEquivalence(rules);
  if (admin) ctx.report({ ...at, kb: 'KF-API-009', evidence: `${identity}: ${admin}` }, parents);
  const pods = describeWrites(survey, ['create pods', 'create pods/exec']);
  if (pods) ctx.report({ ...at, kb: 'KF-API-010', evidence: `${identity} ${pods}` }, parents);
}

/** True when the survey found anything allowed beyond reviewing oneself. */
export function grantsAnything(survey: Survey): boolean {
  return allowedChecks(survey).length > 0 || (survey.rules !== undefined && grantingRules(survey.rules).length > 0);
}

/** The mapping reads (namespaces, pods, roles, cluster roles) that succeeded across all namespaces. */
export function clusterWideMapping(survey: Survey): string[] {
  return MAPPING_READS.filter((k) => survey.reads[k]?.clusterWide);
}
