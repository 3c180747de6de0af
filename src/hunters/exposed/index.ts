import type { AnyHunter } from '../../core/hunter.js';

/** The exposed hunters, passive and active. Add each new hunter here. */
export const exposedHunters: readonly AnyHunter[] = [];
