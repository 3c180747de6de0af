import { type ForwardTarget, forward } from './forward.js';
import { sendText } from './http.js';
import { noteIdentity } from './requestlog.js';
import type { Handler } from './servers.js';

// kubectl proxy's default --reject-paths.
const REJECT = [/^\/api\/.*\/pods\/.*\/exec/, /^\/api\/.*\/pods\/.*\/attach/];

/**
 * `kubectl proxy --address=0.0.0.0 --accept-hosts='.*'`: anyone who reaches it talks to the API server
 * with the credentials of whoever started it (here kubernetes-admin, group system:masters).
 */
export function kubectlProxyHandler(apiServer: ForwardTarget): Handler {
  return async (req, res) => {
    noteIdentity(req, 'system:anonymous');
    const path = req.url ?? '/';
    if (REJECT.some((r) => r.test(path.split('?')[0]))) {
      sendText(res, 403, 'Forbidden\n');
      return;
    }
    await forward(apiServer, path, req, res);
  };
}
