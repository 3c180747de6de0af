import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EscalationGraph, type NetworkFact, type PathFacts, type PodFact } from '../../src/paths/graph.js';

// The unauthenticated network caller's steps (an open etcd, a kubelet that runs commands for anyone) on a
// small cluster of facts: what each reaches, and look-alikes that reach nothing.

const RBAC = 'rbac.authorization.k8s.io';
const ALL = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];

/** ops/admin is cluster-admin (its token Secret ops/admin-token), dev/app may do nothing. */
function facts(pods: PodFact[] = []): Omit<PathFacts, 'starts'> {
  return {
    rbac: {
      clusterRoles: [{ metadata: { name: 'cluster-admin' }, rules: ALL }],
      roles: [],
      clusterRoleBindings: [
        {
          metadata: { name: 'admin' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'admin', namespace: 'ops' }],
        },
      ],
      roleBindings: [],
    },
    serviceAccounts: [
      { namespace: 'ops', name: 'admin' },
      { namespace: 'dev', name: 'app' },
    ],
    tokenSecrets: [{ namespace: 'ops', name: 'admin-token', serviceAccount: 'admin' }],
    pods,
  };
}

/** The network start's paths as `goal: action → subject, …`. */
function paths(network: NetworkFact, pods: PodFact[] = []): string[] {
  const graph = new EscalationGraph({ ...facts(pods), starts: [] });
  return graph
    .paths([{ name: 'network', network }])
    .map((p) => `${p.to}: ${p.steps.map((s) => `${s.action} → ${s.subject}`).join(', ')}`)
    .sort();
}

const kubelet = (pods: PodFact[], node = 'n1') => ({ endpoint: '127.0.0.1:10250', node, pods, findings: ['e1'] });
const pod = (name: string, more: Partial<PodFact> = {}): PodFact => ({
  namespace: 'dev',
  name,
  serviceAccount: 'app',
  node: 'n1',
  hostAccess: false,
  ...more,
});

describe('attack paths from the network', () => {
  it('an open etcd: every Secret in one step, and the token Secrets among them', () => {
    assert.deepEqual(paths({ etcd: [{ endpoint: '127.0.0.1:2379', findings: ['e9'] }] }), [
      'cluster-admin: etcd-token → service account ops/admin, wildcard → cluster-admin',
      'every Secret: etcd-secrets → every Secret',
      'root on a node: etcd-token → service account ops/admin, create-pod-node → root on a node',
    ]);
    const graph = new EscalationGraph({ ...facts(), starts: [] });
    const [secrets] = graph.paths([
      { name: 'network', network: { etcd: [{ endpoint: '127.0.0.1:2379', findings: ['e9'] }] } },
    ]);
    assert.deepEqual(secrets.steps[0].findings, ['e9']);
  });

  it('a kubelet: the accounts of the pods it lists, root on its node through one that reaches the host', () => {
    assert.deepEqual(paths({ kubelets: [kubelet([pod('web'), pod('agent', { hostAccess: true })])] }), [
      'root on a node: kubelet-exec → root on node n1',
    ]);
    // A pod only the kubelet listed, running as the cluster-admin account.
    assert.deepEqual(paths({ kubelets: [kubelet([pod('ops-job', { namespace: 'ops', serviceAccount: 'admin' })])] }), [
      'cluster-admin: kubelet-exec → service account ops/admin, wildcard → cluster-admin',
      'every Secret: kubelet-exec → service account ops/admin, read-secrets → every Secret',
      'root on a node: kubelet-exec → service account ops/admin, create-pod-node → root on a node',
    ]);
  });

  it('a pod only the kubelet listed that mounts a token Secret: that token, through the pod', () => {
    const mounting = pod('backup', {
      namespace: 'ops',
      serviceAccount: 'default',
      tokenMounted: false,
      secrets: ['admin-token'],
    });
    assert.deepEqual(paths({ kubelets: [kubelet([mounting])] }), [
      'cluster-admin: kubelet-exec → pod ops/backup, mounted-secret → service account ops/admin, wildcard → cluster-admin',
      'every Secret: kubelet-exec → pod ops/backup, mounted-secret → service account ops/admin, read-secrets → every Secret',
      'root on a node: kubelet-exec → pod ops/backup, mounted-secret → service account ops/admin, create-pod-node → root on a node',
    ]);
  });

  it('the pods the facts place on the kubelet node count too, never those of another node', () => {
    const onN2 = pod('ops-job', { namespace: 'ops', serviceAccount: 'admin', node: 'n2' });
    assert.deepEqual(paths({ kubelets: [kubelet([], 'n1')] }, [onN2]), []);
    assert.deepEqual(paths({ kubelets: [kubelet([], 'n2')] }, [onN2]), [
      'cluster-admin: kubelet-exec → service account ops/admin, wildcard → cluster-admin',
      'every Secret: kubelet-exec → service account ops/admin, read-secrets → every Secret',
      'root on a node: kubelet-exec → service account ops/admin, create-pod-node → root on a node',
    ]);
  });

  it("a Dashboard without a login: the account its pods run as, never another pod's", () => {
    const dashboard = { dashboards: [{ endpoint: '127.0.0.1:30000', findings: ['e3'] }] };
    const running = pod('dash', { namespace: 'ops', serviceAccount: 'admin', dashboard: true });
    assert.deepEqual(paths(dashboard, [running, pod('web')]), [
      'cluster-admin: dashboard → service account ops/admin, wildcard → cluster-admin',
      'every Secret: dashboard → service account ops/admin, read-secrets → every Secret',
      'root on a node: dashboard → service account ops/admin, create-pod-node → root on a node',
    ]);
    // The decoy: the cluster-admin account's pod runs something else, the Dashboard runs as dev/app.
    const other = pod('ops-job', { namespace: 'ops', serviceAccount: 'admin' });
    assert.deepEqual(paths(dashboard, [other, pod('dash', { dashboard: true })]), []);
    assert.deepEqual(paths(dashboard, []), []);
  });

  it('decoys: no pod reaching the host, an unmounted token, nothing answering: nothing', () => {
    assert.deepEqual(paths({ kubelets: [kubelet([pod('web')])] }), []);
    const unmounted = pod('ops-job', { namespace: 'ops', serviceAccount: 'admin', tokenMounted: false });
    assert.deepEqual(paths({ kubelets: [kubelet([unmounted])] }), []);
    assert.deepEqual(paths({}), []);
    assert.deepEqual(paths({ etcd: [], kubelets: [] }), []);
  });

  it('added to a graph that already searched: the same paths as on a fresh graph', () => {
    const pods = [pod('shell', { hostAccess: true })];
    const network: NetworkFact = {
      kubelets: [kubelet(pods)],
      etcd: [{ endpoint: '127.0.0.1:2379', findings: ['e9'] }],
    };
    const graph = new EscalationGraph({ ...facts(pods), starts: [] });
    // Searches made first (another caller's start, the ranking), then the network start builds its kubelet's
    // hub: its edges and the start's must join what the searches walk.
    graph.paths([{ name: 'other', can: { '* *': true } }]);
    graph.rankTokens();
    const later = graph
      .paths([{ name: 'network', network }])
      .map((p) => `${p.to}: ${p.steps.map((x) => `${x.action} → ${x.subject}`).join(', ')}`)
      .sort();
    assert.deepEqual(later, paths(network, pods));
    assert.equal(later.length, 3);
  });
});
