import type { ServiceKind } from '../../core/events.js';
import { type AnyHunter, defineHunter } from '../../core/hunter.js';
import { count, said, sample } from '../evidence.js';
import { ServiceProbe } from '../probe.js';
import * as read from './readers.js';

/**
 * A component that should not answer strangers: the paths that disclose something when it does, and how
 * to recognise each answer. Checks as data: the hunters below are made from this table.
 */
export interface EndpointCheck {
  id: string;
  title: string;
  kinds: readonly ServiceKind[];
  kb: string;
  probes: readonly { path: string; reads: read.Reader }[];
}

/** What kube-controller-manager and kube-scheduler serve when authorization lets anyone through. */
const COMPONENT_PROBES = [
  { path: '/metrics', reads: read.metrics },
  { path: '/configz', reads: read.configz },
  { path: '/debug/pprof/cmdline', reads: read.cmdline },
];

export const ENDPOINT_CHECKS: readonly EndpointCheck[] = [
  {
    id: 'kube-proxy-endpoints',
    title: 'kube-proxy metrics port (metrics, configuration, mode) answering from the network',
    kinds: ['kube-proxy'],
    kb: 'KF-KUBEPROXY-001',
    // The health port 10256 alone is expected (load balancers probe it) and discloses nothing: not reported.
    probes: [
      { path: '/metrics', reads: read.metrics },
      { path: '/configz', reads: read.configz },
      { path: '/proxyMode', reads: read.proxyMode },
    ],
  },
  {
    id: 'controller-manager-endpoints',
    title: 'kube-controller-manager metrics, configuration or profiling without authentication',
    kinds: ['controller-manager'],
    kb: 'KF-CONTROLLER-001',
    probes: COMPONENT_PROBES,
  },
  {
    id: 'scheduler-endpoints',
    title: 'kube-scheduler metrics, configuration or profiling without authentication',
    kinds: ['scheduler'],
    kb: 'KF-SCHEDULER-001',
    probes: COMPONENT_PROBES,
  },
  {
    id: 'cadvisor-exposed',
    title: 'cAdvisor UI and API answering without authentication',
    kinds: ['cadvisor'],
    kb: 'KF-CADVISOR-001',
    probes: [
      {
        path: '/api/v1.3/machine',
        reads: read.jsonWith('num_cores', (j) => `machine information (${j.num_cores} cores)`),
      },
      {
        path: '/api/v1.3/containers/',
        reads: read.jsonWith('subcontainers', (j) => {
          const subs = Array.isArray(j.subcontainers) ? j.subcontainers.length : 0;
          return `container tree (${count(subs, 'subcontainer')} of ${String(j.name)})`;
        }),
      },
      { path: '/containers/', reads: read.pageTitled('cAdvisor') },
      { path: '/metrics', reads: read.buildInfoMetrics('cadvisor_version_info', 'cadvisorVersion') },
    ],
  },
  {
    id: 'prometheus-exposed',
    title: 'Prometheus API answering without authentication',
    kinds: ['prometheus'],
    kb: 'KF-PROMETHEUS-001',
    probes: [
      {
        path: '/api/v1/status/buildinfo',
        reads: read.successData((d) => `build information (version ${String((d as { version?: unknown })?.version)})`),
      },
      {
        path: '/api/v1/targets?state=active',
        reads: read.successData((d) => {
          const targets = (d as { activeTargets?: { labels?: { job?: unknown } }[] })?.activeTargets;
          if (!Array.isArray(targets)) return undefined;
          const jobs = [...new Set(targets.map((t) => String(t?.labels?.job ?? '?')))];
          return `${count(targets.length, 'scrape target')} (jobs ${sample(jobs, 4)})`;
        }),
      },
      {
        path: '/api/v1/status/flags',
        reads: read.successData((d) => {
          const flags = d as Record<string, unknown>;
          if (!flags || typeof flags !== 'object') return undefined;
          const risky = ['web.enable-admin-api', 'web.enable-lifecycle'].map((f) => `${f}=${String(flags[f] ?? '?')}`);
          return `command-line flags (${risky.join(', ')})`;
        }),
      },
    ],
  },
  {
    id: 'node-exporter-exposed',
    title: 'node-exporter metrics readable from the network',
    kinds: ['node-exporter'],
    kb: 'KF-NODEEXPORTER-001',
    probes: [{ path: '/metrics', reads: read.buildInfoMetrics('node_exporter_build_info') }],
  },
  {
    id: 'grafana-anonymous',
    title: 'Grafana API usable as an anonymous user',
    kinds: ['grafana'],
    kb: 'KF-GRAFANA-001',
    probes: [
      { path: '/api/org', reads: read.jsonWith('name', (j) => `organisation "${String(j.name).slice(0, 60)}"`) },
      {
        path: '/api/search?limit=50',
        reads: read.jsonArray((items) => {
          const titles = items.map((i) => String((i as { title?: unknown })?.title ?? '?').slice(0, 60));
          return `${count(items.length, 'dashboard or folder', 'dashboards and folders')}${titles.length ? ` (${sample(titles, 4)})` : ''}`;
        }),
      },
    ],
  },
  {
    id: 'loki-exposed',
    title: 'Loki query API answering without authentication',
    kinds: ['loki'],
    kb: 'KF-LOKI-001',
    probes: [
      {
        path: '/loki/api/v1/labels',
        reads: read.successData((d) =>
          Array.isArray(d)
            ? `${count(d.length, 'label name')} (${sample(
                d.map((x) => String(x).slice(0, 40)),
                6,
              )})`
            : undefined,
        ),
      },
    ],
  },
  {
    id: 'argocd-anonymous',
    title: 'Argo CD API usable anonymously',
    kinds: ['argocd'],
    kb: 'KF-ARGOCD-001',
    probes: [
      { path: '/api/v1/applications', reads: read.namedItems('application') },
      { path: '/api/v1/projects', reads: read.namedItems('project') },
    ],
  },
];

/** The hunter of one check: asks each path without credentials and reports what answered, in one finding. */
export function endpointHunter(check: EndpointCheck): AnyHunter {
  return defineHunter({
    id: check.id,
    title: check.title,
    mode: 'passive',
    on: 'ServiceFound',
    when: (s) => check.kinds.includes(s.kind),
    reports: [check.kb],
    async hunt(service, ctx) {
      const probe = new ServiceProbe(ctx, service);
      const seen: { path: string; line: string }[] = [];
      for (const { path, reads } of check.probes) {
        const res = await probe.get(path, { maxBytes: 512 * 1024 });
        const what = res && reads(res);
        if (res && what) seen.push({ path: path.split('?')[0], line: said(res, what) });
      }
      if (seen.length === 0) return;
      ctx.report({
        kb: check.kb,
        host: service.host,
        port: service.port,
        path: seen[0].path,
        evidence: `without credentials: ${seen.map((s) => s.line).join('; ')}`,
      });
    },
  });
}

export const endpointHunters: readonly AnyHunter[] = ENDPOINT_CHECKS.map(endpointHunter);
