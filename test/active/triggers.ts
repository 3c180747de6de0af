import type { EventPayloads } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';

/**
 * False claims that every door is open, for the hardened lab: ApiAccess for the insecure port and for
 * anonymous callers on every API server discovery finds, and the passive findings active hunters follow up
 * on for every kubelet, etcd and kubectl proxy — although the passive hunters find them all shut. The
 * active hunters then try every door, and must prove nothing and change nothing. The triggers never probe:
 * what the active hunters prove, they prove themselves.
 */
export interface TriggerOptions {
  everyDoor?: boolean;
}

const KUBELET_FINDINGS = ['KF-KUBELET-001', 'KF-KUBELET-004', 'KF-KUBELET-006', 'KF-KUBELET-012', 'KF-KUBELET-014'];

export function labTriggers(options: TriggerOptions = {}): AnyHunter[] {
  const access = defineHunter({
    id: 'test-trigger-passive',
    title: 'the facts passive hunters would publish',
    mode: 'passive',
    on: 'ServiceFound',
    reports: [...KUBELET_FINDINGS, 'KF-ETCD-003', 'KF-PROXY-001'],
    async hunt(e, ctx) {
      const { host, port, scheme } = e;
      const finding = (kb: string) => ctx.report({ kb, host, port, evidence: 'trigger' });
      const api = (payload: Omit<EventPayloads['ApiAccess'], 'host' | 'port' | 'scheme' | 'can'>) =>
        ctx.publish('ApiAccess', { host, port, scheme, can: {}, ...payload });
      if (e.kind === 'apiserver' && scheme === 'http') api({ identity: 'insecure-port', via: 'insecure-port' });
      if (e.kind === 'apiserver' && scheme === 'https') api({ identity: 'anonymous', via: 'anonymous' });
      if (!options.everyDoor) return;
      if (e.kind === 'kubelet') for (const kb of KUBELET_FINDINGS) finding(kb);
      if (e.kind === 'etcd') finding('KF-ETCD-003');
      if (e.kind === 'kubectl-proxy') finding('KF-PROXY-001');
    },
  });
  return [access];
}
