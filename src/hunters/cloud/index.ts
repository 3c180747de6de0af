import type { AnyHunter } from '../../core/hunter.js';

/** The cloud hunters, passive and active. Add each new hunter here. */
export const cloudHunters: readonly AnyHunter[] = [];
