import { defineHunter } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { count, quote, said, sample } from '../evidence.js';
import { buildVersion, describeMetrics, isExposition } from '../metrics.js';
import { publishVersion, ServiceProbe } from '../probe.js';
import { observePlatform } from './observations.js';
import { PODS_READ, podName, readPodList } from './pod-list.js';

/** `/stats/summary` (1.7+) or the older cAdvisor-style `/stats/`: what it names. */
function describeStats(res: HttpResponse): string | undefined {
  const json = res.json<{ node?: { nodeName?: unknown }; pods?: unknown; name?: unknown; subcontainers?: unknown }>();
  if (!json || typeof json !== 'object') return undefined;
  if (json.node && typeof json.node === 'object') {
    const pods = Array.isArray(json.pods) ? json.pods.length : 0;
    return `resource summary of node ${String(json.node.nodeName ?? '?')} and ${count(pods, 'pod')}`;
  }
  if (typeof json.name === 'string') {
    const subs = Array.isArray(json.subcontainers) ? json.subcontainers.length : 0;
    return `container statistics of ${json.name} (${count(subs, 'subcontainer')})`;
  }
  return undefined;
}

/** The kubelet's /healthz: `ok`, or its checks one a line (`[+]ping ok`). */
function isHealth(res: HttpResponse | undefined): res is HttpResponse {
  return res?.status === 200 && !res.truncated && res.body.length < 4096 && /^(ok|\[[+-]\])/.test(res.text());
}

async function readStats(probe: ServiceProbe): Promise<HttpResponse | undefined> {
  const summary = await probe.get('/stats/summary');
  if (summary?.status !== 404) return summary;
  return probe.get('/stats/');
}

/**
 * Asks a kubelet, without credentials, for what it lists to anyone: its pods on the authenticated port
 * 10250 (the anonymous-kubelet finding the kubelet's other findings hang off), everything on the read-only
 * port, and on both its health, metrics and statistics endpoints. The version its metrics disclose is
 * published for the CVE hunter.
 */
export const kubeletAccessHunter = defineHunter({
  id: 'kubelet-access',
  title: 'Kubelet endpoints answering callers without credentials',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'kubelet' || s.kind === 'kubelet-readonly',
  reports: [
    'KF-KUBELET-001',
    'KF-KUBELET-015',
    'KF-KUBELET-009',
    'KF-KUBELET-017',
    'KF-KUBELET-018',
    'KF-KUBELET-201',
    'KF-KUBELET-202',
  ],
  async hunt(service, ctx) {
    const probe = new ServiceProbe(ctx, service);
    const podsRes = await probe.get('/pods', PODS_READ);
    const healthz = await probe.get('/healthz');
    const metrics = await probe.get('/metrics');
    const stats = await readStats(probe);
    const spec = service.kind === 'kubelet-readonly' ? await probe.get('/spec/') : undefined;

    const where = { host: service.host, port: service.port };
    const podList = readPodList(podsRes);
    const podsSeen = podList?.pods
      ? `PodList of ${count(podList.pods.length, 'pod')} (${sample(podList.pods.map(podName), 3)})`
      : 'PodList (cut at the size cap)';
    const healthy = isHealth(healthz) ? healthz : undefined;
    const metricsOk = isExposition(metrics) ? metrics : undefined;
    const statsSeen = stats?.status === 200 ? describeStats(stats) : undefined;
    const specOk = spec?.status === 200 && spec.json<{ num_cores?: unknown }>()?.num_cores !== undefined;

    let root: string[] | undefined;
    if (service.kind === 'kubelet' && podList && podsRes) {
      const finding = ctx.report({
        ...where,
        kb: 'KF-KUBELET-001',
        path: '/pods',
        evidence: `${said(podsRes, podsSeen)}, to a request without credentials`,
      });
      root = [finding.id];
    }
    if (service.kind === 'kubelet-readonly') {
      const served = [
        podList && `/pods (${podList.pods ? count(podList.pods.length, 'pod') : 'PodList'})`,
        healthy && '/healthz',
        metricsOk && '/metrics',
        statsSeen && new URL(stats!.url).pathname,
        specOk && '/spec/ (machine information)',
      ].filter((s): s is string => typeof s === 'string');
      if (served.length > 0) {
        ctx.publish('Observation', {
          host: service.host,
          fact: 'read-only-port',
          value: 'open',
          source: `port ${service.port} serves ${served[0]} without authentication`,
        });
        const finding = ctx.report({
          ...where,
          kb: 'KF-KUBELET-015',
          evidence: `plain HTTP without authentication serves ${served.join(', ')}`,
        });
        root = [finding.id];
      }
    }
    if (healthy) {
      ctx.report(
        { ...where, kb: 'KF-KUBELET-009', path: '/healthz', evidence: said(healthy, quote(healthy.text())) },
        root,
      );
    }
    if (metricsOk) {
      ctx.report(
        { ...where, kb: 'KF-KUBELET-017', path: '/metrics', evidence: said(metricsOk, describeMetrics(metricsOk)) },
        root,
      );
      const version = buildVersion(metricsOk.text());
      if (version) publishVersion(ctx, service, 'kubelet', version);
      observePlatform(ctx, service.host, `:${service.port}/metrics`, metricsOk);
    }
    if (statsSeen && stats) {
      ctx.report(
        { ...where, kb: 'KF-KUBELET-018', path: new URL(stats.url).pathname, evidence: said(stats, statsSeen) },
        root,
      );
    }
    // Defences that held: no anonymous callers at all, or the API server's RBAC deciding (Webhook mode:
    // its refusal names the nodes subresource it asked about, which AlwaysAllow never does).
    if (service.kind === 'kubelet' && podsRes?.status === 401) {
      ctx.report({ ...where, kb: 'KF-KUBELET-201', path: '/pods', evidence: said(podsRes, quote(podsRes.text())) });
    }
    const webhookRefusal = /Forbidden \(user=[^,]*, verb=[^,]*, resource=nodes, subresource=[^)]*\)/.exec(
      podsRes?.status === 403 ? podsRes.text() : '',
    );
    if (podsRes && webhookRefusal) {
      ctx.report({
        ...where,
        kb: 'KF-KUBELET-202',
        path: '/pods',
        evidence: `${said(podsRes, quote(webhookRefusal[0], 120))}: anonymous callers are authenticated, and RBAC refused them`,
      });
    }
  },
});
