import { createHash } from 'node:crypto';
import type { Info } from 'kubernetes-types/version.js';

// Release facts for the versions the profiles use; any other version gets plausible values.
const BUILDS: Record<string, { commit: string; date: string; go: string }> = {
  'v1.16.0': { commit: '2bd9643cee5b3b3a5ecbd3af49d09018f0773c77', date: '2019-09-18T14:27:17Z', go: 'go1.12.9' },
  'v1.32.4': { commit: '59526cd4867447956156ae3a602fcbac5b7a5b8f', date: '2025-04-22T16:03:40Z', go: 'go1.23.6' },
};

const GO_BY_MINOR: [number, string][] = [
  [30, 'go1.22.5'],
  [27, 'go1.20.4'],
  [24, 'go1.18.1'],
  [20, 'go1.15.5'],
  [16, 'go1.12.9'],
  [0, 'go1.10.3'],
];

/** The minor version of a Kubernetes version string (`v1.16.0` → 16). */
export function minorOf(version: string): number {
  return Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 0);
}

/** What `GET /version` answers for a version. */
export function versionInfo(gitVersion: string): Info {
  const [, major = '1', minor = '0'] = /^v(\d+)\.(\d+)/.exec(gitVersion) ?? [];
  const known = BUILDS[gitVersion];
  return {
    major,
    minor,
    gitVersion,
    gitCommit: known?.commit ?? createHash('sha1').update(gitVersion).digest('hex'),
    gitTreeState: 'clean',
    buildDate: known?.date ?? '2024-01-17T13:38:41Z',
    goVersion: known?.go ?? GO_BY_MINOR.find(([m]) => Number(minor) >= m)![1],
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** The etcd version the simulation reports (the same as Debian's etcd-server). */
export const ETCD_VERSION = { etcdserver: '3.4.23', etcdcluster: '3.4.0' };
