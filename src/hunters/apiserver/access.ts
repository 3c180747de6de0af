import { NetError } from '../../core/errors.js';
import type { CredentialSecret, EventPayloads } from '../../core/events.js';
import type { HuntContext, ReadOnlyRequest } from '../../core/hunter.js';
import { type Answer, type ApiRequest, type ApiTarget, askApi, netFailure, readListing, TABLE_ACCEPT } from './api.js';
import { type Rules, readRules, rulesAllow, rulesReview } from './rules.js';

/**
 * What each identity is tried with, the same for every identity so the report can set them side by side.
 * Reads are real list requests (as Tables: names and printed columns only, never a Secret's data); writes
 * are never attempted, only asked about with a SelfSubjectAccessReview.
 */
export interface ReadCheck {
  key: string;
  /** The cluster-wide list; `{ns}` marks where a namespace goes for the namespaced fallback. */
  path: string;
  namespaced?: string;
}

export interface WriteCheck {
  key: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** A namespaced resource is also asked about in the identity's own namespace. */
  namespaced: boolean;
}

const RBAC = 'rbac.authorization.k8s.io';

export const READ_CHECKS: readonly ReadCheck[] = [
  { key: 'list namespaces', path: '/api/v1/namespaces' },
  { key: 'list nodes', path: '/api/v1/nodes' },
  { key: 'list pods', path: '/api/v1/pods', namespaced: '/api/v1/namespaces/{ns}/pods' },
  { key: 'list secrets', path: '/api/v1/secrets', namespaced: '/api/v1/namespaces/{ns}/secrets' },
  { key: 'list roles', path: `/apis/${RBAC}/v1/roles`, namespaced: `/apis/${RBAC}/v1/namespaces/{ns}/roles` },
  { key: 'list clusterroles', path: `/apis/${RBAC}/v1/clusterroles` },
];

export const WRITE_CHECKS: readonly WriteCheck[] = [
  { key: 'create namespaces', verb: 'create', group: '', resource: 'namespaces', namespaced: false },
  { key: 'create pods', verb: 'create', group: '', resource: 'pods', namespaced: true },
  { key: 'create pods/exec', verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespaced: true },
  { key: 'create roles', verb: 'create', group: RBAC, resource: 'roles', namespaced: true },
  { key: 'create rolebindings', verb: 'create', group: RBAC, resource: 'rolebindings', namespaced: true },
  { key: 'create clusterroles', verb: 'create', group: RBAC, resource: 'clusterroles', namespaced: false },
  {
    key: 'create clusterrolebindings',
    verb: 'create',
    group: RBAC,
    resource: 'clusterrolebindings',
    namespaced: false,
  },
  // Every verb on every resource in every group: cluster-admin, asked in one review.
  { key: '* *', verb: '*', group: '*', resource: '*', namespaced: false },
];

/** Reads whose cluster-wide success maps the cluster (KF-API-004, KF-API-005). */
export const MAPPING_READS = ['list namespaces', 'list pods', 'list roles', 'list clusterroles'];

const REVIEWS = '/apis/authorization.k8s.io/v1';

/** The only requests a survey sends besides GETs: questions about the caller's own rights. */
export const REVIEW_REQUESTS: readonly ReadOnlyRequest[] = ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'].map(
  (review) => ({
    method: 'POST',
    path: `${REVIEWS}/${review}`,
    why: 'a self review answers a question about the caller and is stored nowhere',
  }),
);
/** Requests in flight at once for one survey: quick on a healthy server, gentle on a struggling one. */
const IN_FLIGHT = 6;

/** Runs the tasks with at most `limit` in flight; results in task order. */
async function pooled<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
const LIST_LIMIT = 500;

/** Who asks: a display name, the secret to present (none for anonymous and the insecure port). */
export interface Asker {
  identity: string;
  credential?: CredentialSecret;
  /** Where namespaced checks fall back to and rules are asked for: the identity's own namespace. */
  namespace: string;
  /** A Host header for every request: a kubectl proxy that accepts only `localhost` (anyone can send it). */
  host?: string;
}

