import type { EventPayloads, ServiceKind } from '../../core/events.js';
import { POD_DIGEST, podDigestSink } from '../../kubernetes/pod-digest.js';
import { type Answer, answerOfHead, type Conversation, PATIENCE } from './conversation.js';
import * as sig from './signatures.js';

/** What fingerprinting decided about one port. */
export interface Verdict {
  kind: ServiceKind;
  version?: string;
  /** The component whose version this is, for the Version event (the CVE hunters' input). */
  component?: EventPayloads['Version']['component'];
  /** Why, in short phrases: the first is what decided the kind. */
  evidence: string[];
}

/**
 * Evidence phrases other hunters may rely on (they are stable; the rest of each evidence line is for
 * humans). A service whose evidence includes CLIENT_CERT_REQUIRED was classified without an HTTP
 * answer; ANONYMOUS marks an answer given to a request without credentials.
 */
export const EVIDENCE = {
  CLIENT_CERT_REQUIRED: 'TLS: client certificate required',
  ANONYMOUS: 'without credentials',
  INSECURE_PORT: 'plain HTTP without authentication',
} as const;

/** A request whose answer kubectl proxy refuses (exec and attach paths), harmless everywhere else. */
export const EXEC_PROBE_PATH = '/api/v1/namespaces/default/pods/kubeferret-probe/exec';

/** The start of the evidence of a port whose answers stopped before it could be told what it is. */
export const UNIDENTIFIED = 'unidentified (timed out)';

/** Which requests went unanswered, for evidence and coverage gaps. */
export function unansweredText(c: Conversation): string {
  const paths = c.unanswered.map((p) => `GET ${p}`).join(', ');
  return `${paths} went unanswered, also when asked again with ${PATIENCE}× the request deadline`;
}

/** The coverage line of a port whose JSON answers could not be read. */
export function unreadableText(c: Conversation): string {
  const paths = c.unreadable.map((p) => `GET ${p}`).join(', ');
  return `${paths} answered with JSON that could not be read (malformed, or nested deeper than 64 levels)`;
}

function said(a: Answer, what: string): string {
  return `GET ${a.path} → ${a.status}: ${what}`;
}

/** kubernetes_build_info's git_version in a component's /metrics, when it serves Prometheus text. */
function buildVersion(metrics: Answer | undefined): string | undefined {
  return metrics && sig.isExposition(metrics)
    ? sig.metricLabel(metrics, 'kubernetes_build_info', 'git_version')
    : undefined;
}

function certEvidence(c: Conversation): string[] {
  const names = sig.apiserverCertNames(c.cert?.sans ?? []);
  return names.length ? [`TLS certificate names ${names.join(', ')}`] : [];
}

/**
 * What only an API server shows (metrics-server, built on the same libraries, shows none of it): its
 * certificate's names, the legacy API's version list, health checks naming etcd.
 */
async function apiserverSigns(c: Conversation): Promise<string[]> {
  const signs = certEvidence(c);
  if (sig.commonName(c.cert?.subject) === 'kube-apiserver') signs.push('TLS certificate CN kube-apiserver');
  const api = await c.get('/api');
  if (sig.kindOf(api) === 'APIVersions') signs.push(said(api!, 'APIVersions'));
  else if (signs.length > 0 && sig.status(api)) {
    // Not a sign by itself (metrics-server answers Status too), but part of what was seen.
    signs.push(said(api!, `Status ${sig.status(api)!.code} (${sig.status(api)!.reason})`));
  }
  const health = await c.get('/healthz?verbose');
  if (sig.apiserverHealthChecks(health)) signs.push(said(health!, 'health checks list etcd and post-start hooks'));
  return signs;
}

type Rule = (c: Conversation) => Promise<Verdict | undefined>;

const etcd: Rule = async (c) => {
  const a = await c.get('/version');
  const v = sig.etcdVersion(a);
  if (!a || !v) return undefined;
  return {
    kind: 'etcd',
    version: v.server,
    component: 'etcd',
    evidence: [said(a, `etcd version JSON (etcdserver ${v.server}, etcdcluster ${v.cluster}) ${EVIDENCE.ANONYMOUS}`)],
  };
};

