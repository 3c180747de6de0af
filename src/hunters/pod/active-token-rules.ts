import { defineHunter } from '../../core/hunter.js';
import { askApi, netFailure } from '../apiserver/api.js';
import { ownNamespace } from '../apiserver/credential-namespace.js';
import {
  describeRules,
  grantingRules,
  RULES_REVIEW_PATH,
  readRules,
  rulesReview,
  unanswered,
} from '../apiserver/rules.js';

/**
 * What the pod's own service-account token may do, asked of the API server with a
 * SelfSubjectRulesReview in the pod's namespace: an authorization question, not a blind write. A token
 * that may do more than review itself is a proof that compromising the pod is compromising that identity.
 */
export const podActiveTokenRules = defineHunter({
  id: 'pod-active-token-rules',
  title: "Lists what the pod's service-account token may do (SelfSubjectRulesReview)",
  mode: 'active',
  on: 'Credential',
  when: (c) => c.source === 'pod' && c.apiServer !== undefined,
  reports: ['KF-POD-101'],
  readOnlyRequests: [
    {
      method: 'POST',
      path: RULES_REVIEW_PATH,
      why: 'a review answers a question about the caller and is not stored',
    },
  ],
  changes: "asks the API server what the pod's token may do (SelfSubjectRulesReview; creates nothing)",
  async hunt(credential, ctx) {
    const server = credential.apiServer!;
    const namespace = ownNamespace(credential);
    const answer = await askApi(ctx, server, rulesReview(namespace, credential.secret)).catch((err: unknown) => {
      ctx.log(`SelfSubjectRulesReview as ${credential.name}: ${netFailure(err)}`);
      return undefined;
    });
    if (!answer) return;
    if (answer.kind !== 'ok') {
      ctx.log(`SelfSubjectRulesReview as ${credential.name}: ${unanswered(answer)}`);
      return;
    }
    const rules = readRules(namespace, answer.body);
    if (!rules || grantingRules(rules).length === 0) return;
    ctx.report({
      kb: 'KF-POD-101',
      host: server.host,
      port: server.port,
      path: RULES_REVIEW_PATH,
      identity: credential.name,
      evidence: `the pod's token (${credential.name}) may in namespace ${namespace}: ${describeRules(rules)}${rules.incomplete ? ' (the review is incomplete)' : ''}`,
      proof: true,
    });
  },
});
