import { defineHunter } from '../../core/hunter.js';
import { READ_CHECKS, REVIEW_REQUESTS } from './access.js';
import {
  clusterWideMapping,
  describeAccess,
  describeReads,
  grantsAnything,
  publishAccess,
  reportRulesAndWrites,
  surveyOrWarn,
} from './report-access.js';

/**
 * Anonymous access on the secure port (KHV005, KHV007): what a caller without credentials reaches beyond
 * the health and version endpoints every cluster shows. A server that answers 401 to everything does not
 * authenticate anonymous callers at all and gets no ApiAccess.
 */
export const anonymousAccessHunter = defineHunter({
  id: 'apiserver-anonymous-access',
  title: 'API server secure port: what anonymous callers reach',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'apiserver' && s.scheme === 'https',
  reports: ['KF-API-002', 'KF-API-004', 'KF-API-006', 'KF-API-009', 'KF-API-010', 'KF-API-202'],
  readOnlyRequests: REVIEW_REQUESTS,
  async hunt(service, ctx) {
    const target = { host: service.host, port: service.port, scheme: service.scheme };
    const survey = await surveyOrWarn(ctx, target, { identity: 'anonymous', namespace: 'default' });
    if (!survey) return;
    if (survey.unauthenticated) {
      // A defence that held: the survey stops at the first 401, as every other request would get the same.
      ctx.report({
        host: target.host,
        port: target.port,
        path: READ_CHECKS[0].path,
        kb: 'KF-API-202',
        evidence: `GET ${READ_CHECKS[0].path} without credentials → 401 Unauthorized: the server does not authenticate callers without credentials`,
      });
      return;
    }
    const access = publishAccess(ctx, target, { identity: 'anonymous', via: 'anonymous' }, survey);
    if (!grantsAnything(survey)) return;
    const at = { host: target.host, port: target.port, identity: 'anonymous' };
    ctx.report({ ...at, kb: 'KF-API-002', evidence: `without credentials: ${describeAccess(survey)}` }, [access.id]);
    const mapping = clusterWideMapping(survey);
    if (mapping.length > 0) {
      ctx.report({ ...at, kb: 'KF-API-004', evidence: `without credentials, ${describeReads(survey, mapping)}` }, [
        access.id,
      ]);
    }
    reportRulesAndWrites(ctx, target, 'anonymous', survey, access);
  },
});
