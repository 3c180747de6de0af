import { randomBytes } from 'node:crypto';
import type { Node, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { sendJson, sendText, splitUrl } from './http.js';
import { noteIdentity } from './requestlog.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import type { Handler } from './servers.js';
import type { KubeObject, Store } from './store.js';

const kind = (k: string) => resourceOfKind(RESOURCES, k);

const INDEX = `<!doctype html>
<html lang="en" dir="ltr">
<head>
  <meta charset="utf-8">
  <title>Kubernetes Dashboard</title>
  <link rel="icon" type="image/png" href="assets/images/kubernetes-logo.png">
  <meta name="viewport" content="width=device-width">
</head>
<body>
  <kd-root></kd-root>
  <script src="runtime.js" defer></script>
  <script src="main.js" defer></script>
</body>
</html>
`;

function objectMeta(o: KubeObject) {
  const m = o.metadata;
  return {
    name: m.name,
    namespace: m.namespace,
    labels: m.labels,
    annotations: m.annotations,
    creationTimestamp: m.creationTimestamp,
    uid: m.uid,
  };
}

const typeMeta = (k: string) => ({ kind: k, scalable: false, restartable: false });

/**
 * Kubernetes Dashboard v2 on NodePort 30000 with --enable-skip-login: its JSON API answers anyone, with the
 * rights of its own service account (cluster-admin in the vulnerable profile), secrets' data included.
 */
export function dashboardHandler(store: Store): Handler {
  return (req, res) => {
    noteIdentity(req, 'system:anonymous');
    const { path, query } = splitUrl(req);
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(INDEX);
      return;
    }
    const seg = path.split('/').slice(1);
    if (seg[0] !== 'api' || seg[1] !== 'v1') return sendText(res, 404, '404 page not found\n');
    const [what, namespace, name] = seg.slice(2);
    // Read only to be summarised: the stored objects, not copies (a lab of 50,000 Secrets).
    const list = <T>(k: string) => store.view(kind(k), namespace || undefined) as unknown as T[];
    // The dashboard's data select: `itemsPerPage` and `page` (from 1) cut a list; listMeta counts them all.
    const perPage = Number(query.get('itemsPerPage'));
    const paged = <T>(items: readonly T[]): readonly T[] => {
      if (!Number.isInteger(perPage) || perPage < 1) return items;
      const page = Math.max(1, Number(query.get('page')) || 1);
      return items.slice((page - 1) * perPage, page * perPage);
    };
    const listMeta = (n: number) => ({ totalItems: n });
    switch (what) {
      case 'login':
        if (namespace === 'skippable') return sendJson(res, 200, { skippable: true });
        if (namespace === 'modes') return sendJson(res, 200, { modes: ['token'] });
        if (namespace === 'status') {
          return sendJson(res, 200, {
            tokenPresent: false,
            headerPresent: false,
            httpsMode: true,
            impersonationPresent: false,
            impersonatedUser: '',
          });
        }
        break;
      case 'csrftoken':
        return sendJson(res, 200, { token: randomBytes(24).toString('base64url') });
      case 'settings':
        return sendJson(res, 200, {
          clusterName: '',
          itemsPerPage: 10,
          labelsLimit: 3,
          logsAutoRefreshTimeInterval: 5,
          resourceAutoRefreshTimeInterval: 5,
          disableAccessDeniedNotifications: false,
        });
      case 'namespace': {
        const items = store.view(kind('Namespace'));
        return sendJson(res, 200, {
          listMeta: listMeta(items.length),
          namespaces: paged(items).map((n) => ({
            objectMeta: objectMeta(n),
            typeMeta: typeMeta('namespace'),
            phase: (n.status as { phase?: string })?.phase,
          })),
          errors: [],
        });
      }
      case 'node': {
        const items = store.view(kind('Node')) as unknown as Node[];
        return sendJson(res, 200, {
          listMeta: listMeta(items.length),
          nodes: paged(items).map((n) => ({
            objectMeta: objectMeta(n as unknown as KubeObject),
            typeMeta: typeMeta('node'),
            ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
          })),
          cumulativeMetrics: [],
          errors: [],
        });
      }
      case 'pod': {
        const items = list<Pod>('Pod');
        return sendJson(res, 200, {
          listMeta: listMeta(items.length),
          cumulativeMetrics: [],
          status: {
            running: items.filter((p) => p.status?.phase === 'Running').length,
            pending: 0,
            failed: 0,
            succeeded: 0,
            unknown: 0,
          },
          pods: paged(items).map((p) => ({
            objectMeta: objectMeta(p as unknown as KubeObject),
            typeMeta: typeMeta('pod'),
            status: p.status?.phase,
            restartCount: 0,
            nodeName: p.spec?.nodeName,
          })),
          errors: [],
        });
      }
      case 'service': {
        const items = list<Service>('Service');
        return sendJson(res, 200, {
          listMeta: listMeta(items.length),
          services: paged(items).map((s) => ({
            objectMeta: objectMeta(s as unknown as KubeObject),
            typeMeta: typeMeta('service'),
            internalEndpoint: { host: `${s.metadata?.name}.${s.metadata?.namespace}`, ports: s.spec?.ports },
            externalEndpoints: [],
            selector: s.spec?.selector,
            type: s.spec?.type,
            clusterIP: s.spec?.clusterIP,
          })),
          errors: [],
        });
      }
      case 'secret': {
        if (namespace && name) {
          const s = store.get(kind('Secret'), namespace, name) as unknown as Secret | undefined;
          if (!s) return sendText(res, 404, `secrets "${name}" not found\n`);
          return sendJson(res, 200, {
            objectMeta: objectMeta(s as unknown as KubeObject),
            typeMeta: typeMeta('secret'),
            data: s.data,
            type: s.type,
          });
        }
        const items = list<Secret>('Secret');
        return sendJson(res, 200, {
          listMeta: listMeta(items.length),
          secrets: paged(items).map((s) => ({
            objectMeta: objectMeta(s as unknown as KubeObject),
            typeMeta: typeMeta('secret'),
            type: s.type,
          })),
          errors: [],
        });
      }
    }
    sendText(res, 404, '404 page not found\n');
  };
}
