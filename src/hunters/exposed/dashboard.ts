import { defineHunter } from '../../core/hunter.js';
import { count, said, sample } from '../evidence.js';
import { ServiceProbe } from '../probe.js';

interface DashboardList {
  nodes?: { objectMeta?: { name?: unknown } }[];
  secrets?: unknown[];
  listMeta?: { totalItems?: unknown };
}

const ONE_PAGE = 'itemsPerPage=10&page=1';

/** How many the whole list holds: listMeta.totalItems, or what this page shows when it does not say. */
function totalOf(list: DashboardList | undefined, shown: number): number {
  const total = list?.listMeta?.totalItems;
  return typeof total === 'number' && Number.isInteger(total) && total >= shown ? total : shown;
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
    // One page of each list (the dashboard's data select), counted by its listMeta: a cluster's Secrets
    // can run to tens of thousands, and the names of a few are all the evidence needs.
    const nodes = await probe.get(`/api/v1/node?${ONE_PAGE}`);
    const secrets = await probe.get(`/api/v1/secret?${ONE_PAGE}`);

    const seen: string[] = [];
    let path: string | undefined;
    if (skippable?.status === 200 && skippable.json<{ skippable?: unknown }>()?.skippable === true) {
      seen.push(`skip-login is on (${said(skippable, 'skippable: true')})`);
      path = '/api/v1/login/skippable';
    }
    const nodeAnswer = nodes?.status === 200 ? nodes.json<DashboardList>() : undefined;
    const nodeList = nodeAnswer?.nodes;
    if (nodes && Array.isArray(nodeList)) {
      const names = nodeList.map((n) => String(n?.objectMeta?.name ?? '?').slice(0, 64));
      const total = totalOf(nodeAnswer, names.length);
      const more = total > names.length ? ', …' : '';
      seen.push(said(nodes, `${count(total, 'node')} (${sample(names, 4)}${more})`));
      path ??= '/api/v1/node';
    }
    const secretAnswer = secrets?.status === 200 ? secrets.json<DashboardList>() : undefined;
    const readsSecrets = !!secrets && Array.isArray(secretAnswer?.secrets);
    if (secrets && readsSecrets) {
      const total = totalOf(secretAnswer, secretAnswer!.secrets!.length);
      seen.push(said(secrets, `${count(total, 'Secret')} listed (names only kept)`));
    }
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
