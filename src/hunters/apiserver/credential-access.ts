import { defineHunter } from '../../core/hunter.js';
import { REVIEW_REQUESTS, surveyAccess } from './access.js';
import { endpointLabel } from './api.js';
import { ownNamespace } from './credential-namespace.js';
import {
  clusterWideMapping,
  describeReads,
  publishAccess,
  reportRulesAndWrites,
  surveyOrWarn,
} from './report-access.js';
import { authenticatedUser, claimUser, WHOAMI_REQUESTS } from './whoami.js';

/**
 * What each credential can do on its API server (KHV005 family): the same reads and reviews as for
 * anonymous callers, presented with the credential. Credentials without an API server are bound to the
 * ones found first (bind-credentials.ts).
 */
export const credentialAccessHunter = defineHunter({
  id: 'apiserver-credential-access',
  title: 'What each credential can read and do on its API server',
  mode: 'passive',
  on: 'Credential',
  // An identity obtained a second way (sameAs) is the same user: asked once, under its first name.
  when: (c) => c.apiServer !== undefined && c.sameAs === undefined,
  reports: ['KF-API-005', 'KF-API-006', 'KF-API-009', 'KF-API-010'],
  readOnlyRequests: [...REVIEW_REQUESTS, ...WHOAMI_REQUESTS],
  async hunt(credential, ctx) {
    const target = credential.apiServer!;
    const identity = credential.name;
    // Two ways to the same user (a kubeconfig user and a token file of one service account) are one
    // identity: the server says who each is, and the first found to be that user is the one surveyed.
    const who = await authenticatedUser(ctx, target, credential.secret);
    const same = await claimUser(ctx, credential, target, who);
    if (who && same) {
      ctx.log(`${identity} is ${who.user} (${who.source}), as ${same} is: surveyed once, as ${same}`, 'debug');
      return;
    }
    const asker = { identity, credential: credential.secret, namespace: ownNamespace(credential) };
    const first = await surveyAccess(ctx, target, asker);
    if (first.untrusted) {
      // The hunt goes on without this identity here; the report keeps why, as a coverage gap.
      const who = credential.source === 'kubeconfig' ? `context "${identity}"` : identity;
      ctx.log(`${who}: ${first.failed}`, 'warn');
      ctx.gap(
        {
          host: target.host,
          port: target.port,
          subject: `what ${identity} can do`,
          reason: 'error',
          detail: `not hunted with ${identity}: ${first.failed}`,
        },
        [credential.id],
      );
      return;
    }
    const survey = await surveyOrWarn(ctx, target, asker, first);
    if (!survey) return;
    if (survey.unauthenticated) {
      // A token found in a Secret may be stale; one the user gave should work, and they want to know.
      ctx.log(
        `${endpointLabel(target)} does not accept the credential ${identity} (401 Unauthorized)`,
        credential.source === 'found' ? 'debug' : 'warn',
      );
      return;
    }
    const access = publishAccess(ctx, target, { identity, via: 'credential', credential: identity }, survey);
    const mapping = clusterWideMapping(survey);
    if (mapping.length > 0) {
      ctx.report(
        {
          kb: 'KF-API-005',
          host: target.host,
          port: target.port,
          identity,
          evidence: `${identity} ${describeReads(survey, mapping)} across all namespaces`,
        },
        [access.id],
      );
    }
    reportRulesAndWrites(ctx, target, identity, survey, access);
  },
});
