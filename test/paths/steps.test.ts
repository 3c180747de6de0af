import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { EscalationGraph } from '../../src/paths/graph.js';
import { ruleAllows } from '../../src/paths/rbac.js';

// Each escalation step from one rule, on a small cluster of facts: which goal it reaches, and that a
// look-alike rule that does not escalate reaches none.

const RBAC = 'rbac.authorization.k8s.io';

/** The actions of the path from a user holding `rules` (cluster-wide) to `goal`, or undefined. */
function path(rules: PolicyRule[], goal: string, namespaced = false): string[] | undefined {
  const graph = new EscalationGraph({
    rbac: {
      clusterRoles: [
        { metadata: { name: 'r' }, rules },
        { metadata: { name: 'cluster-admin' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
      ],
      roles: [],
      clusterRoleBindings: [
        ...(namespaced
          ? []
          : [
              {
                metadata: { name: 'b' },
                roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'r' },
                subjects: [{ kind: 'User', name: 'eve' }],
              },
            ]),
        {
          metadata: { name: 'ops' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', namespace: 'ops', name: 'operator' }],
        },
      ],
      roleBindings: namespaced
        ? [
            {
              metadata: { name: 'b', namespace: 'app' },
              roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'r' },
              subjects: [{ kind: 'User', name: 'eve' }],
            },
          ]
        : [],
    },
    serviceAccounts: [
      { namespace: 'ops', name: 'operator' },
      { namespace: 'app', name: 'web' },
    ],
    tokenSecrets: [{ namespace: 'ops', name: 'operator-token', serviceAccount: 'operator' }],
    pods: [{ namespace: 'app', name: 'web-1', serviceAccount: 'web', node: 'n1', hostAccess: false }],
    starts: [{ name: 'eve', who: { user: 'eve', groups: ['system:authenticated'] } }],
  });
  return graph
    .paths()
    .find((p) => p.to === goal)
    ?.steps.map((s) => s.action);
}

const rule = (verbs: string[], resources: string[], apiGroups = [''], resourceNames?: string[]): PolicyRule => ({
  verbs,
  resources,
  apiGroups,
  ...(resourceNames && { resourceNames }),
});

describe('escalation steps', () => {
  it('each known step reaches its goal', () => {
    assert.deepEqual(path([rule(['*'], ['*'], ['*'])], 'cluster-admin'), ['wildcard']);
    assert.deepEqual(path([rule(['get'], ['secrets'])], 'cluster-admin'), ['read-token', 'wildcard']);
    assert.deepEqual(path([rule(['create'], ['pods'])], 'cluster-admin'), ['create-pod-as', 'wildcard']);
    assert.deepEqual(path([rule(['create'], ['pods'])], 'root on a node'), ['create-pod-node']);
    assert.deepEqual(path([rule(['create'], ['serviceaccounts/token'])], 'cluster-admin'), [
      'token-request',
      'wildcard',
    ]);
    assert.deepEqual(path([rule(['patch'], ['deployments'], ['apps'])], 'cluster-admin'), [
      'workload-patch',
      'wildcard',
    ]);
    assert.deepEqual(
      path(
        [
          rule(['create'], ['clusterrolebindings'], [RBAC]),
          rule(['bind'], ['clusterroles'], [RBAC], ['cluster-admin']),
        ],
        'cluster-admin',
      ),
      ['bind'],
    );
    assert.deepEqual(path([rule(['escalate', 'update'], ['clusterroles'], [RBAC])], 'cluster-admin'), ['escalate']);
    assert.deepEqual(path([rule(['impersonate'], ['groups'])], 'cluster-admin'), ['impersonate']);
    assert.deepEqual(path([rule(['impersonate'], ['serviceaccounts'])], 'cluster-admin'), [
      'impersonate-sa',
      'wildcard',
    ]);
    assert.deepEqual(path([rule(['get'], ['nodes/proxy'])], 'root on a node'), ['nodes-proxy']);
    assert.deepEqual(
      path([rule(['get'], ['pods/exec'])], 'cluster-admin'),
      undefined,
      'the web pod runs as web, who holds nothing',
    );
    assert.deepEqual(
      path(
        [
          rule(['create'], ['certificatesigningrequests'], ['certificates.k8s.io']),
          rule(['update'], ['certificatesigningrequests/approval'], ['certificates.k8s.io']),
        ],
        'cluster-admin',
      ),
      ['csr-approve'],
    );
    assert.deepEqual(
      path([rule(['create'], ['mutatingwebhookconfigurations'], ['admissionregistration.k8s.io'])], 'every Secret'),
      ['webhook'],
    );
    assert.deepEqual(path([rule(['list'], ['secrets'])], 'every Secret'), ['read-secrets']);
  });

  it('look-alikes that do not escalate reach nothing', () => {
    assert.equal(path([rule(['create'], ['clusterrolebindings'], [RBAC])], 'cluster-admin'), undefined, 'no bind');
    assert.equal(
      path([rule(['bind'], ['clusterroles'], [RBAC], ['view'])], 'cluster-admin'),
      undefined,
      'bind on view',
    );
    assert.equal(
      path([rule(['escalate'], ['clusterroles'], [RBAC])], 'cluster-admin'),
      undefined,
      'escalate without update',
    );
    assert.equal(path([rule(['impersonate'], ['groups'], [''], ['developers'])], 'cluster-admin'), undefined);
    assert.equal(path([rule(['get'], ['pods', 'configmaps'])], 'root on a node'), undefined);
    assert.equal(
      path([rule(['get'], ['secrets'])], 'cluster-admin', true),
      undefined,
      'secrets of app only: no token there',
    );
    assert.equal(path([rule(['create'], ['pods'])], 'cluster-admin', true), undefined, 'pods in app run as web only');
  });
});

describe('RBAC rules', () => {
  it('match as the authorizer does: wildcards, subresources, resource names', () => {
    const ask = { verb: 'create', group: '', resource: 'pods/exec' };
    assert.equal(ruleAllows(rule(['create'], ['pods']), ask), false, 'pods does not cover pods/exec');
    assert.equal(ruleAllows(rule(['create'], ['*/exec']), ask), true);
    assert.equal(ruleAllows(rule(['*'], ['*']), ask), true);
    assert.equal(ruleAllows(rule(['create'], ['pods/exec'], ['apps']), ask), false, 'another group');
    assert.equal(
      ruleAllows(rule(['get'], ['secrets'], [''], ['one']), { verb: 'get', group: '', resource: 'secrets' }),
      false,
    );
    assert.equal(
      ruleAllows(rule(['get'], ['secrets'], [''], ['one']), {
        verb: 'get',
        group: '',
        resource: 'secrets',
        name: 'one',
      }),
      true,
    );
  });
});
