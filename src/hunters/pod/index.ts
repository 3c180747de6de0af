import type { AnyHunter } from '../../core/hunter.js';
import { podActiveSpoofing } from './active-spoofing.js';
import { podActiveTokenRules } from './active-token-rules.js';
import { netRawHunter } from './capabilities.js';
import { hostMountsHunter } from './host-mounts.js';
import { podTokenHunter } from './service-account-token.js';

/** The pod hunters, passive and active. Add each new hunter here. */
export const podHunters: readonly AnyHunter[] = [
  podTokenHunter,
  netRawHunter,
  hostMountsHunter,
  podActiveTokenRules,
  podActiveSpoofing,
];
