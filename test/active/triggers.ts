import type { EventPayloads } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';

/**
 * Stand-ins for the facts the passive API server hunters publish while those are built elsewhere: ApiAccess
 * for the insecure port, for anonymous callers and for given tokens, on every API server discovery finds.
 * They never probe: what the active hunters prove, they prove themselves. With `everyDoor` they also claim
 * every kubelet, etcd and kubectl proxy open (the passive findings active hunters follow up on), so
 * against the hardened lab the active hunters try every door.
 */
export interface TriggerOptions {
  /** Bearer tokens to publish as Credentials (source `token`), each tried on every API server. */
  tokens?: { name: string; token: string }[];
  everyDoor?: boolean;
}

const KUBELET_FINDINGS = ['KF-KUBELET-001', 'KF-KUBELET-004', 'KF-KUBELET-006', 'KF-KUBELET-012', 'KF-KUBELET-014'];

export function labTriggers(options: TriggerOptions = {}): AnyHunter[] {
  const access = defineHunter({
    id: 'test-trigger-passive',
    title: 'the facts passive hunters would publish',
    mode: 'passive',
    on: 'ServiceFound',
    async hunt(e, ctx) {
      const { host, port, scheme } = e;
      const finding = (kb: string) => ctx.report({ kb, host, port, evidence: 'trigger' });
      const api = (payload: Omit<EventPayloads['ApiAccess'], 'host' | 'port' | 'scheme' | 'can'>) =>
        ctx.publish('ApiAccess', { host, port, scheme, can: {}, ...payload });
      if (e.kind === 'apiserver' && scheme === 'http') api({ identity: 'insecure-port', via: 'insecure-port' });
      if (e.kind === 'apiserver' && scheme === 'https') {
        api({ identity: 'anonymous', via: 'anonymous' });
        for (const t of options.tokens ?? []) {
          ctx.publish('Credential', {
            name: t.name,
            source: 'token',
            apiServer: { host, port, scheme },
            secret: { token: t.token },
          });
          api({ identity: t.name, via: 'credential', credential: t.name });
        }
      }
      if (!options.everyDoor) return;
      if (e.kind === 'kubelet') for (const kb of KUBELET_FINDINGS) finding(kb);
      if (e.kind === 'etcd') finding('KF-ETCD-003');
      if (e.kind === 'kubectl-proxy') finding('KF-PROXY-001');
    },
  });
  return [access];
}
