import type { AnyHunter } from '../../core/hunter.js';

/** The pod hunters, passive and active. Add each new hunter here. */
export const podHunters: readonly AnyHunter[] = [];