/** Kubernetes version JSON: the API server, kubectl proxy in front of one, or metrics-server. */
const versionEndpoint: Rule = async (c) => {
  let a = await c.get('/version');
  let viaLocalhost = false;
  if (c.scheme === 'http' && sig.plainForbidden(a)) {
    // kubectl proxy refuses every request whose Host is not localhost (its default --accept-hosts).
    const again = await c.get('/version', { host: 'localhost' });
    if (sig.kubernetesVersion(again)) {
      a = again;
      viaLocalhost = true;
    }
  }
  const v = sig.kubernetesVersion(a);
  if (!a || !v) return undefined;
  const shown = said(
    a,
    `Kubernetes version JSON (gitVersion ${v.gitVersion}${v.platform ? `, platform ${v.platform}` : ''})`,
  );
  if (v.major === '') {
    // metrics-server reports an empty major, but so does a Kubernetes built without version stamps
    // (gitVersion v0.0.0-master+…): the port is an API server if anything else it showed says so.
    const signs = await apiserverSigns(c);
    if (signs.length > 0) {
      return {
        kind: 'apiserver',
        version: v.gitVersion,
        component: 'kubernetes',
        evidence: [...signs, `${shown}, with an empty major: a build without version stamps`],
      };
    }
    return {
      kind: 'metrics',
      version: v.gitVersion,
      evidence: [`${shown}, with the empty major that metrics-server reports`],
    };
  }
  if (c.scheme === 'http') {
    const exec = await c.get(EXEC_PROBE_PATH, viaLocalhost ? { host: 'localhost' } : undefined);
    if (viaLocalhost || sig.plainForbidden(exec)) {
      const evidence = [
        viaLocalhost
          ? `GET /version → 403 "Forbidden" unless the Host header is localhost: kubectl proxy's --accept-hosts filter`
          : `GET ${EXEC_PROBE_PATH} → 403 "Forbidden" as plain text: kubectl proxy's filter of exec and attach paths`,
        shown,
      ];
      if (viaLocalhost && sig.plainForbidden(exec))
        evidence.push(`GET ${EXEC_PROBE_PATH} → 403 "Forbidden": its exec filter`);
      return { kind: 'kubectl-proxy', version: v.gitVersion, component: 'kubernetes', evidence };
    }
    return {
      kind: 'apiserver',
      version: v.gitVersion,
      component: 'kubernetes',
      evidence: [shown, `${EVIDENCE.INSECURE_PORT} (the API server's insecure port)`],
    };
  }
  const api = await c.get('/api');
  const more = sig.status(api) ? [said(api!, `Status ${sig.status(api)!.code} (${sig.status(api)!.reason})`)] : [];
  if (sig.kindOf(api) === 'APIVersions') more.push(said(api!, `APIVersions ${EVIDENCE.ANONYMOUS}`));
  return {
    kind: 'apiserver',
    version: v.gitVersion,
    component: 'kubernetes',
    evidence: [shown, ...more, ...certEvidence(c)],
  };
};

/**
 * kube-controller-manager and kube-scheduler are built on the same libraries and answer alike; when
 * nothing they said tells them apart, their default secure ports do.
 */
function componentByPort(c: Conversation, seen: string, version?: string): Verdict | undefined {
  const byPort: Record<number, ServiceKind> = { 10257: 'controller-manager', 10259: 'scheduler' };
  const kind = byPort[c.port];
  if (!kind) return undefined;
  const name = kind === 'scheduler' ? 'kube-scheduler' : 'kube-controller-manager';
  return {
    kind,
    version,
    evidence: [seen, `port ${c.port} is ${name}'s default secure port (the answers alone cannot tell the two apart)`],
  };
}

/**
 * Kubernetes `Status` errors without a readable /version: the API server with anonymous access off or
 * limited, or kube-controller-manager and kube-scheduler, whose secure ports share its libraries.
 */
const statusSpeaker: Rule = async (c) => {
  const version = await c.get('/version');
  const api = await c.get('/api');
  const metrics = await c.get('/metrics');
  const apiStatus = sig.status(api);
  const st = sig.status(version) ?? apiStatus ?? sig.status(metrics);
  const apiVersions = sig.kindOf(api) === 'APIVersions';
  if (!st && !apiVersions) return undefined;
  const first = [version, api, metrics].find((a) => sig.status(a)) ?? api!;
  const statusLine = sig.status(first)
    ? said(
        first,
        `Kubernetes Status (reason ${sig.status(first)!.reason || 'none'}): "${sig.status(first)!.message.slice(0, 120)}"`,
      )
    : said(api!, `APIVersions ${EVIDENCE.ANONYMOUS}`);
  if (apiVersions || st?.code === 401) {
    const why = apiVersions ? '' : ', as the API server answers when anonymous access is disabled';
    return { kind: 'apiserver', evidence: [`${statusLine}${why}`, ...certEvidence(c)] };
  }
  const health = await c.get('/healthz?verbose');
  if (sig.apiserverHealthChecks(health)) {
    return { kind: 'apiserver', evidence: [statusLine, said(health!, 'health checks list etcd and post-start hooks')] };
  }
  const certNames = certEvidence(c);
  if (certNames.length) return { kind: 'apiserver', evidence: [statusLine, ...certNames] };
  if (metrics && sig.isExposition(metrics)) {
    if (sig.hasMetric(metrics, 'scheduler_')) {
      return { kind: 'scheduler', evidence: [said(metrics, 'scheduler_* metrics'), statusLine] };
    }
    if (sig.hasMetric(metrics, 'node_collector_') || sig.hasMetric(metrics, 'garbagecollector_controller_')) {
      return { kind: 'controller-manager', evidence: [said(metrics, 'controller-manager metrics'), statusLine] };
    }
  }
  return (
    componentByPort(c, `${statusLine}: a Kubernetes component's secure port`) ?? {
      kind: 'unknown',
      evidence: [`${statusLine}: a Kubernetes component, but not one the answers identify`],
    }
  );
};

