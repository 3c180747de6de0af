import { defineHunter } from '../../core/hunter.js';
import { hostPort } from '../../net/scope.js';

/** Where kube-apiserver served its insecure port unless told otherwise (`--insecure-port`). */
const INSECURE_PORT = 8080;

/**
 * The defence opposite KF-API-001: next to an API server's secure port, is the legacy insecure port shut?
 * One TCP connect to 8080 on the same host decides. An open 8080 is left to discovery and the insecure-port
 * hunter (it may be the API or any other web server); a connect that goes unanswered is a coverage gap,
 * since a firewall that drops it and a server too slow to accept look the same.
 */
export const insecurePortClosedHunter = defineHunter({
  id: 'apiserver-insecure-port-closed',
  title: 'API server insecure port closed',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'apiserver' && s.scheme === 'https' && s.port !== INSECURE_PORT,
  // One per host: two secure ports on one host share one insecure port.
  subject: (s) => s.host,
  reports: ['KF-API-203'],
  async hunt(service, ctx) {
    const state = await ctx.net.tcp(service.host, INSECURE_PORT);
    const where = hostPort(service.host, INSECURE_PORT);
    if (state === 'closed') {
      ctx.report({
        host: service.host,
        port: INSECURE_PORT,
        kb: 'KF-API-203',
        evidence: `TCP connect to ${where} refused, on the host of the API server's secure port ${service.port}`,
      });
    } else if (state === 'filtered') {
      ctx.gap({
        host: service.host,
        port: INSECURE_PORT,
        subject: `port ${INSECURE_PORT} (insecure port)`,
        reason: 'unanswered',
        detail: `TCP connect to ${where} got no answer: whether the insecure port is shut could not be told`,
      });
    }
  },
});
