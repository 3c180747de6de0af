import type { AnyHunter } from '../../core/hunter.js';

/** The kubelet hunters, passive and active. Add each new hunter here. */
export const kubeletHunters: readonly AnyHunter[] = [];
