import type { AnyHunter } from '../../core/hunter.js';
import { proxyActiveAccess } from './active-proxy.js';
import { dashboardHunter } from './dashboard.js';
import { endpointHunters } from './endpoints.js';
import { kubectlProxyHunter } from './kubectl-proxy.js';

/** The exposed hunters, passive and active. Add each new hunter here. */
export const exposedHunters: readonly AnyHunter[] = [
  dashboardHunter,
  kubectlProxyHunter,
  ...endpointHunters,
  proxyActiveAccess,
];
