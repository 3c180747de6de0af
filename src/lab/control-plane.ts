import type { Authenticator } from './auth.js';
import { sendJson, sendText, splitUrl } from './http.js';
import { prometheusText } from './metrics.js';
import type { Authorizer } from './rbac.js';
import { noteIdentity } from './requestlog.js';
import type { Handler } from './servers.js';
import * as status from './status.js';

export interface ComponentSpec {
  /** `kube-controller-manager` or `kube-scheduler`. */
  name: string;
  version: string;
  /** Paths anonymous callers may read without authorization (--authorization-always-allow-paths). */
  alwaysAllow: string[];
  configz: Record<string, unknown>;
  cmdline: string[];
}

/**
 * kube-controller-manager or kube-scheduler on its secure port: delegated authentication (tokens and
 * client certificates, anonymous allowed) and delegated authorization, with a few always-allowed paths.
 */
export function controlPlaneHandler(
  spec: ComponentSpec,
  authenticator: Authenticator,
  authorizer: Authorizer,
): Handler {
  return (req, res) => {
    const auth = authenticator.authenticate(req, true);
    if (!auth) {
      noteIdentity(req, '-');
      const e = status.unauthorized();
      sendJson(res, 401, e.status);
      return;
    }
    noteIdentity(req, auth.user.name);
    const { path } = splitUrl(req);
    const verb = (req.method ?? 'GET').toLowerCase() === 'head' ? 'get' : (req.method ?? 'GET').toLowerCase();
    if (!spec.alwaysAllow.includes(path) && !authorizer.allows(auth.user, { verb, path })) {
      const e = status.forbidden(auth.user, { verb, path });
      sendJson(res, 403, e.status);
      return;
    }
    switch (path) {
      case '/healthz':
      case '/livez':
      case '/readyz':
        sendText(res, 200, 'ok');
        return;
      case '/metrics':
        sendText(
          res,
          200,
          prometheusText(spec.name, spec.version, { workqueue_adds_total: [['name="namespace"', 42]] }),
          {
            'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          },
        );
        return;
      case '/configz':
        sendJson(res, 200, spec.configz);
        return;
      case '/debug/pprof/cmdline':
        sendText(res, 200, spec.cmdline.join('\0'));
        return;
      default:
        sendText(res, 404, '404 page not found\n');
    }
  };
}

/** The controller manager and scheduler of a cluster with the given profile. */
export function controlPlaneSpecs(version: string, controlPlane: string, openDebug: boolean): ComponentSpec[] {
  const healthPaths = ['/healthz', '/readyz', '/livez'];
  const alwaysAllow = openDebug ? [...healthPaths, '/metrics', '/configz', '/debug/pprof/cmdline'] : healthPaths;
  const allowFlag = `--authorization-always-allow-paths=${alwaysAllow.join(',')}`;
  return [
    {
      name: 'kube-controller-manager',
      version,
      alwaysAllow,
      configz: {
        componentconfig: {
          Generic: {
            Address: '0.0.0.0',
            ClientConnection: { Kubeconfig: '/etc/kubernetes/controller-manager.conf' },
            LeaderElection: { LeaderElect: true },
          },
          KubeCloudShared: { ClusterName: 'kubernetes', ClusterCIDR: '10.244.0.0/16', AllocateNodeCIDRs: true },
          CSRSigningController: {
            ClusterSigningCertFile: '/etc/kubernetes/pki/ca.crt',
            ClusterSigningKeyFile: '/etc/kubernetes/pki/ca.key',
          },
          SAController: {
            ServiceAccountKeyFile: '/etc/kubernetes/pki/sa.key',
            RootCAFile: '/etc/kubernetes/pki/ca.crt',
          },
        },
      },
      cmdline: [
        'kube-controller-manager',
        '--allocate-node-cidrs=true',
        '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
        `--bind-address=${openDebug ? '0.0.0.0' : controlPlane}`,
        allowFlag,
        '--client-ca-file=/etc/kubernetes/pki/ca.crt',
        '--cluster-cidr=10.244.0.0/16',
        '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt',
        '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key',
        '--kubeconfig=/etc/kubernetes/controller-manager.conf',
        '--root-ca-file=/etc/kubernetes/pki/ca.crt',
        '--service-account-private-key-file=/etc/kubernetes/pki/sa.key',
        '--use-service-account-credentials=true',
      ],
    },
    {
      name: 'kube-scheduler',
      version,
      alwaysAllow,
      configz: {
        componentconfig: {
          apiVersion: 'kubescheduler.config.k8s.io/v1',
          kind: 'KubeSchedulerConfiguration',
          clientConnection: { kubeconfig: '/etc/kubernetes/scheduler.conf' },
          leaderElection: { leaderElect: true },
          profiles: [{ schedulerName: 'default-scheduler' }],
        },
      },
      cmdline: [
        'kube-scheduler',
        '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
        '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
        `--bind-address=${openDebug ? '0.0.0.0' : controlPlane}`,
        allowFlag,
        '--kubeconfig=/etc/kubernetes/scheduler.conf',
        '--leader-elect=true',
      ],
    },
  ];
}
