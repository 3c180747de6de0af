import type { AnyHunter } from '../../core/hunter.js';
import { etcdAccessHunter } from './access.js';

/** The etcd hunters, passive and active. Add each new hunter here. */
export const etcdHunters: readonly AnyHunter[] = [etcdAccessHunter];
