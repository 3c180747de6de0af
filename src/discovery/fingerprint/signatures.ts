import type { Answer } from './conversation.js';

// Readers of the wire formats the components really send. Each takes an Answer and says whether (and
// what) it shows; the rules combine them.

type Json = Record<string, unknown>;

export function object(value: unknown): Json | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `k8s.io/apimachinery/pkg/version.Info`, served by the API server (and kubectl proxy) at /version. */
export function kubernetesVersion(
  a: Answer | undefined,
): { gitVersion: string; major: string; platform?: string } | undefined {
  const j = object(a?.json);
  if (a?.status !== 200 || !j) return undefined;
  const gitVersion = str(j.gitVersion);
  const major = str(j.major);
  if (gitVersion === undefined || major === undefined || str(j.minor) === undefined) return undefined;
  if (!('platform' in j) && !('goVersion' in j) && !('gitCommit' in j)) return undefined;
  return { gitVersion, major, platform: str(j.platform) };
}

/** etcd's /version: `{"etcdserver":"3.4.30","etcdcluster":"3.4.0"}`. */
export function etcdVersion(a: Answer | undefined): { server: string; cluster: string } | undefined {
  const j = object(a?.json);
  const server = str(j?.etcdserver);
  const cluster = str(j?.etcdcluster);
  return a?.status === 200 && server !== undefined && cluster !== undefined ? { server, cluster } : undefined;
}

/** A Kubernetes `Status` object, as the API server and the components built on its libraries answer errors. */
export function status(a: Answer | undefined): { code: number; reason: string; message: string } | undefined {
  const j = object(a?.json);
  if (j?.kind !== 'Status' || typeof j.code !== 'number') return undefined;
  return { code: j.code, reason: str(j.reason) ?? '', message: str(j.message) ?? '' };
}

