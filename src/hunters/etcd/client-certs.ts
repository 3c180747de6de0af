import { defineHunter } from '../../core/hunter.js';
import { EVIDENCE } from '../../discovery/fingerprint/classify.js';

/**
 * The defence opposite KF-ETCD-002: an etcd port that ended the TLS handshake because no client
 * certificate was offered. Discovery already saw it (no request is sent again); this reports it as the
 * defence it is, with what discovery saw.
 */
export const etcdClientCertsHunter = defineHunter({
  id: 'etcd-client-certs',
  title: 'etcd requiring client certificates',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'etcd' && s.evidence.some((e) => e.includes(EVIDENCE.CLIENT_CERT_REQUIRED)),
  reports: ['KF-ETCD-201'],
  async hunt(service, ctx) {
    ctx.report({
      host: service.host,
      port: service.port,
      kb: 'KF-ETCD-201',
      evidence: `a TLS handshake without a client certificate was refused: ${service.evidence.join('; ')}`,
    });
  },
});
