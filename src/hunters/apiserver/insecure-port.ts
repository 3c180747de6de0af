import { defineHunter } from '../../core/hunter.js';
import { REVIEW_REQUESTS } from './access.js';
import { endpointLabel } from './api.js';
import { describeAccess, publishAccess, surveyOrWarn } from './report-access.js';

/**
 * The insecure port (KHV006): an API server on plain HTTP runs every request unauthenticated with full
 * rights. Asked like any identity, without credentials; a port that lists anything serves the API.
 */
export const insecurePortHunter = defineHunter({
  id: 'apiserver-insecure-port',
  title: 'API server insecure port: what plain HTTP without credentials reaches',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'apiserver' && s.scheme === 'http',
  reports: ['KF-API-001'],
  readOnlyRequests: REVIEW_REQUESTS,
  async hunt(service, ctx) {
    const target = { host: service.host, port: service.port, scheme: service.scheme };
    const survey = await surveyOrWarn(ctx, target, { identity: 'insecure-port', namespace: 'default' });
    if (!survey || survey.unauthenticated) return;
    const access = publishAccess(ctx, target, { identity: 'insecure-port', via: 'insecure-port' }, survey);
    if (Object.keys(survey.reads).length === 0) {
      ctx.log(`${endpointLabel(target)}: plain HTTP, but nothing could be listed without credentials`);
      return;
    }
    ctx.report(
      {
        kb: 'KF-API-001',
        host: target.host,
        port: target.port,
        identity: 'insecure-port',
        evidence: `plain HTTP without credentials: ${describeAccess(survey)}`,
      },
      [access.id],
    );
  },
});