export function kindOf(a: Answer | undefined): string | undefined {
  const j = object(a?.json);
  if (j) return str(j.kind);
  // A PodList cut at the size cap still names its kind near the start.
  if (a?.truncated) return /^\s*\{\s*"kind"\s*:\s*"([A-Za-z]+)"/.exec(a.text)?.[1];
  return undefined;
}

/** The kubelet's authorization refusal: `Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)`. */
export function kubeletForbidden(a: Answer | undefined): boolean {
  return (
    a?.status === 403 &&
    /^Forbidden \(user=[^,]*, verb=[a-z]+, resource=nodes, subresource=[a-z]+\)/.test(a.text.trim())
  );
}

/** The kubelet's authentication refusal: a bare `Unauthorized` as text (the API server answers a Status). */
export function plainUnauthorized(a: Answer | undefined): boolean {
  return a?.status === 401 && a.text.trim() === 'Unauthorized' && !a.json;
}

/** A bare `Forbidden` as Go's http.Error writes it: kubectl proxy's filter. */
export function plainForbidden(a: Answer | undefined): boolean {
  return a?.status === 403 && a.text.trim() === 'Forbidden' && a.contentType.startsWith('text/plain');
}

/** kube-proxy's /healthz on 10256: `{"lastUpdated": "…","currentTime": "…"}` (newer ones add nodeEligible). */
export function kubeProxyHealth(a: Answer | undefined): boolean {
  const j = object(a?.json);
  return !!j && typeof j.lastUpdated === 'string' && typeof j.currentTime === 'string';
}

const PROXY_MODES = new Set(['iptables', 'ipvs', 'nftables', 'kernelspace', 'userspace']);

/** kube-proxy's /proxyMode on its metrics port: the mode as a single word. */
export function proxyMode(a: Answer | undefined): string | undefined {
  const mode = a?.status === 200 ? a.text.trim() : '';
  return PROXY_MODES.has(mode) ? mode : undefined;
}

export function htmlTitle(a: Answer | undefined): string | undefined {
  if (a?.status !== 200) return undefined;
  return /<title>([^<]{1,200})<\/title>/i.exec(a.text)?.[1].trim();
}

/** Kubernetes Dashboard's /api/v1/login/status: `{"tokenPresent":false,"headerPresent":false,"httpsMode":true,…}`. */
export function dashboardLoginStatus(a: Answer | undefined): boolean {
  const j = object(a?.json);
  return a?.status === 200 && !!j && typeof j.tokenPresent === 'boolean' && typeof j.httpsMode === 'boolean';
}

/** Argo CD's /api/version: `{"Version":"v2.9.3+…","BuildDate":…,"GitCommit":…,"KustomizeVersion":…}`. */
export function argoVersion(a: Answer | undefined): string | undefined {
  const j = object(a?.json);
  if (a?.status !== 200 || !j || typeof j.Version !== 'string') return undefined;
  const tools = ['KustomizeVersion', 'HelmVersion', 'KubectlVersion', 'JsonnetVersion'].some((k) => k in j);
  return tools && ('BuildDate' in j || 'GitCommit' in j) ? j.Version : undefined;
}

/** Grafana's /api/health: `{"commit":"…","database":"ok","version":"10.2.0"}`. */
export function grafanaHealth(a: Answer | undefined): string | undefined {
  const j = object(a?.json);
  return a?.status === 200 && j && typeof j.database === 'string' && typeof j.version === 'string'
    ? j.version
    : undefined;
}

/** Prometheus-style build info: `{"version","revision","branch","buildUser","buildDate","goVersion"}`. */
function buildInfo(j: Json | undefined): string | undefined {
  if (!j || typeof j.version !== 'string' || typeof j.revision !== 'string' || typeof j.goVersion !== 'string') {
    return undefined;
  }
  return j.version;
}

/** Loki's /loki/api/v1/status/buildinfo: the build info object itself. */
export function lokiBuildInfo(a: Answer | undefined): string | undefined {
  return a?.status === 200 ? buildInfo(object(a.json)) : undefined;
}

/** Prometheus's /api/v1/status/buildinfo: `{"status":"success","data":{build info}}`. */
export function prometheusBuildInfo(a: Answer | undefined): string | undefined {
  const j = object(a?.json);
  return a?.status === 200 && j?.status === 'success' ? buildInfo(object(j.data)) : undefined;
}

/** Prometheus's /-/healthy: `Prometheus Server is Healthy.` (older: `Prometheus is Healthy.`). */
export function prometheusHealthy(a: Answer | undefined): boolean {
  return a?.status === 200 && /^Prometheus (Server )?is Healthy\.?$/.test(a.text.trim());
}

/** A body in the Prometheus text exposition format. */
export function isExposition(a: Answer | undefined): boolean {
  return a?.status === 200 && /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /m.test(a.text);
}

/** A label of the first sample of a metric in an exposition body. */
export function metricLabel(a: Answer, metric: string, label: string): string | undefined {
  const line = new RegExp(`^${metric}\\{([^}]*)\\}`, 'm').exec(a.text)?.[1];
  return line ? new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(line)?.[1] : undefined;
}

export function hasMetric(a: Answer, prefix: string): boolean {
  return new RegExp(`^${prefix}[a-zA-Z0-9_:]*[ {]`, 'm').test(a.text);
}

/** `/healthz?verbose` of the API server lists its etcd check and post-start hooks. */
export function apiserverHealthChecks(a: Answer | undefined): boolean {
  return !!a && /^\[[+-]\](etcd|poststarthook\/)/m.test(a.text);
}

/** The CN of a certificate subject as summarised (`CN=kube-apiserver, O=…`). */
export function commonName(subject: string | undefined): string | undefined {
  return /(?:^|,\s*)CN=([^,]+)/.exec(subject ?? '')?.[1];
}

/** Names in the certificate that only an API server carries (the in-cluster service name). */
export function apiserverCertNames(sans: readonly string[]): string[] {
  return sans.filter((s) => /^dns:kubernetes(\.default(\.svc(\..+)?)?)?$/.test(s)).map((s) => s.slice(4));
}
