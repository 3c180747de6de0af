import type { AnyHunter } from '../core/hunter.js';

/** Discovery stages that run as hunters (fingerprinting PortOpen into ServiceFound, vantage points). */
export const discoveryHunters: readonly AnyHunter[] = [];
