import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { EscalationGraph } from '../../paths/graph.js';
import { sample } from '../evidence.js';
import { type Asker, listRequest } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, type ListedObject, netFailure, readListing } from './api.js';
import { readFacts, readsRbac } from './attack-paths.js';
import { counted } from './report-access.js';

const SA_TOKEN = 'kubernetes.io/service-account-token';
const MAX_PAGES = 20;
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
 * Lists Secrets as a Table (name, type, number of keys): the values never travel. All namespaces when the
 * identity may, else its own namespace. Undefined when neither can be listed.
 */
async function listSecrets(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
): Promise<{ rows: SecretRow[]; where: string; more: boolean } | undefined> {
  const places = [
    { path: '/api/v1/secrets', where: 'all namespaces' },
    {
      path: `/api/v1/namespaces/${encodeURIComponent(asker.namespace)}/secrets`,
      where: `namespace ${asker.namespace}`,
    },
  ];
  for (const place of places) {
    const rows: SecretRow[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const answer = await askApi(ctx, target, listRequest(asker, place.path, next));
      const listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
      if (!listing) break;
      rows.push(...listing.objects.map(rowOf));
      next = listing.continueToken;
      pages++;
    } while (next && pages < MAX_PAGES);
    if (pages > 0) return { rows, where: place.where, more: next !== undefined };
  }
  return undefined;
}

function byType(rows: SecretRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()]
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
 * Token Secrets in the order of what their service account can do (closest to cluster-admin, then a node,
 * then every Secret), by the attack-path graph of what this identity can read (the same reads the
 * attack-path hunter makes, so shared); alphabetical where the graph says nothing.
 */
async function ranked(ctx: HuntContext, target: ApiTarget, asker: Asker, tokens: SecretRow[]): Promise<SecretRow[]> {
  try {
    const facts = await readFacts(ctx, target, asker);
    const order = new EscalationGraph({ ...facts, starts: [] }).rankTokens().map((t) => `${t.namespace}/${t.name}`);
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
  ctx.publish(
    'Credential',
    {
      name: `found:${row.namespace}/${row.name}`,
      source: 'found',
      apiServer: { host: target.host, port: target.port, scheme: target.scheme },
      secret: { token },
    },
    [parent],
  );
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
    let listed: Awaited<ReturnType<typeof listSecrets>>;
    try {
      listed = await listSecrets(ctx, target, asker);
    } catch (err) {
      ctx.log(`listing secrets as ${access.identity}: ${netFailure(err)}`, 'warn');
      return;
    }
    if (!listed) return;
    const { rows, where, more } = listed;
    const namespaces = new Set(rows.map((r) => r.namespace)).size;
    const at = { host: target.host, port: target.port, identity: access.identity };
    ctx.report(
      {
        ...at,
        kb: 'KF-API-007',
        evidence:
          `${access.identity} listed ${counted(rows.length, 'secrets', more)} in ${counted(namespaces, 'namespaces')} ` +
          `(${where}): ${byType(rows) || 'none'}; values not read`,
      },
      [access.id],
    );
    let tokens = rows.filter((r) => r.type === SA_TOKEN);
    if (tokens.length === 0) return;
    if (readsRbac(access)) tokens = await ranked(ctx, target, asker, tokens);
    const finding = ctx.report(
      {
        ...at,
        kb: 'KF-API-008',
        evidence: `${access.identity} can read ${tokens.length} service-account token secret${tokens.length === 1 ? '' : 's'}: ${named(tokens)} (tokens not shown)`,
      },
      [access.id],
    );
    // An identity that already holds everything gains nothing from another's token.
    if (access.can['* *'] === true) return;
    if (tokens.length > FOUND_TOKENS_MAX) {
      ctx.log(`following the first ${FOUND_TOKENS_MAX} of ${tokens.length} service-account tokens`);
    }
    for (const row of tokens.slice(0, FOUND_TOKENS_MAX)) {
      await follow(ctx, target, asker, row, finding.id).catch((err) =>
        ctx.log(`${row.namespace}/${row.name}: ${netFailure(err)}`),
      );
    }
  },
});
