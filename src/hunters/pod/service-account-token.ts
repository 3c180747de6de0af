import { defineHunter } from '../../core/hunter.js';
import { endpointLabel } from '../apiserver/api.js';
import { podObject } from './pod-files.js';

/**
 * The pod's mounted service-account token and what it can do: reported when the API server accepts it
 * and it may do more than review its own access (a token that can do nothing is not worth stealing). The
 * access itself is found by the credential hunter; this one reads its ApiAccess.
 */
export const podTokenHunter = defineHunter({
  id: 'pod-service-account-token',
  title: "The pod's service-account token and what it may do",
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => a.via === 'credential' && a.identity.startsWith('pod:'),
  reports: ['KF-POD-001'],
  async hunt(access, ctx) {
    const name = access.credential ?? access.identity;
    const credential = ctx.known('Credential', (c) => c.name === name && c.source === 'pod')[0];
    if (!credential) return;
    const allowed = Object.entries(access.can)
      .filter(([, v]) => v)
      .map(([k]) => k);
    if (allowed.length === 0) return;
    ctx.report({
      kb: 'KF-POD-001',
      host: access.host,
      port: access.port,
      identity: name,
      object: podObject(name),
      evidence: `the mounted token of ${name} is accepted by ${endpointLabel(access)} and may ${allowed.join(', ')}`,
    });
  },
});
