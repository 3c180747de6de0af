import { defineHunter } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { count, said, sample } from '../evidence.js';
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
    let namespaces = await probe.get('/api/v1/namespaces');
    if (refusedHost(namespaces)) {
      headers = { host: 'localhost' };
      namespaces = await probe.get('/api/v1/namespaces', { headers });
    }
    if (!namespaces || !isList(namespaces)) return;
    const pods = await probe.get('/api/v1/pods?limit=1', { headers });
    const secrets = await probe.get('/api/v1/secrets?limit=1&includeObject=None', {
      headers: { ...headers, accept: TABLE_WITHOUT_OBJECTS },
    });
    const can = { 'list namespaces': true, 'list pods': isList(pods), 'list secrets': isList(secrets) };
    const names = (namespaces.json<List>()?.items ?? []).map((i) => String(i?.metadata?.name ?? '?').slice(0, 64));
    const reach = Object.entries(can).map(([check, ok]) => `${check}: ${ok ? 'yes' : 'no'}`);
    const finding = ctx.report({
      kb: 'KF-PROXY-001',
      host: service.host,
      port: service.port,
      path: '/api/v1/namespaces',
      evidence:
        `${said(namespaces, `${count(names.length, 'namespace')} (${sample(names, 5)})`)} without credentials` +
        `${headers.host ? ' (with Host: localhost, which the proxy requires)' : ''}; through the proxy: ${reach.join(', ')}`,
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
