import { defineHunter } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { count, quote, said, sample } from '../evidence.js';
import { buildVersion, describeMetrics, isExposition } from '../metrics.js';
import { publishVersion, ServiceProbe } from '../probe.js';
import { observePlatform } from './observations.js';
import { partial, podListOf, podsGap, readPods } from './pod-list.js';
import { describeStats, readStats, statsGap } from './stats.js';

/** The kubelet's /healthz: `ok`, or its checks one a line (`[+]ping ok`). */
function isHealth(res: HttpResponse | undefined): res is HttpResponse {
  return res?.status === 200 && !res.truncated && res.body.length < 4096 && /^(ok|\[[+-]\])/.test(res.text());
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
    const podsRead = await readPods(probe);
    const healthz = await probe.get('/healthz');
    const metrics = await probe.get('/metrics');
    const stats = await readStats(probe);
    const spec = service.kind === 'kubelet-readonly' ? await probe.get('/spec/') : undefined;

    const where = { host: service.host, port: service.port };
    const podList = podListOf(podsRead);
    const podsSeen = podList
      ? `PodList of ${count(podList.count, 'pod')} (${sample(podList.names.slice(0, 3), 3)}${podList.count > 3 ? ', …' : ''})${partial(podsRead!)}`
      : '';
    if (podsRead) podsGap(ctx, service, podsRead);
    if (stats) statsGap(ctx, service, stats);
    const healthy = isHealth(healthz) ? healthz : undefined;
    const metricsOk = isExposition(metrics) ? metrics : undefined;
    const statsSeen = stats ? describeStats(stats) : undefined;
    const specOk = spec?.status === 200 && spec.json<{ num_cores?: unknown }>()?.num_cores !== undefined;

    let root: string[] | undefined;
    if (service.kind === 'kubelet' && podList && podsRead) {
      const finding = ctx.report({
        ...where,
        kb: 'KF-KUBELET-001',
        path: '/pods',
        evidence: `${said(podsRead, podsSeen)}, to a request without credentials`,
      });
      root = [finding.id];
    }
    if (service.kind === 'kubelet-readonly') {
      const served = [
        podList && `/pods (${count(podList.count, 'pod')}${podsRead?.cut ? ' read before the list was cut' : ''})`,
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
    const refusal = podsRead?.value.excerpt ?? '';
    if (service.kind === 'kubelet' && podsRead?.status === 401) {
      ctx.report({ ...where, kb: 'KF-KUBELET-201', path: '/pods', evidence: said(podsRead, quote(refusal)) });
    }
    const webhookRefusal = /Forbidden \(user=[^,]*, verb=[^,]*, resource=nodes, subresource=[^)]*\)/.exec(
      podsRead?.status === 403 ? refusal : '',
    );
    if (podsRead && webhookRefusal) {
      ctx.report({
        ...where,
        kb: 'KF-KUBELET-202',
        path: '/pods',
        evidence: `${said(podsRead, quote(webhookRefusal[0], 120))}: anonymous callers are authenticated, and RBAC refused them`,
      });
    } else if (podsRead?.status === 403 && /user=system:anonymous/.test(refusal)) {
      ctx.log('anonymous authentication is on, but authorization refuses system:anonymous');
    }
  },
});
