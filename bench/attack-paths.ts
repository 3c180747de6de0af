// Attack paths on a large RBAC graph: 20,000 bindings, 5,000 roles, 2,000 service accounts.
// Run: node --import tsx bench/attack-paths.ts
// Prints the time to build the graph, compute every start's paths and rank the token Secrets, the peak
// heap, and the ratio against a reference measured in the same run (JSON round trip of the same facts,
// what merely reading them from a report costs). Goals: < 2 s and < 200 MB.
// Then the saving of one graph per server and reader: CALLERS callers (an identity's hunt, a recomputation,
// the secrets ranking) each asking for one start's paths, with a graph built per caller (as before) and with
// one shared graph (graph.paths(starts)); the same paths both ways.
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import { EscalationGraph, type PathFacts } from '../src/paths/graph.js';
import { serviceAccountWho } from '../src/paths/rbac.js';

const NAMESPACES = 100;
const ACCOUNTS = 2000;
const ROLES = 4000;
const CLUSTER_ROLES = 1000;
const ROLE_BINDINGS = 18000;
const CLUSTER_ROLE_BINDINGS = 2000;
const STARTS = 50;
const CALLERS = 10;

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

const RESOURCES = [
  'pods',
  'configmaps',
  'services',
  'deployments',
  'secrets',
  'pods/exec',
  'serviceaccounts/token',
  'jobs',
];
const VERBS = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
const GROUPS: Record<string, string> = { deployments: 'apps', jobs: 'batch' };

function rules(): PolicyRule[] {
  return Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
    const resource = random() < 0.9 ? pick(RESOURCES.filter((r) => r !== 'secrets')) : 'secrets';
    return { apiGroups: [GROUPS[resource] ?? ''], resources: [resource], verbs: [pick(VERBS), pick(VERBS)] };
  });
}

const RBAC = 'rbac.authorization.k8s.io';

/**
 * The rarer rules of the further steps, on one role in forty: namespaced bind (a named ClusterRole, or any),
 * escalate on Roles, impersonating named users, groups or anyone.
 */
function stepRules(i: number): PolicyRule[] {
  const named = `cluster-role-${1 + (i % (CLUSTER_ROLES - 1))}`;
  switch (Math.floor(i / 40) % 4) {
    case 0:
      return [
        { apiGroups: [RBAC], resources: ['rolebindings'], verbs: ['create'] },
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: [named] },
      ];
    case 1:
      return [{ apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate', 'update'] }];
    case 2:
      return [
        {
          apiGroups: [''],
          resources: ['users', 'groups'],
          verbs: ['impersonate'],
          resourceNames: [`user-${i % 20}`, `group-${i % 10}`],
        },
      ];
    default:
      return [{ apiGroups: [''], resources: ['users'], verbs: ['impersonate'] }];
  }
}

function facts(): PathFacts {
  const ns = Array.from({ length: NAMESPACES }, (_, i) => `team-${i}`);
  const serviceAccounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
    namespace: ns[i % NAMESPACES],
    name: `sa-${i}`,
  }));
  const roles = Array.from({ length: ROLES }, (_, i) => ({
    metadata: { name: `role-${i}`, namespace: ns[i % NAMESPACES] },
    rules: i % 40 === 7 ? [...rules(), ...stepRules(i)] : rules(),
  }));
  const clusterRoles = Array.from({ length: CLUSTER_ROLES }, (_, i) => ({
    metadata: { name: i === 0 ? 'cluster-admin' : `cluster-role-${i}` },
    rules:
      i === 0
        ? [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]
        : i % 40 === 9
          ? [...rules(), ...stepRules(i)]
          : rules(),
  }));
  const subject = () => {
    const sa = pick(serviceAccounts);
    return { kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name };
  };
  const roleBindings = Array.from({ length: ROLE_BINDINGS }, (_, i) => {
    const namespace = ns[i % NAMESPACES];
    const cluster = random() < 0.3;
    return {
      metadata: { name: `rb-${i}`, namespace },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: cluster ? 'ClusterRole' : 'Role',
        name: cluster
          ? `cluster-role-${1 + Math.floor(random() * (CLUSTER_ROLES - 1))}`
          : `role-${Math.floor(random() * (ROLES / NAMESPACES)) * NAMESPACES + (i % NAMESPACES)}`,
      },
      subjects: [subject(), subject()],
    };
  });
  const clusterRoleBindings = Array.from({ length: CLUSTER_ROLE_BINDINGS }, (_, i) => ({
    metadata: { name: `crb-${i}` },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      // A handful of accounts are cluster-admin, the rest hold ordinary cluster roles.
      name: i < 5 ? 'cluster-admin' : `cluster-role-${1 + Math.floor(random() * (CLUSTER_ROLES - 1))}`,
    },
    // Users and groups too, for impersonation to reach.
    subjects: [
      subject(),
      ...(i % 10 === 0
        ? [{ kind: i % 20 === 0 ? 'User' : 'Group', name: `${i % 20 === 0 ? 'user' : 'group'}-${(i / 10) % 20}` }]
        : []),
    ],
  }));
  const tokenSecrets = serviceAccounts.map((sa) => ({
    namespace: sa.namespace,
    name: `${sa.name}-token`,
    serviceAccount: sa.name,
  }));
  // Every pod mounts a plain Secret; one in ten the token Secret of its namespace's next account too.
  const pods = serviceAccounts.map((sa, i) => ({
    namespace: sa.namespace,
    name: `pod-${i}`,
    serviceAccount: sa.name,
    node: `node-${i % 50}`,
    hostAccess: i % 97 === 0,
    secrets: ['config', ...(i % 10 === 0 ? [`${serviceAccounts[(i + NAMESPACES) % ACCOUNTS].name}-token`] : [])],
  }));
  // A third of the namespaces enforce restricted.
  const namespaces = ns.map((name, i) => ({ name, ...(i % 3 === 0 && { podSecurity: 'restricted' }) }));
  const starts = [
    { name: 'anonymous', who: { user: 'system:anonymous', groups: ['system:unauthenticated'] } },
    ...serviceAccounts
      .slice(0, STARTS - 1)
      .map((sa) => ({ name: `found:${sa.namespace}/${sa.name}`, who: serviceAccountWho(sa.namespace, sa.name) })),
  ];
  return {
    rbac: { roles, clusterRoles, roleBindings, clusterRoleBindings } as PathFacts['rbac'],
    namespaces,
    serviceAccounts,
    tokenSecrets,
    pods,
    starts,
  };
}