/** What one read found: how many objects in how many namespaces, and where it was allowed. */
export interface ReadResult {
  /** `all namespaces`, or `namespace dev` when only the identity's own namespace could be listed. */
  where: string;
  clusterWide: boolean;
  count: number;
  namespaces: number;
  more: boolean;
}

export interface Survey {
  can: EventPayloads['ApiAccess']['can'];
  reads: Record<string, ReadResult>;
  /** For an allowed write: `all namespaces` or `namespace dev`. */
  writes: Record<string, string>;
  rules?: Rules;
  /** Every answer was 401: the server does not take this identity (or anonymous) at all. */
  unauthenticated: boolean;
  /** One phrase per check that got no answer one can decide on. */
  unusable: string[];
  /** Set when the server could not be talked to at all; nothing else was asked. */
  failed?: string;
  /** The server's certificate is not one the identity's source trusts: its credential was never sent. */
  untrusted?: boolean;
}

class Tally {
  answers = 0;
  unauthenticated = 0;
  readonly unusable: string[] = [];

  note(answer: Answer): Answer {
    this.answers++;
    if (answer.kind === 'unauthenticated') this.unauthenticated++;
    if (answer.kind === 'unusable') this.unusable.push(answer.why);
    return answer;
  }

  async ask(run: () => Promise<Answer>): Promise<Answer> {
    try {
      return this.note(await run());
    } catch (err) {
      return this.note({ kind: 'unusable', why: netFailure(err) });
    }
  }
}

function readResult(answer: Answer, where: string, clusterWide: boolean): ReadResult | false | undefined {
  if (answer.kind === 'denied' || answer.kind === 'unauthenticated') return false;
  if (answer.kind !== 'ok') return undefined;
  const listing = readListing(answer.body);
  if (!listing) return undefined;
  const namespaces = new Set(listing.objects.map((o) => o.namespace).filter(Boolean));
  // The server's own count of the whole list when it gives one; otherwise "at least" what the page held.
  const total = listing.total;
  return {
    where,
    clusterWide,
    count: total ?? listing.objects.length,
    namespaces: namespaces.size,
    more: listing.more && total === undefined,
  };
}

/**
 * A list as every API server hunter asks for it, as a Table, a page at a time: the first page is shared with
 * the others (the survey's read is the secrets hunter's first page); the page after `next` is the asker's own.
 */
export function listRequest(asker: Asker, path: string, next?: string): ApiRequest {
  const page = next === undefined ? '' : `&continue=${encodeURIComponent(next)}`;
  return {
    path: `${path}?limit=${LIST_LIMIT}${page}`,
    accept: TABLE_ACCEPT,
    credential: asker.credential,
    ...(asker.host !== undefined && { host: asker.host }),
    shared: next === undefined,
  };
}

async function read(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  check: ReadCheck,
  tally: Tally,
  answered?: Answer,
) {
  const list = (path: string) => tally.ask(() => askApi(ctx, target, listRequest(asker, path)));
  const everywhere = readResult(answered ?? (await list(check.path)), 'all namespaces', true);
  if (everywhere !== false || !check.namespaced) return everywhere;
  return readResult(
    await list(check.namespaced.replace('{ns}', encodeURIComponent(asker.namespace))),
    `namespace ${asker.namespace}`,
    false,
  );
}

function accessReview(check: WriteCheck, namespace?: string) {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: {
      resourceAttributes: {
        verb: check.verb,
        group: check.group,
        resource: check.resource,
        ...(check.subresource && { subresource: check.subresource }),
        ...(namespace && { namespace }),
      },
    },
  };
}

/** True/false from a review's answer; undefined when the review was not answered (not served, refused, garbage). */
function allowedOf(answer: Answer): boolean | undefined {
  if (answer.kind !== 'ok') return undefined;
  const allowed = (answer.body.status as { allowed?: unknown } | undefined)?.allowed;
  return typeof allowed === 'boolean' ? allowed : undefined;
}

