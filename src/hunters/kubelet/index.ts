import type { AnyHunter } from '../../core/hunter.js';
import { kubeletAccessHunter } from './access.js';
import { kubeletActiveContainerLogs, kubeletActiveSystemLogs } from './active-logs.js';
import { kubeletActiveRun } from './active-run.js';
import { kubeletActiveVarLogEscape } from './active-varlog.js';
import { kubeletDebugHandlersHunter } from './debug-handlers.js';
import { kubeletPodSpecsHunter } from './pod-specs.js';

/** The kubelet hunters, passive and active. Add each new hunter here. */
export const kubeletHunters: readonly AnyHunter[] = [
  kubeletAccessHunter,
  kubeletPodSpecsHunter,
  kubeletDebugHandlersHunter,
  kubeletActiveRun,
  kubeletActiveContainerLogs,
  kubeletActiveSystemLogs,
  kubeletActiveVarLogEscape,
];
