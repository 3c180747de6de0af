import type { AnyHunter } from '../../core/hunter.js';

/** The etcd hunters, passive and active. Add each new hunter here. */
export const etcdHunters: readonly AnyHunter[] = [];
