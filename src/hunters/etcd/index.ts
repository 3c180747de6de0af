import type { AnyHunter } from '../../core/hunter.js';
import { etcdAccessHunter } from './access.js';
import { etcdActiveKeys } from './active-keys.js';
import { etcdClientCertsHunter } from './client-certs.js';
import { etcdTokensHunter } from './tokens.js';

/** The etcd hunters, passive and active. Add each new hunter here. */
export const etcdHunters: readonly AnyHunter[] = [
  etcdAccessHunter,
  etcdTokensHunter,
  etcdClientCertsHunter,
  etcdActiveKeys,
];
