import { defineHunter } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { count, said } from '../evidence.js';
import { ServiceProbe } from '../probe.js';

/** A Table with no objects in its rows: Secrets are listed as names, never with their data. */
const TABLE_WITHOUT_OBJECTS = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

/** kubectl proxy's refusal of a Host it does not accept (its default --accept-hosts is localhost only). */
/** The bare "Forbidden" of a proxy whose --accept-hosts (default: localhost only) refused the Host header. */
export const refusedHost = (res: HttpResponse | undefined) => res?.status === 403 && res.text().trim() === 'Forbidden';

interface List {
  kind?: unknown;
  items?: { metadata?: { name?: unknown } }[];
  rows?: unknown[];
  metadata?: { continue?: unknown };
}

/** Namespaces asked for a page at a time, as every list a hunter sends (a real cluster may have thousands). */
const PAGE = 500;
const namespacesPage = (next?: string) =>
  `/api/v1/namespaces?limit=${PAGE}${next ? `&continue=${encodeURIComponent(next)}` : ''}`;

/** Names of a page of namespaces, and the token of the next page if there is one. */
function pageOf(res: HttpResponse): { names: string[]; next?: string } {
  const list = res.json<List>();
  const names = (list?.items ?? []).map((i) => String(i?.metadata?.name ?? '?').slice(0, 64));
  const next = list?.metadata?.continue;
  return { names, next: typeof next === 'string' && next !== '' ? next : undefined };
}

/**
 * The rest of the namespaces after the first page, to the end of the list: their count and first names,
 * and why the listing stopped early if it did.
 */
async function restOfNamespaces(
  probe: ServiceProbe,
  headers: Record<string, string>,
  first: HttpResponse,
): Promise<{ count: number; names: string[]; pages: number; cut?: string }> {
  let { names, next } = pageOf(first);
  let count = names.length;
  const shown = names.slice(0, 5);
  let pages = 1;
  while (next) {
    const res = await probe.get(namespacesPage(next), { headers });
    if (!isList(res)) {
      return {
        count,
        names: shown,
        pages,
        cut: res ? `page ${pages + 1} → ${res.status}` : (probe.failed ?? 'no answer'),
      };
    }
    ({ names, next } = pageOf(res!));
    count += names.length;
    pages++;
  }
  return { count, names: shown, pages };
}

const isList = (res: HttpResponse | undefined) => {
  const kind = res?.status === 200 ? res.json<List>()?.kind : undefined;
  return typeof kind === 'string' && (kind.endsWith('List') || kind === 'Table');
};

/**
 * A `kubectl proxy` reachable from the network: whoever reaches it acts as the user who started it. Lists
 * namespaces, pods and Secrets through it (Secrets as a Table without objects, so no value is fetched),
 * sending `Host: localhost` when the proxy only accepts that — a header anyone can send. Reports the
 * exposure and publishes what the proxy's identity can read, for the report's side-by-side view.
 */
export const kubectlProxyHunter = defineHunter({
  id: 'kubectl-proxy-exposed',
  title: 'kubectl proxy lending its credentials to anyone on the network',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'kubectl-proxy',
  reports: ['KF-PROXY-001'],
  async hunt(service, ctx) {
    const probe = new ServiceProbe(ctx, service);
    let headers: Record<string, string> = {};
    let namespaces = await probe.get(namespacesPage());
    if (refusedHost(namespaces)) {
      headers = { host: 'localhost' };
      namespaces = await probe.get(namespacesPage(), { headers });
    }
    if (!namespaces || !isList(namespaces)) return;
    const listed = await restOfNamespaces(probe, headers, namespaces);
    const pods = await probe.get('/api/v1/pods?limit=1', { headers });
    const secrets = await probe.get('/api/v1/secrets?limit=1&includeObject=None', {
      headers: { ...headers, accept: TABLE_WITHOUT_OBJECTS },
    });
    const can = { 'list namespaces': true, 'list pods': isList(pods), 'list secrets': isList(secrets) };
    const names = `${listed.names.join(', ')}${listed.count > listed.names.length ? ', …' : ''}`;
    const partial = listed.cut
      ? ` (partial: the listing stopped after ${count(listed.pages, 'page')}: ${listed.cut})`
      : '';
    if (listed.cut) {
      ctx.gap({
        host: service.host,
        port: service.port,
        subject: 'list namespaces (kubectl-proxy)',
        reason: ctx.signal.aborted ? 'deadline' : 'page-failed',
        detail: `${count(listed.count, 'namespace')} in ${count(listed.pages, 'page')} were examined, then: ${listed.cut}`,
      });
    }
    const reach = Object.entries(can).map(([check, ok]) => `${check}: ${ok ? 'yes' : 'no'}`);
    const finding = ctx.report({
      kb: 'KF-PROXY-001',
      host: service.host,
      port: service.port,
      path: '/api/v1/namespaces',
      evidence:
        `${said(namespaces, `${listed.cut ? 'at least ' : ''}${count(listed.count, 'namespace')} (${names})`)} without credentials` +
        `${headers.host ? ' (with Host: localhost, which the proxy requires)' : ''}; through the proxy: ${reach.join(', ')}${partial}`,
    });
    ctx.publish(
      'ApiAccess',
      {
        host: service.host,
        port: service.port,
        scheme: service.scheme,
        identity: 'kubectl-proxy',
        via: 'kubectl-proxy',
        can,
      },
      [finding.id],
    );
  },
});