const kubelet: Rule = async (c) => {
  // Streamed and digested as the kubelet hunters read it, so the list is sent once between discovery and them.
  const read = await c.stream('/pods', podDigestSink, POD_DIGEST);
  if (!read) return undefined;
  const pods = answerOfHead('/pods', read, read.value.excerpt);
  let evidence: string;
  if (read.status === 200 && read.value.podList) {
    const counted = `${read.value.count} pods${read.cut ? ` read before the list was cut (${read.cut})` : ''}`;
    evidence = said(pods, `PodList (${counted}) ${EVIDENCE.ANONYMOUS}`);
  } else if (sig.kubeletForbidden(pods)) {
    evidence = said(pods, `"${pods.text.trim()}", the kubelet's authorization refusal`);
  } else if (c.scheme === 'https' && sig.plainUnauthorized(pods) && sig.plainUnauthorized(await c.get('/healthz'))) {
    evidence = said(
      pods,
      '"Unauthorized" as plain text on every path, as the kubelet answers with anonymous auth disabled',
    );
  } else return undefined;
  const kind: ServiceKind = c.scheme === 'http' ? 'kubelet-readonly' : 'kubelet';
  const out: Verdict = { kind, evidence: [evidence] };
  if (kind === 'kubelet-readonly') out.evidence.push(`${EVIDENCE.INSECURE_PORT} (the kubelet's read-only port)`);
  const metrics = await c.get('/metrics');
  const version = buildVersion(metrics);
  if (version) {
    out.version = version;
    out.component = 'kubelet';
    out.evidence.push(said(metrics!, `kubernetes_build_info git_version ${version}`));
  }
  return out;
};

const kubeProxy: Rule = async (c) => {
  const health = await c.get('/healthz');
  if (health && sig.kubeProxyHealth(health)) {
    return { kind: 'kube-proxy', evidence: [said(health, 'kube-proxy health JSON (lastUpdated, currentTime)')] };
  }
  const modeAnswer = await c.get('/proxyMode');
  const mode = sig.proxyMode(modeAnswer);
  if (!mode) return undefined;
  const out: Verdict = { kind: 'kube-proxy', evidence: [said(modeAnswer!, `proxy mode "${mode}"`)] };
  const version = buildVersion(await c.get('/metrics'));
  if (version) out.version = version;
  return out;
};

const dashboard: Rule = async (c) => {
  const root = await c.get('/');
  const title = sig.htmlTitle(root);
  const login = await c.get('/api/v1/login/status');
  if (sig.dashboardLoginStatus(login)) {
    return {
      kind: 'dashboard',
      evidence: [
        said(login!, 'Kubernetes Dashboard login status JSON'),
        ...(title ? [said(root!, `page title "${title}"`)] : []),
      ],
    };
  }
  if (title === 'Kubernetes Dashboard') return { kind: 'dashboard', evidence: [said(root!, `page title "${title}"`)] };
  return undefined;
};

const argocd: Rule = async (c) => {
  const a = await c.get('/api/version');
  const version = sig.argoVersion(a);
  if (version) return { kind: 'argocd', version, evidence: [said(a!, `Argo CD version JSON (Version ${version})`)] };
  const root = await c.get('/');
  if (sig.htmlTitle(root) === 'Argo CD') return { kind: 'argocd', evidence: [said(root!, 'page title "Argo CD"')] };
  return undefined;
};

const grafana: Rule = async (c) => {
  const a = await c.get('/api/health');
  const version = sig.grafanaHealth(a);
  return version
    ? { kind: 'grafana', version, evidence: [said(a!, `Grafana health JSON (version ${version})`)] }
    : undefined;
};

const loki: Rule = async (c) => {
  const a = await c.get('/loki/api/v1/status/buildinfo');
  const version = sig.lokiBuildInfo(a);
  return version ? { kind: 'loki', version, evidence: [said(a!, `Loki build info (version ${version})`)] } : undefined;
};