async function write(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  check: WriteCheck,
  tally: Tally,
): Promise<string | false | undefined> {
  const review = (namespace?: string) =>
    tally.ask(() =>
      askApi(ctx, target, {
        path: `${REVIEWS}/selfsubjectaccessreviews`,
        method: 'POST',
        body: accessReview(check, namespace),
        credential: asker.credential,
        ...(asker.host !== undefined && { host: asker.host }),
      }),
    );
  const everywhere = allowedOf(await review());
  if (everywhere) return 'all namespaces';
  if (everywhere === undefined || !check.namespaced) return everywhere;
  return allowedOf(await review(asker.namespace)) ? `namespace ${asker.namespace}` : false;
}

async function rulesOf(ctx: HuntContext, target: ApiTarget, asker: Asker, tally: Tally): Promise<Rules | undefined> {
  const answer = await tally.ask(() =>
    askApi(ctx, target, {
      ...rulesReview(asker.namespace, asker.credential),
      ...(asker.host !== undefined && { host: asker.host }),
    }),
  );
  return answer.kind === 'ok' ? readRules(asker.namespace, answer.body) : undefined;
}

/**
 * Asks an API server what one identity can do: the reads of READ_CHECKS for real, the writes of
 * WRITE_CHECKS by SelfSubjectAccessReview (falling back to the SelfSubjectRulesReview's rules where the
 * server does not answer access reviews), and its rules in its own namespace. Nothing is changed. A server
 * that cannot be talked to at all, or does not take the identity (401), is asked one question only.
 */
export async function surveyAccess(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<Survey> {
  const tally = new Tally();
  const survey: Survey = { can: {}, reads: {}, writes: {}, unauthenticated: false, unusable: tally.unusable };
  const [first, ...rest] = READ_CHECKS;
  let answered: Answer;
  try {
    // One request first: a server that times out or does not speak HTTP is not asked fifteen more times.
    answered = tally.note(await askApi(ctx, target, listRequest(asker, first.path)));
  } catch (err) {
    survey.failed = netFailure(err);
    survey.untrusted = err instanceof NetError && err.kind === 'untrusted';
    return survey;
  }
  if (answered.kind === 'unauthenticated') {
    // Authentication comes before any authorization: every other request would be refused the same way.
    survey.unauthenticated = true;
    return survey;
  }
  const reads = pooled(
    [
      () => read(ctx, target, asker, first, tally, answered),
      ...rest.map((c) => () => read(ctx, target, asker, c, tally)),
    ],
    IN_FLIGHT / 2,
  );
  const writes = pooled(
    WRITE_CHECKS.map((c) => () => write(ctx, target, asker, c, tally)),
    IN_FLIGHT / 2 - 1,
  );
  const rules = await rulesOf(ctx, target, asker, tally);
  survey.rules = rules;
  const [readResults, writeResults] = await Promise.all([reads, writes]);
  READ_CHECKS.forEach((check, i) => {
    const r = readResults[i];
    if (r === undefined) return;
    survey.can[check.key] = r !== false;
    if (r) survey.reads[check.key] = r;
  });
  WRITE_CHECKS.forEach((check, i) => {
    let w = writeResults[i];
    if (w === undefined && rules) {
      w = rulesAllow(rules, check) ? `namespace ${rules.namespace}` : false;
    }
    if (w === undefined) return;
    survey.can[check.key] = w !== false;
    if (w) survey.writes[check.key] = w;
  });
  survey.unauthenticated = tally.answers > 0 && tally.unauthenticated === tally.answers;
  return survey;
}

/** The checks that came out allowed, in the order they were made. */
export function allowedChecks(survey: Survey): string[] {
  return Object.entries(survey.can)
    .filter(([, v]) => v)
    .map(([k]) => k);
}
