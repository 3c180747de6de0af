import type { EventPayloads, Scheme, ServiceKind } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';

/**
 * Stand-ins for fingerprinting and the passive hunters while those are built elsewhere: they turn the
 * lab's ground truth (what listens where) into the facts active hunters follow up on — ServiceFound,
 * ApiAccess for the insecure port, anonymous callers and given tokens, and the passive findings of kubelets,
 * etcd and kubectl proxy. They never probe: everything the active hunters prove, they prove themselves
 * against the lab. Against the hardened lab they point the active hunters at every door anyway.
 */
export interface TriggerHost {
  address: string;
  services: { port: number; kind: ServiceKind; scheme: Scheme }[];
}

export interface TriggerOptions {
  /** Bearer tokens to publish as Credentials (source `token`), each tried on every API server. */
  tokens?: { name: string; token: string }[];
}

const KUBELET_FINDINGS = ['KF-KUBELET-001', 'KF-KUBELET-004', 'KF-KUBELET-006', 'KF-KUBELET-012', 'KF-KUBELET-014'];

export function labTriggers(hosts: TriggerHost[], options: TriggerOptions = {}): AnyHunter[] {
  const serviceAt = (host: string, port: number) =>
    hosts.find((h) => h.address === host)?.services.find((s) => s.port === port);
  const fingerprint = defineHunter({
    id: 'test-trigger-fingerprint',
    title: 'lab ground truth as ServiceFound',
    mode: 'passive',
    on: 'PortOpen',
    async hunt(e, ctx) {
      const s = serviceAt(e.host, e.port);
      if (s)
        ctx.publish('ServiceFound', { host: e.host, port: e.port, kind: s.kind, scheme: s.scheme, evidence: ['lab'] });
    },
  });
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
      if (e.kind === 'kubelet') for (const kb of KUBELET_FINDINGS) finding(kb);
      if (e.kind === 'etcd' && port === 2379) finding('KF-ETCD-003');
      if (e.kind === 'kubectl-proxy') finding('KF-PROXY-001');
    },
  });
  return [fingerprint, access];
}
