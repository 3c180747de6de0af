import type { AnyHunter } from '../core/hunter.js';
import { discoveryHunters } from '../discovery/hunters.js';
import { apiserverHunters } from './apiserver/index.js';
import { cloudHunters } from './cloud/index.js';
import { cveHunters } from './cve/index.js';
import { etcdHunters } from './etcd/index.js';
import { exposedHunters } from './exposed/index.js';
import { kubeletHunters } from './kubelet/index.js';
import { opsHunters } from './ops/index.js';
import { podHunters } from './pod/index.js';
import { tlsHunters } from './tls/index.js';

/**
 * Every hunter, registered in one place: each group lists its own in its folder's index.ts.
 * `kubeferret list` prints this list; the engine runs the passive ones always and the active ones only
 * with --active.
 */
export const HUNTERS: readonly AnyHunter[] = [
  ...discoveryHunters,
  ...apiserverHunters,
  ...kubeletHunters,
  ...etcdHunters,
  ...exposedHunters,
  ...tlsHunters,
  ...podHunters,
  ...cloudHunters,
  ...cveHunters,
  ...opsHunters,
];
