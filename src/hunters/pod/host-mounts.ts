import { defineHunter } from '../../core/hunter.js';
import { hostMounts, type Mount, parseMountinfo, parseMounts } from './mounts.js';
import { podObject, readPodFile } from './pod-files.js';

/** The pod's mount table: mountinfo (which names the host directory), else /proc/self/mounts. */
export function readMountTable(ctx: Parameters<typeof readPodFile>[0]): { mounts: Mount[]; file: string } | undefined {
  const info = readPodFile(ctx, '/proc/self/mountinfo');
  if (info !== undefined) return { mounts: parseMountinfo(info), file: '/proc/self/mountinfo' };
  const plain = readPodFile(ctx, '/proc/self/mounts');
  return plain === undefined ? undefined : { mounts: parseMounts(plain), file: '/proc/self/mounts' };
}

function describe(m: Mount): string {
  const host =
    m.root === undefined
      ? `${m.source} (${m.fstype}, host directory unknown)`
      : `host ${m.root} (${m.fstype} on ${m.source})`;
  return `${host} is mounted writable at ${m.mountPoint}`;
}

/**
 * Writable hostPath-like mounts seen from inside the pod: pieces of the node's filesystem the pod can
 * write to, read from the pod's own mount table (nothing is written to find out).
 */
export const hostMountsHunter = defineHunter({
  id: 'pod-host-mounts',
  title: 'Host directories mounted writable in the pod',
  mode: 'passive',
  on: 'Credential',
  when: (c) => c.source === 'pod',
  subject: () => 'pod',
  reports: ['KF-POD-003'],
  async hunt(credential, ctx) {
    const table = readMountTable(ctx);
    if (!table) return;
    for (const m of hostMounts(table.mounts)) {
      ctx.report({
        kb: 'KF-POD-003',
        object: podObject(credential.name),
        path: m.mountPoint,
        evidence: `${describe(m)} (${table.file})`,
      });
    }
  },
});
