import { sendJson, sendText, splitUrl } from './http.js';
import { prometheusText } from './metrics.js';
import type { Handler } from './servers.js';

/** kube-proxy's health port 10256: JSON with the last time it synced its rules. */
export function kubeProxyHealthHandler(minor: number): Handler {
  const started = Date.now();
  return (req, res) => {
    const { path } = splitUrl(req);
    if (path === '/healthz' || (path === '/livez' && minor >= 28)) {
      const body: Record<string, unknown> = {
        lastUpdated: new Date(Math.max(started, Date.now() - 7000)).toISOString(),
        currentTime: new Date().toISOString(),
      };
      if (minor >= 28) body.nodeEligible = true;
      sendJson(res, 200, body);
      return;
    }
    sendText(res, 404, '404 page not found\n');
  };
}

/** kube-proxy's metrics port 10249 (bound to the node address only in the vulnerable profile). */
export function kubeProxyMetricsHandler(version: string): Handler {
  return (req, res) => {
    const { path } = splitUrl(req);
    if (path === '/metrics') {
      sendText(
        res,
        200,
        prometheusText('kube-proxy', version, { kubeproxy_sync_proxy_rules_duration_seconds_count: [['', 412]] }),
        {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        },
      );
    } else if (path === '/proxyMode') sendText(res, 200, 'iptables');
    else if (path === '/healthz') sendText(res, 200, 'ok');
    else if (path === '/configz') {
      sendJson(res, 200, {
        'kubeproxy.config.k8s.io': {
          bindAddress: '0.0.0.0',
          metricsBindAddress: '0.0.0.0:10249',
          mode: 'iptables',
          clusterCIDR: '10.244.0.0/16',
        },
      });
    } else sendText(res, 404, '404 page not found\n');
  };
}
