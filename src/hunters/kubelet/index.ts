import type { AnyHunter } from '../../core/hunter.js';
import { kubeletActiveContainerLogs, kubeletActiveSystemLogs } from './active-logs.js';
import { kubeletActiveRun } from './active-run.js';
import { kubeletActiveVarLogEscape } from './active-varlog.js';

/** The kubelet hunters, passive and active. Add each new hunter here. */
export const kubeletHunters: readonly AnyHunter[] = [
  kubeletActiveRun,
  kubeletActiveContainerLogs,
  kubeletActiveSystemLogs,
  kubeletActiveVarLogEscape,
];
