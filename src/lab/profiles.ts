import type { LabProfile } from './options.js';

/**
 * What each profile configures, as data. `vulnerable` is a cluster set up by someone who switched every
 * safety off; `default` is what a fresh kubeadm cluster exposes; `hardened` leaves nothing of medium
 * severity or above to find from the network.
 */
export interface ProfileSettings {
  /** The Kubernetes version every component reports. */
  version: string;
  apiserver: {
    /** The unauthenticated HTTP port 8080 (removed from Kubernetes in 1.20). */
    insecurePort: boolean;
    /** Anonymous requests are authenticated as system:anonymous (otherwise they get 401). */
    anonymous: boolean;
    /** system:anonymous is bound to cluster-admin. */
    anonymousClusterAdmin: boolean;
    /** The serving certificate's subject carries an e-mail address. */
    certEmail: boolean;
    /** `--allow-privileged`: false refuses new privileged containers (422 "disallowed by cluster policy"). */
    allowPrivileged: boolean;
  };
  kubelet: {
    anonymous: boolean;
    /** AlwaysAllow lets every authenticated (or anonymous) caller do everything; Webhook asks RBAC. */
    authorization: 'AlwaysAllow' | 'Webhook';
    /** The unauthenticated read-only HTTP port 10255. */
    readOnlyPort: boolean;
  };
  /** etcd without TLS or client authentication (otherwise TLS with required client certificates). */
  etcdOpen: boolean;
  /** Kubernetes dashboard on NodePort 30000 with --enable-skip-login, its service account cluster-admin. */
  dashboard: boolean;
  /** `kubectl proxy --address=0.0.0.0 --accept-hosts=.*` on 8001, as cluster-admin. */
  kubectlProxy: boolean;
  /** kube-proxy's metrics port 10249 bound to the node address (health 10256 is always there). */
  kubeProxyMetrics: boolean;
  /** controller-manager and scheduler serve /metrics and /configz to anonymous callers. */
  controlPlaneOpenDebug: boolean;
  /** A standalone cAdvisor on the first node's port 4194. */
  cadvisor: boolean;
  /** Risky workloads: a privileged pod, a pod mounting the host's /var/log, a secret-leaking config map. */
  riskyWorkloads: boolean;
}

const DEFAULT: ProfileSettings = {
  version: 'v1.32.4',
  apiserver: {
    insecurePort: false,
    anonymous: true,
    anonymousClusterAdmin: false,
    certEmail: false,
    allowPrivileged: true,
  },
  kubelet: { anonymous: false, authorization: 'Webhook', readOnlyPort: false },
  etcdOpen: false,
  dashboard: false,
  kubectlProxy: false,
  kubeProxyMetrics: false,
  controlPlaneOpenDebug: false,
  cadvisor: false,
  riskyWorkloads: false,
};

export const PROFILE_SETTINGS: Record<LabProfile, ProfileSettings> = {
  vulnerable: {
    version: 'v1.16.0',
    apiserver: {
      insecurePort: true,
      anonymous: true,
      anonymousClusterAdmin: true,
      certEmail: true,
      allowPrivileged: true,
    },
    kubelet: { anonymous: true, authorization: 'AlwaysAllow', readOnlyPort: true },
    etcdOpen: true,
    dashboard: true,
    kubectlProxy: true,
    kubeProxyMetrics: true,
    controlPlaneOpenDebug: true,
    cadvisor: true,
    riskyWorkloads: true,
  },
  default: DEFAULT,
  // What kubeadm leaves on, less anonymous access to the API server, and no new privileged containers.
  hardened: { ...DEFAULT, apiserver: { ...DEFAULT.apiserver, anonymous: false, allowPrivileged: false } },
};
