import type { Namespace, Pod, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';
import { namespaceFact, podFact } from '../../paths/facts.js';
import { type AttackPath, EscalationGraph, type PathFacts, type PathGoal, type StartFact } from '../../paths/graph.js';
import { ANONYMOUS, certificateWho, type RbacFacts, serviceAccountWho, type Who } from '../../paths/rbac.js';
import { type Asker, listRequest } from './access.js';
import { askerOf, followsUp } from './access-identity.js';
import { type ApiTarget, askApi, netFailure, readListing } from './api.js';
import { readAll, readEach, serverMinor } from './workloads.js';

const RBAC_API = '/apis/rbac.authorization.k8s.io/v1';
const GOAL_KB: Record<PathGoal, string> = {
  'cluster-admin': 'KF-PATH-001',
  'root on a node': 'KF-PATH-002',
  'every Secret': 'KF-PATH-003',
};
/** The findings that show a first step taken with the start's own rights, by step. */
const STEP_FINDINGS: Record<string, string[]> = {
  wildcard: ['KF-API-009'],
  'read-token': ['KF-API-008'],
  'read-secrets': ['KF-API-007'],
  'create-pod-as': ['KF-API-010'],
  'create-pod-node': ['KF-API-010'],
};
const SA_TOKEN = 'kubernetes.io/service-account-token';

/** An identity that may read what the graph is built from: RBAC objects everywhere. */
export const readsRbac = (a: KfEvent<'ApiAccess'>) =>
  a.can['list clusterroles'] === true && a.can['list roles'] === true;

/** Everything the graph needs, read with one identity; parts it may not read stay empty. */
export async function readFacts(ctx: HuntContext, target: ApiTarget, asker: Asker): Promise<Omit<PathFacts, 'starts'>> {
  const list = async <T>(api: string, resource: string, kind: string) =>
    ((await readAll(ctx, target, asker, { kind, resource, api }))?.items ?? []) as unknown as T[];
  const rbac: RbacFacts = {
    clusterRoles: await list(RBAC_API, 'clusterroles', 'ClusterRole'),
    clusterRoleBindings: await list(RBAC_API, 'clusterrolebindings', 'ClusterRoleBinding'),
    roles: await list(RBAC_API, 'roles', 'Role'),
    roleBindings: await list(RBAC_API, 'rolebindings', 'RoleBinding'),
  };
  const accounts = await list<ServiceAccount>('/api/v1', 'serviceaccounts', 'ServiceAccount');
  const accountMounts = new Map(
    accounts.map((a) => [`${a.metadata?.namespace}/${a.metadata?.name}`, a.automountServiceAccountToken]),
  );
  // Namespaces for their Pod Security labels: when they cannot be listed, creating a pod stays a way onto a node.
  const namespaces = await readAll(ctx, target, asker, { kind: 'Namespace', resource: 'namespaces', api: '/api/v1' });
  // Pods are many: each is reduced to what the graph needs as its page arrives.
  const pods: PathFacts['pods'] = [];
  await readEach(ctx, target, asker, { kind: 'Pod', resource: 'pods', api: '/api/v1' }, (item) => {
    const fact = podFact(item as unknown as Pod, accountMounts);
    if (fact) pods.push(fact);
  });
  // Secrets as a Table: names, types and annotations only, never a value.
  const tokenSecrets: PathFacts['tokenSecrets'] = [];
  let next: string | undefined;
  let pages = 0;
  do {
    const answer = await askApi(ctx, target, listRequest(asker, '/api/v1/secrets', next));
    const listing = answer.kind === 'ok' ? readListing(answer.body) : undefined;
    if (!listing) break;
    for (const o of listing.objects) {
      const account = o.annotations['kubernetes.io/service-account.name'];
      if (o.columns.Type === SA_TOKEN && account && o.namespace) {
        tokenSecrets.push({ namespace: o.namespace, name: o.name, serviceAccount: account });
      }
    }
    pages++;
    if (listing.continueToken !== undefined && listing.continueToken === next) break;
    next = listing.continueToken;
  } while (next && !ctx.signal.aborted);
  if (next) {
    ctx.gap({
      host: target.host,
      port: target.port,
      subject: `list secrets (${asker.identity})`,
      reason: ctx.signal.aborted ? 'deadline' : 'page-failed',
      detail: `${tokenSecrets.length} token Secrets in the first ${pages} pages; the rest not read`,
    });
  }
  return {
    rbac,
    namespaces: namespaces?.items.flatMap((n) => namespaceFact(n as unknown as Namespace) ?? []),
    podSecurityAdmission: podSecurityAdmission(await serverMinor(ctx, target, asker)),
    serviceAccounts: accounts.flatMap((s) =>
      typeof s.metadata?.name === 'string' && typeof s.metadata.namespace === 'string'
        ? [{ namespace: s.metadata.namespace, name: s.metadata.name }]
        : [],
    ),
    tokenSecrets,
    pods,
  };
}

/** Pod Security Admission enforces from 1.23 (beta, on by default); an unknown version is taken to have it. */
const podSecurityAdmission = (minor: number | undefined) => minor === undefined || minor >= 23;

/**
 * Who the API server takes a start for, when it can be told: anonymous, a service-account token's subject,
 * or a client certificate's subject (CN and O, as the x509 authenticator reads them: a kubelet's
 * `system:node:NAME` in `system:nodes`, an admin's `system:masters`). The server accepted the credential
 * (the access survey ran with it), so its subject is what it authenticates as.
 */
function whoOf(ctx: HuntContext, access: KfEvent<'ApiAccess'>): Who | undefined {
  if (access.via === 'anonymous') return ANONYMOUS;
  if (access.via !== 'credential') return undefined;
  const name = access.credential ?? access.identity;
  const credential = ctx.known('Credential', (c) => c.name === name)[0];
  const token = credential?.secret.token;
  if (!token) return credential?.secret.clientCert ? certificateWho(credential.secret.clientCert) : undefined;
  const subject = tokenSubject(token);
  return subject.namespace && subject.serviceAccount
    ? serviceAccountWho(subject.namespace, subject.serviceAccount)
    : undefined;
}

function startOf(ctx: HuntContext, access: KfEvent<'ApiAccess'>): StartFact {
  return { name: access.identity, who: whoOf(ctx, access), can: access.can };
}

/** `1. read-token → service account dev/ci-bot: get secrets … (finding …)`, one line per step. */
function describe(path: AttackPath): string {
  return path.steps
    .map(
      (s, i) =>
        `${i + 1}. ${s.action} → ${s.subject}: ${s.evidence}${s.findings.length > 0 ? ` [${s.findings.join(', ')}]` : ''}`,
    )
    .join('; ');
}

/**
 * Pods whose service account's token is mounted (automountServiceAccountToken not false) while that account
 * reaches cluster-admin, a node or every Secret: whoever gets into the pod (a bug in the app, exec) holds
 * it. One finding per pod, located as `namespace/Pod/name`, naming what the account can do and the way.
 */
function reportMountedTokens(
  ctx: HuntContext,
  target: ApiTarget,
  reader: KfEvent<'ApiAccess'>,
  graph: EscalationGraph,
): void {
  const reach = new Map<string, AttackPath[]>();
  const pathsOf = (namespace: string, account: string) => {
    const key = `${namespace}/${account}`;
    if (!reach.has(key)) reach.set(key, graph.accountPaths(namespace, account));
    return reach.get(key)!;
  };
  const tokenOf = new Map(graph.facts.tokenSecrets.map((t) => [`${t.namespace}/${t.name}`, t.serviceAccount]));
  const reaches = (paths: AttackPath[]) =>
    `which reaches ${paths.map((p) => `${p.to} in ${p.steps.length} ${p.steps.length === 1 ? 'step' : 'steps'}`).join(', ')} ` +
    `(computed from what ${reader.identity} read): ${describe(paths[0])}`;
  for (const pod of graph.facts.pods) {
    // Its own token (automounted), and token Secrets of any account it mounts as a volume or in env.
    const held: string[] = [];
    if (pod.tokenMounted !== false) {
      const paths = pathsOf(pod.namespace, pod.serviceAccount);
      if (paths.length > 0) {
        held.push(
          `mounts the token of service account ${pod.namespace}/${pod.serviceAccount} (automountServiceAccountToken not false), ${reaches(paths)}`,
        );
      }
    }
    for (const secret of pod.secrets ?? []) {
      const account = tokenOf.get(`${pod.namespace}/${secret}`);
      const paths = account ? pathsOf(pod.namespace, account) : [];
      if (paths.length > 0) {
        held.push(
          `mounts Secret ${pod.namespace}/${secret}, the token of service account ${pod.namespace}/${account}, ${reaches(paths)}`,
        );
      }
    }
    if (held.length === 0) continue;
    // A fact about the object, not the port (as every KF-WORKLOAD finding).
    ctx.report(
      {
        host: target.host,
        kb: 'KF-WORKLOAD-007',
        object: `${pod.namespace}/Pod/${pod.name}`,
        evidence: `pod ${pod.namespace}/${pod.name} ${held.join('; and ')}`,
      },
      [reader.id],
    );
  }
}

/**
 * Attack paths: for every identity the hunt has on an API server, the shortest chain of escalation steps to
 * cluster-admin, root on a node and every Secret, each a finding whose evidence numbers the steps. The graph
 * is built from what an identity that may list RBAC objects everywhere reads (RBAC, service accounts, pods,
 * token Secrets by name); paths are computed, never walked. Runs on every ApiAccess: a reader computes the
 * paths of every identity known by then, any later identity its own, so either order covers all.
 */
export const attackPathsHunter = defineHunter({
  id: 'apiserver-attack-paths',
  title: 'Attack paths from each identity to cluster-admin, a node and every Secret',
  mode: 'passive',
  on: 'ApiAccess',
  when: (a) => followsUp(a),
  reports: ['KF-PATH-001', 'KF-PATH-002', 'KF-PATH-003', 'KF-WORKLOAD-007'],
  async hunt(access: KfEvent<'ApiAccess'>, ctx) {
    const same = (a: KfEvent<'ApiAccess'>) => a.host === access.host && a.port === access.port && followsUp(a);
    const readers = ctx
      .known('ApiAccess', (a) => same(a) && readsRbac(a))
      .sort((a, b) => a.identity.localeCompare(b.identity));
    const reader = readsRbac(access) ? access : readers[0];
    if (!reader) return;
    const asker = askerOf(ctx, reader);
    if (!asker) return;
    const target = { host: access.host, port: access.port, scheme: access.scheme };
    const starts = reader === access ? ctx.known('ApiAccess', same) : [access];
    let facts: Omit<PathFacts, 'starts'>;
    try {
      facts = await readFacts(ctx, target, asker);
    } catch (err) {
      ctx.log(`reading RBAC as ${reader.identity}: ${netFailure(err)}`, 'warn');
      return;
    }
    if (!facts.namespaces) {
      ctx.gap({
        host: target.host,
        port: target.port,
        subject: `list namespaces (${reader.identity})`,
        reason: 'skipped',
        detail:
          'namespaces not readable: their Pod Security labels unknown, creating a pod is taken as reaching a node',
      });
    }
    const graph = new EscalationGraph({ ...facts, starts: starts.map((s) => startOf(ctx, s)) });
    // Pods that carry a powerful token: judged once per reader (the same finding from another reader is one).
    if (reader === access) reportMountedTokens(ctx, target, reader, graph);
    for (const path of graph.paths()) {
      const start = starts.find((s) => s.identity === path.from)!;
      const first = path.steps[0];
      const shown = ctx.known(
        'Finding',
        (f) =>
          f.identity === start.identity && f.host === start.host && (STEP_FINDINGS[first.action] ?? []).includes(f.kb),
      );
      const steps = path.steps.map((s, i) =>
        i === 0 ? { ...s, findings: [...new Set([...s.findings, ...shown.map((f) => f.id)])] } : s,
      );
      ctx.publish('AttackPath', { host: target.host, port: target.port, from: path.from, to: path.to, steps }, [
        start.id,
        reader.id,
        ...shown.map((f) => f.id),
      ]);
      ctx.report(
        {
          host: target.host,
          port: target.port,
          identity: start.identity,
          kb: GOAL_KB[path.to],
          object: `${path.from} → ${path.to}`,
          evidence: `${path.from} → ${path.to} in ${steps.length} ${steps.length === 1 ? 'step' : 'steps'} (computed from what ${reader.identity} read, not walked): ${describe({ ...path, steps })}`,
        },
        [start.id, reader.id, ...shown.map((f) => f.id)],
      );
    }
  },
});
