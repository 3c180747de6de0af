import { defineHunter } from '../../core/hunter.js';
import { count, said, sample } from '../evidence.js';
import { ServiceProbe } from '../probe.js';

interface DashboardList {
  nodes?: { objectMeta?: { name?: unknown } }[];
  secrets?: unknown[];
  listMeta?: { totalItems?: unknown };
}

/**
 * The Kubernetes Dashboard without a login, as kube-hunter checked it: is skip-login on, and does its
 * backend API list the nodes (and Secrets: names only, in the dashboard's list view) to a caller with no
 * token? Whatever it lists, it lists with its own service account, so listing Secrets cluster-wide makes
 * the finding critical.
 */
export const dashboardHunter = defineHunter({
  id: 'dashboard-exposed',
  title: 'Kubernetes Dashboard usable without logging in',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'dashboard',
  reports: ['KF-DASHBOARD-001'],
  async hunt(service, ctx) {
    const probe = new ServiceProbe(ctx, service);
    const skippable = await probe.get('/api/v1/login/skippable');
    const nodes = await probe.get('/api/v1/node');
    const secrets = await probe.get('/api/v1/secret');

    const seen: string[] = [];
    let path: string | undefined;
    if (skippable?.status === 200 && skippable.json<{ skippable?: unknown }>()?.skippable === true) {
      seen.push(`skip-login is on (${said(skippable, 'skippable: true')})`);
      path = '/api/v1/login/skippable';
    }
    const nodeList = nodes?.status === 200 ? nodes.json<DashboardList>()?.nodes : undefined;
    if (nodes && Array.isArray(nodeList)) {
      const names = nodeList.map((n) => String(n?.objectMeta?.name ?? '?').slice(0, 64));
      seen.push(said(nodes, `${count(names.length, 'node')} (${sample(names, 4)})`));
      path ??= '/api/v1/node';
    }
    const secretList = secrets?.status === 200 ? secrets.json<DashboardList>()?.secrets : undefined;
    const readsSecrets = !!secrets && Array.isArray(secretList);
    if (secrets && readsSecrets)
      seen.push(said(secrets, `${count(secretList!.length, 'Secret')} listed (names only kept)`));
    if (seen.length === 0) return;
    ctx.report({
      kb: 'KF-DASHBOARD-001',
      host: service.host,
      port: service.port,
      path,
      evidence: `without a token: ${seen.join('; ')}`,
      ...(readsSecrets && { severity: 'critical' as const }),
    });
  },
});
