import type { AnyHunter } from '../../core/hunter.js';

/** The apiserver hunters, passive and active. Add each new hunter here. */
export const apiserverHunters: readonly AnyHunter[] = [];
