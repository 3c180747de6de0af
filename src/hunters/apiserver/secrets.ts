import type { CredentialSecret, KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';
import { count, sample } from '../evidence.js';
import { type Asker, listRequest } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, type ListedObject, netFailure, readListing } from './api.js';
import { readFacts, readsRbac } from './attack-paths.js';
import { counted } from './report-access.js';

const SA_TOKEN = 'kubernetes.io/service-account-token';
/** Found tokens followed per reader: enough for the chain, not a flood of identities in the report. */
export const FOUND_TOKENS_MAX = 20;
const SHOWN = 10;

interface SecretRow {
  namespace: string;
  name: string;
  type: string;
  serviceAccount?: string;
}

function rowOf(o: ListedObject): SecretRow {
  return {
    namespace: o.namespace ?? '?',
    name: o.name,
    type: o.columns.Type ?? 'unknown type',
    serviceAccount: o.annotations['kubernetes.io/service-account.name'],
  };
}

/**
 * What a Secrets listing showed, tallied page by page so 50,000 Secrets cost a few counters: how many of
 * each type, in how many namespaces, a few names, and every service-account token (the ones that matter).
 */
export interface SecretsSeen {
  where: string;
  count: number;
  byType: Map<string, number>;
  namespaces: Set<string>;
  tokens: SecretRow[];
  /** Pages read. */
  pages: number;
  /** Why the listing stopped before its end (a page that failed, the deadline); undefined when complete. */
  cut?: string;
}

function tally(seen: SecretsSeen, rows: SecretRow[]): void {
  seen.pages++;
  for (const r of rows) {
    seen.count++;
    seen.byType.set(r.type, (seen.byType.get(r.type) ?? 0) + 1);
    seen.namespaces.add(r.namespace);
    if (r.type === SA_TOKEN) seen.tokens.push(r);
  }
}

/**
 * Lists Secrets as a Table (name, type, number of keys), page after page to the end of the list: the values
 * never travel. All namespaces when the identity may, else its own namespace. Undefined when neither can be
 * listed. What stops it early is the hunter's deadline or a page that fails, and `cut` says which.
 */
async function listSecrets(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
): Promise<{ seen?: SecretsSeen; unusable?: string }> {
  let unusable: string | undefined;
  const places = [
    { path: '/api/v1/secrets', where: 'all namespaces' },
    {
      path: `/api/v1/namespaces/${encodeURIComponent(asker.namespace)}/secrets`,
      where: `namespace ${asker.namespace}`,
    },
  ];
  for (const place of places) {
    const result = await listPlace(ctx, target, asker, place);
    if (result.seen) return result;
    unusable ??= result.unusable;
  }
  return { unusable };
}

/** A listing of no Secrets yet, to tally pages into. */
export function emptySeen(where: string): SecretsSeen {
  return { where, count: 0, byType: new Map(), namespaces: new Set(), tokens: [], pages: 0 };
}

/**
 * Lists the Secrets of one place (every namespace, or one), page after page, tallied into `seen` (a new
 * one when not given). `seen` is undefined in the result when not one page could be read.
 */
export async function listPlace(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  place: { path: string; where: string },
  into?: SecretsSeen,
): Promise<{ seen?: SecretsSeen; unusable?: string }> {
  const seen = into ?? emptySeen(place.where);
  const before = seen.pages;
  let unusable: string | undefined;
  let next: string | undefined;
  do {
    let listing: ReturnType<typeof readListing>;
    try {
      // A page that fails is this hunter's own gap ('page-failed', with what was examined), not the network's.
      const answer = await askApi(ctx, target, { ...listRequest(asker, place.path, next), gap: false });
      listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
      const why = answer.kind === 'unusable' ? answer.why : answer.kind === 'ok' ? 'not a list' : answer.kind;
      if (!listing && seen.pages > before) seen.cut = `page ${seen.pages - before + 1}: ${why}`;
      // The survey found Secrets listable here: an answer that decides nothing is not "none".
      if (!listing && seen.pages === before && answer.kind !== 'denied') unusable = `${place.where}: ${why}`;
    } catch (err) {
      // The first page failing is the caller's to report; a later one leaves a listing read in part.
      if (seen.pages === before) throw err;
      seen.cut = `page ${seen.pages - before + 1}: ${netFailure(err)}`;
    }
    if (!listing) break;
    tally(seen, listing.objects.map(rowOf));
    next = listing.continueToken;
  } while (next);
  return seen.pages > before ? { seen } : { unusable };
}

