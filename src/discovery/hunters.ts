import type { AnyHunter } from '../core/hunter.js';
import { fingerprintHunter } from './fingerprint/index.js';
import { learnedNodeScanHunter, nodeDiscoveryHunter } from './nodes.js';

/** Discovery stages that run as hunters (fingerprinting PortOpen into ServiceFound, vantage points). */
export const discoveryHunters: readonly AnyHunter[] = [fingerprintHunter, nodeDiscoveryHunter, learnedNodeScanHunter];
