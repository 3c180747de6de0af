import type { AnyHunter } from '../../core/hunter.js';

/** The cve hunters, passive and active. Add each new hunter here. */
export const cveHunters: readonly AnyHunter[] = [];
