import type { AnyHunter } from '../../core/hunter.js';
import { kubeProxyIpvsHunter, kubeProxyIpvsSettledHunter } from './kube-proxy-mode.js';

/**
 * The operational-risk hunters of their own. Most ops checks (checks.ts, dns.ts) run inside
 * apiserver-workloads on the reads it makes, and in `kubeferret check`; these probe a component directly.
 */
export const opsHunters: readonly AnyHunter[] = [kubeProxyIpvsHunter, kubeProxyIpvsSettledHunter];
