import type { AnyHunter } from '../../core/hunter.js';
import { proxyActiveAccess } from './active-proxy.js';

/** The exposed hunters, passive and active. Add each new hunter here. */
export const exposedHunters: readonly AnyHunter[] = [proxyActiveAccess];
