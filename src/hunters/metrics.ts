import type { HttpResponse } from '../net/network.js';
import { bytes } from './evidence.js';

// Reading the Prometheus text exposition format that Kubernetes components and exporters serve on /metrics.

/** A 200 whose body is Prometheus metrics (`# HELP` / `# TYPE` lines, or samples). */
export function isExposition(res: HttpResponse | undefined): res is HttpResponse {
  if (res?.status !== 200) return false;
  const text = res.text();
  return (
    /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /m.test(text) || /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? \S+$/m.test(text)
  );
}

/** The labels of the first sample of `metric`, e.g. `kubernetes_build_info` → `{ git_version: 'v1.28.3', … }`. */
export function metricLabels(text: string, metric: string): Record<string, string> | undefined {
  const body = new RegExp(`^${metric}\\{([^}]*)\\}`, 'm').exec(text)?.[1];
  if (body === undefined) return undefined;
  return Object.fromEntries(
    [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
  );
}

/** How many metric families the body declares. */
export function familyCount(text: string): number {
  return (text.match(/^# TYPE /gm) ?? []).length;
}

/**
 * The Kubernetes version a component's /metrics discloses through `kubernetes_build_info` (label
 * `git_version`, or `gitVersion` on releases before 1.17).
 */
export function buildVersion(text: string): string | undefined {
  const labels = metricLabels(text, 'kubernetes_build_info');
  const version = labels?.git_version ?? labels?.gitVersion;
  return version && /^v?\d+\.\d+/.test(version) && version.length <= 128 ? version : undefined;
}

/** `Prometheus metrics (42 families, 12.3 KiB)`. */
export function describeMetrics(res: HttpResponse): string {
  const families = familyCount(res.text());
  const cut = res.truncated ? ', cut at the size cap' : '';
  return `Prometheus metrics (${families} famil${families === 1 ? 'y' : 'ies'}, ${bytes(res.body.length)}${cut})`;
}
