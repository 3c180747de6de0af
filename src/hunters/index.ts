import type { AnyHunter } from '../core/hunter.js';

/**
 * Every hunter, registered in one place. `kubeferret list` prints this list; the engine runs the passive
 * ones always and the active ones only with --active.
 */
export const HUNTERS: readonly AnyHunter[] = [];