function byType(seen: SecretsSeen): string {
  return [...seen.byType.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
}

function named(rows: SecretRow[]): string {
  return sample(
    rows.map((r) => `${r.namespace}/${r.name}${r.serviceAccount ? ` (service account ${r.serviceAccount})` : ''}`),
    SHOWN,
  );
}

/**
 * A found token goes back only to the server it was read from, with the trust that server had for the
 * identity that read it: the same CA and name checked, or none when it was read without a credential
 * (anonymous, insecure port) over a connection nobody verified: the token crossed that very channel
 * already, so sending it back there shows it to no one new.
 */
function foundTrust(asker: Asker): Pick<CredentialSecret, 'ca' | 'trust'> {
  const from = asker.credential;
  if (!from) return { trust: { tls: 'unverified' } };
  return { ...(from.ca ? { ca: from.ca } : {}), trust: from.trust ?? { tls: 'verify' } };
}

/**
 * Token Secrets in the order of what their service account can do (closest to cluster-admin, then a node,
 * then every Secret), by the attack-path graph of what this identity can read (the same reads the
 * attack-path hunter makes, so shared); alphabetical where the graph says nothing.
 */
async function ranked(ctx: HuntContext, target: ApiTarget, asker: Asker, tokens: SecretRow[]): Promise<SecretRow[]> {
  try {
    // The graph the attack paths use, built once per server, reader and run.
    const { graph } = await readFacts(ctx, target, asker);
    const order = graph.rankTokens().map((t) => `${t.namespace}/${t.name}`);
    const rank = new Map(order.map((key, i) => [key, i]));
    const at = (r: SecretRow) => rank.get(`${r.namespace}/${r.name}`) ?? order.length;
    return [...tokens].sort((a, b) => at(a) - at(b));
  } catch (err) {
    ctx.log(`ranking token Secrets as ${asker.identity}: ${netFailure(err)}`);
    return tokens;
  }
}

/**
 * Reads one service-account token Secret and publishes its token as a `found` Credential bound to the API
 * server it was read from, so the credential hunter asks what it can do in turn: the step an attacker takes
 * next. The token goes only into the Credential's secret, which no output renders.
 */
async function follow(ctx: HuntContext, target: ApiTarget, asker: Asker, row: SecretRow, parent: string) {
  const path = `/api/v1/namespaces/${encodeURIComponent(row.namespace)}/secrets/${encodeURIComponent(row.name)}`;
  const answer = await askApi(ctx, target, { path, credential: asker.credential });
  const encoded = answer.kind === 'ok' ? (answer.body.data as { token?: unknown } | undefined)?.token : undefined;
  if (typeof encoded !== 'string' || encoded === '') return;
  const token = Buffer.from(encoded, 'base64').toString('utf8').trim();
  if (token === '') return;
  const same = sameIdentity(ctx, target, token, row);
  ctx.publish(
    'Credential',
    {
      name: `found:${row.namespace}/${row.name}`,
      source: 'found',
      apiServer: { host: target.host, port: target.port, scheme: target.scheme },
      secret: { token, ...foundTrust(asker) },
      ...(same && { sameAs: same }),
    },
    [parent],
  );
}

/**
 * A Credential already known on this API server that is the same user as a token found in `row`: the same
 * token, or a token of the same service account (its JWT claims, or the Secret's annotation). Its name, or
 * undefined. A different API server is a different cluster, whatever the names.
 */
function sameIdentity(ctx: HuntContext, target: ApiTarget, token: string, row: SecretRow): string | undefined {
  const found = tokenSubject(token);
  const namespace = found.namespace ?? row.namespace;
  const account = found.serviceAccount ?? row.serviceAccount;
  const known = ctx.known(
    'Credential',
    (c) =>
      c.sameAs === undefined &&
      c.apiServer?.host === target.host &&
      c.apiServer.port === target.port &&
      c.secret.token !== undefined,
  );
  const same = known.find((c) => {
    if (c.secret.token === token) return true;
    const s = tokenSubject(c.secret.token!);
    return account !== undefined && s.serviceAccount === account && s.namespace === namespace;
  });
  return same?.name;
}

/**
 * Secrets readable (KHV050-like): for every identity that may list Secrets, which ones by namespace, name
 * and type, and the service-account tokens among them — never a value. Tokens read by an identity that is
 * not already cluster-admin are followed as `found` Credentials (up to FOUND_TOKENS_MAX).
 */
export const secretsHunter = defineHunter({
  id: 'apiserver-secrets',
  title: 'Secrets and service-account tokens an identity can read',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => a.can['list secrets'] === true && followsUp(a),
  reports: ['KF-API-007', 'KF-API-008'],
  async hunt(access: KfEvent<'ApiAccess'>, ctx) {
    const asker = askerOf(ctx, access);
    if (!asker) return;
    const target = { host: access.host, port: access.port, scheme: access.scheme };
    let result: Awaited<ReturnType<typeof listSecrets>>;
    try {
      result = await listSecrets(ctx, target, asker);
    } catch (err) {
      ctx.log(`listing secrets as ${access.identity}: ${netFailure(err)}`, 'warn');
      return;
    }
    const listed = result.seen;
    if (!listed) {
      if (result.unusable) {
        ctx.gap({
          host: target.host,
          port: target.port,
          subject: `list secrets (${access.identity})`,
          reason: 'error',
          detail: `no Secret could be examined: ${result.unusable}`,
        });
      }
      return;
    }
    await reportSecrets(ctx, access, asker, listed);
  },
});

/**
 * Reports what a listing of Secrets showed (KF-API-007, and KF-API-008 for the service-account tokens
 * among them) and follows the tokens as `found` Credentials. `object` names where the listing was made
 * when it is not the identity's usual reach (`namespaces dev, tools` from the namespace survey).
 */
export async function reportSecrets(
  ctx: HuntContext,
  access: KfEvent<'ApiAccess'>,
  asker: Asker,
  listed: SecretsSeen,
  object?: string,
): Promise<void> {
  const target = { host: access.host, port: access.port, scheme: access.scheme };
  const at = {
    host: target.host,
    port: target.port,
    identity: access.identity,
    ...(object !== undefined && { object }),
  };
  const partial = listed.cut
    ? ` (partial: the listing stopped after ${count(listed.pages, 'page')}: ${listed.cut})`
    : '';
  if (listed.cut) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject: `list secrets (${access.identity})`,
      reason: ctx.signal.aborted ? 'deadline' : 'page-failed',
      detail: `${count(listed.count, 'secret')} in ${count(listed.pages, 'page')} were examined (${listed.where}), then: ${listed.cut}`,
    });
  }
  ctx.report(
    {
      ...at,
      kb: 'KF-API-007',
      evidence:
        `${access.identity} listed ${counted(listed.count, 'secrets', listed.cut !== undefined)} in ${counted(listed.namespaces.size, 'namespaces')} ` +
        `(${listed.where}): ${byType(listed) || 'none'}; listed as a table, names and types only${partial}`,
    },
    [access.id],
  );
  let { tokens } = listed;
  if (tokens.length === 0) return;
  // Worth taking first: the tokens of the service accounts closest to cluster-admin, then a node.
  if (readsRbac(access)) tokens = await ranked(ctx, target, asker, tokens);
  // An identity that already holds everything gains nothing from another's token.
  const followed = access.can['* *'] === true ? [] : tokens.slice(0, FOUND_TOKENS_MAX);
  const read = followed.length > 0 ? `; ${followed.length} read to hunt with their tokens in turn` : '';
  const finding = ctx.report(
    {
      ...at,
      kb: 'KF-API-008',
      evidence: `${access.identity} can read ${tokens.length} service-account token secret${tokens.length === 1 ? '' : 's'}: ${named(tokens)} (tokens not shown${read})${partial}`,
    },
    [access.id],
  );
  if (followed.length === 0) return;
  if (tokens.length > FOUND_TOKENS_MAX) {
    ctx.log(`following the first ${FOUND_TOKENS_MAX} of ${tokens.length} service-account tokens`);
  }
  for (const row of followed) {
    await follow(ctx, target, asker, row, finding.id).catch((err) =>
      ctx.log(`${row.namespace}/${row.name}: ${netFailure(err)}`),
    );
  }
}
