import { defineHunter } from '../../core/hunter.js';
import { podObject, readPodFile } from './pod-files.js';

/** CAP_NET_RAW is bit 13 of the capability sets (linux/capability.h). */
export const CAP_NET_RAW = 13n;
/** Every capability up to CAP_CHECKPOINT_RESTORE (40): what a privileged container holds. */
const ALL_CAPABILITIES = (1n << 41n) - 1n;

/** The effective capability set (`CapEff` in /proc/self/status), or undefined when there is none. */
export function effectiveCapabilities(status: string): bigint | undefined {
  const hex = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(status)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

/**
 * CAP_NET_RAW in the container's effective capabilities (the capability kube-hunter's spoofing hunters
 * relied on), read from /proc/self/status. Whether ARP or DNS spoofing would work is the active
 * hunters' question; this one only reads the file.
 */
export const netRawHunter = defineHunter({
  id: 'pod-net-raw',
  title: 'Container holds CAP_NET_RAW',
  mode: 'passive',
  on: 'Credential',
  when: (c) => c.source === 'pod',
  subject: () => 'pod',
  reports: ['KF-POD-002'],
  async hunt(credential, ctx) {
    const status = readPodFile(ctx, '/proc/self/status');
    if (status === undefined) return;
    const caps = effectiveCapabilities(status);
    if (caps === undefined) {
      ctx.log('no CapEff line in /proc/self/status');
      return;
    }
    if ((caps & (1n << CAP_NET_RAW)) === 0n) return;
    const all =
      (caps & ALL_CAPABILITIES) === ALL_CAPABILITIES ? ', and every other capability (a privileged container)' : '';
    ctx.report({
      kb: 'KF-POD-002',
      object: podObject(credential.name),
      path: '/proc/self/status',
      evidence: `CapEff ${caps.toString(16).padStart(16, '0')} includes CAP_NET_RAW (bit 13)${all}`,
    });
  },
});