const prometheus: Rule = async (c) => {
  const a = await c.get('/api/v1/status/buildinfo');
  const version = sig.prometheusBuildInfo(a);
  if (version)
    return { kind: 'prometheus', version, evidence: [said(a!, `Prometheus build info (version ${version})`)] };
  const healthy = await c.get('/-/healthy');
  if (sig.prometheusHealthy(healthy)) {
    return { kind: 'prometheus', evidence: [said(healthy!, `"${healthy!.text.trim()}"`)] };
  }
  return undefined;
};

/** Build-info metrics that name an exporter, and the label carrying its version. */
const BUILD_INFO: ReadonlyArray<[metric: string, label: string, kind: ServiceKind]> = [
  ['cadvisor_version_info', 'cadvisorVersion', 'cadvisor'],
  ['node_exporter_build_info', 'version', 'node-exporter'],
];

/** Exporters and other /metrics endpoints, told apart by the metrics they carry. */
const metricsEndpoint: Rule = async (c) => {
  const m = await c.get('/metrics');
  if (!m || !sig.isExposition(m)) {
    const containers = await c.get('/containers/');
    const title = sig.htmlTitle(containers);
    return title?.startsWith('cAdvisor')
      ? { kind: 'cadvisor', evidence: [said(containers!, `page title "${title}"`)] }
      : undefined;
  }
  for (const [metric, label, kind] of BUILD_INFO) {
    const version = sig.metricLabel(m, metric, label);
    if (version !== undefined) return { kind, version, evidence: [said(m, `${metric} (${label} ${version})`)] };
  }
  if (sig.hasMetric(m, 'kubeproxy_')) return { kind: 'kube-proxy', evidence: [said(m, 'kubeproxy_* metrics')] };
  if (sig.hasMetric(m, 'scheduler_schedule_attempts'))
    return { kind: 'scheduler', evidence: [said(m, 'scheduler_* metrics')] };
  if (sig.hasMetric(m, 'node_collector_'))
    return { kind: 'controller-manager', evidence: [said(m, 'node_collector_* metrics')] };
  const version = sig.metricLabel(m, 'kubernetes_build_info', 'git_version');
  const component =
    version &&
    componentByPort(c, said(m, `a Kubernetes component's metrics (kubernetes_build_info ${version})`), version);
  if (component) return component;
  return {
    kind: 'metrics',
    version,
    evidence: [
      said(m, `Prometheus metrics ${EVIDENCE.ANONYMOUS}${version ? ` (kubernetes_build_info ${version})` : ''}`),
    ],
  };
};

/** Most specific first: each rule only claims a port on an answer no other kind gives. */
const RULES: readonly Rule[] = [
  etcd,
  versionEndpoint,
  kubelet,
  statusSpeaker,
  kubeProxy,
  dashboard,
  argocd,
  grafana,
  loki,
  prometheus,
  metricsEndpoint,
];

/** Classifies a port that answered HTTP(S). */
export async function classifyHttp(c: Conversation): Promise<Verdict> {
  for (const rule of RULES) {
    const verdict = await rule(c);
    if (verdict) return verdict;
  }
  const root = (await c.get('/')) ?? (await c.get('/version'));
  const what = root
    ? said(root, `${root.contentType || 'no content type'}${root.server ? `, Server: ${root.server}` : ''}`)
    : 'answers HTTP';
  // Silence is not an answer: what went unanswered might have told, so nothing is concluded from it.
  if (c.unanswered.length > 0) {
    return { kind: 'unknown', evidence: [`${UNIDENTIFIED}: ${unansweredText(c)}`, what] };
  }
  return { kind: 'unknown', evidence: [`${what}: no Kubernetes or ecosystem component answers like this`] };
}

/** Classifies a TLS port that refused the handshake without a client certificate, from what it showed. */
export function classifyClientCertOnly(c: Conversation): Verdict {
  const sans = c.cert?.sans ?? [];
  const names = [c.cert?.subject ?? '', c.cert?.issuer ?? '', ...sans].join(' ');
  const evidence = [`${EVIDENCE.CLIENT_CERT_REQUIRED} (${c.silenceDetail})`];
  if (/etcd/i.test(names)) {
    return {
      kind: 'etcd',
      evidence: [...evidence, `TLS certificate names etcd (${c.cert?.subject || c.cert?.issuer})`],
    };
  }
  const apiNames = certEvidence(c);
  if (apiNames.length) return { kind: 'apiserver', evidence: [...evidence, ...apiNames] };
  const byPort: Record<number, [ServiceKind, string]> = {
    2379: ['etcd', "etcd's client port"],
    2380: ['etcd', "etcd's peer port"],
    10250: ['kubelet', "the kubelet's port"],
  };
  const guess = byPort[c.port];
  if (guess)
    return { kind: guess[0], evidence: [...evidence, `port ${c.port} is ${guess[1]}; nothing else could be seen`] };
  return { kind: 'unknown', evidence };
}
