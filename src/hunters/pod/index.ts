import type { AnyHunter } from '../../core/hunter.js';
import { podActiveSpoofing } from './active-spoofing.js';
import { podActiveTokenRules } from './active-token-rules.js';

/** The pod hunters, passive and active. Add each new hunter here. */
export const podHunters: readonly AnyHunter[] = [podActiveTokenRules, podActiveSpoofing];