let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sample, 5);

const input = facts();
global.gc?.();
const base = process.memoryUsage().heapUsed;

const refStart = performance.now();
const roundTrip = JSON.parse(JSON.stringify(input)) as PathFacts;
const reference = performance.now() - refStart;
void roundTrip;

peak = 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
const graph = new EscalationGraph(input);
sample();
const built = performance.now() - start;
const paths = graph.paths();
sample();
const ranked = graph.rankTokens();
sample();
const total = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
const toAdmin = paths.filter((p) => p.to === 'cluster-admin');
console.log(
  `facts: ${ROLE_BINDINGS + CLUSTER_ROLE_BINDINGS} bindings, ${ROLES + CLUSTER_ROLES} roles, ${ACCOUNTS} service accounts, ${input.starts.length} starts`,
);
console.log(
  `graph built in ${built.toFixed(0)} ms; paths and ranking of ${ranked.length} tokens in ${total.toFixed(0)} ms total (goal < 2000 ms)`,
);
// CPU time says what the work costs when the machine is shared (wall time then counts the waits too).
console.log(`cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (user and system, every thread of the process)`);
console.log(
  `${paths.length} paths, ${toAdmin.length} to cluster-admin, longest ${Math.max(0, ...paths.map((p) => p.steps.length))} steps`,
);
console.log(
  `peak heap ${mb(peak)} MB (of which ${mb(base)} MB the facts themselves; goal < 200 MB), rss ${mb(process.memoryUsage().rss)} MB`,
);
console.log(
  `reference (JSON round trip of the facts): ${reference.toFixed(0)} ms; ratio ${(total / reference).toFixed(2)}`,
);

// One graph per caller against one shared graph: the same starts, one caller each, and the ranking.
const callers = input.starts.slice(0, CALLERS);
let perCaller = performance.now();
const rebuilt = callers.map((s) => new EscalationGraph({ ...input, starts: [s] }).paths());
new EscalationGraph({ ...input, starts: [] }).rankTokens();
perCaller = performance.now() - perCaller;
let sharedMs = performance.now();
const once = new EscalationGraph({ ...input, starts: [] });
once.rankTokens();
const reused = callers.map((s) => once.paths([s]));
sharedMs = performance.now() - sharedMs;
const same = JSON.stringify(rebuilt) === JSON.stringify(reused);
console.log(
  `${CALLERS} callers and a ranking: a graph each ${perCaller.toFixed(0)} ms, one shared graph ${sharedMs.toFixed(0)} ms; ` +
    `ratio ${(sharedMs / perCaller).toFixed(2)}; ${same ? 'the same paths' : 'PATHS DIFFER'}`,
);
if (!same) process.exitCode = 1;
