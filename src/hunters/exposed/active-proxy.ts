import { refusal } from '../../active/send.js';
import { baseUrl } from '../../active/toolkit.js';
import { defineHunter } from '../../core/hunter.js';
import { serviceOf } from '../probe.js';
import { refusedHost } from './kubectl-proxy.js';

interface NamespaceList {
  items?: { metadata?: { name?: string } }[];
  metadata?: { continue?: string; remainingItemCount?: number };
}

/** One page of namespaces is proof enough; the server's remainingItemCount says how many there are. */
const NAMESPACES = '/api/v1/namespaces?limit=500';

/**
 * Proves that an exposed `kubectl proxy` hands out the identity behind it: reads the version and the
 * namespace list through it. Read-only: the proxy's identity is usually an administrator's, and nothing
 * more is needed to show that.
 */
export const proxyActiveAccess = defineHunter({
  id: 'proxy-active-access',
  title: 'Reads the API through an exposed kubectl proxy',
  mode: 'active',
  on: 'Finding',
  when: (f) => f.kb === 'KF-PROXY-001',
  subject: (f) => `${f.host}:${f.port}`,
  reports: ['KF-PROXY-101'],
  changes: 'reads /version and lists namespaces through the proxy (read only)',
  async hunt(finding, ctx) {
    const { host, port } = finding;
    if (!host || !port) return;
    const base = baseUrl(serviceOf(ctx, host, port)?.scheme ?? 'http', host, port);
    // A proxy on its default --accept-hosts takes only Host: localhost, as the passive hunter found.
    let headers: Record<string, string> = {};
    let list = await ctx.net.http({ url: `${base}${NAMESPACES}` });
    if (refusedHost(list)) {
      headers = { host: 'localhost' };
      list = await ctx.net.http({ url: `${base}${NAMESPACES}`, headers });
    }
    const version = await ctx.net.http({ url: `${base}/version`, headers });
    const gitVersion = version.status === 200 ? version.json<{ gitVersion?: string }>()?.gitVersion : undefined;
    if (list.status !== 200) {
      ctx.log(`GET /api/v1/namespaces through the proxy: ${refusal(list)}`);
      return;
    }
    const page = list.json<NamespaceList>();
    const names = (page?.items ?? []).map((i) => i.metadata?.name).filter(Boolean);
    const remaining = page?.metadata?.remainingItemCount;
    const more = page?.metadata?.continue
      ? typeof remaining === 'number'
        ? `${names.length + remaining}`
        : `at least ${names.length}`
      : undefined;
    if (gitVersion) ctx.publish('Version', { host, port, component: 'kubernetes', version: gitVersion });
    ctx.report({
      kb: 'KF-PROXY-101',
      host,
      port,
      path: '/api/v1/namespaces',
      identity: 'kubectl-proxy',
      evidence: `listed ${more ?? names.length} namespaces (${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}) through the proxy${headers.host ? ' (with Host: localhost)' : ''}${gitVersion ? `; Kubernetes ${gitVersion} (GET /version)` : ''}`,
      proof: true,
    });
  },
});
