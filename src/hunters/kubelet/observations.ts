import type { HuntContext } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { metricLabels } from '../metrics.js';

// What a kubelet's answers say about its node and settings, published as Observation facts for the CVE
// hunter's conditions. A node has one kubelet, so each is true of the whole host (no port).

/** `linux/amd64` → the node's operating system, from kubernetes_build_info's `platform` label. */
export function observePlatform(ctx: HuntContext, host: string, path: string, metrics: HttpResponse): void {
  const platform = metricLabels(metrics.text(), 'kubernetes_build_info')?.platform;
  const m = platform ? /^([a-z0-9]+)\/([a-z0-9_]+)$/.exec(platform) : null;
  if (!m) return;
  ctx.publish('Observation', {
    host,
    fact: 'os',
    value: m[1],
    source: `kubelet ${path} kubernetes_build_info platform ${platform}`,
  });
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * The kubelet settings of /configz that CVE conditions name: feature gates set explicitly (a gate left at
 * its default is not listed, so it stays unchecked), the node log query, the health port's address, the
 * read-only port and the log verbosity.
 */
export function observeConfigz(ctx: HuntContext, host: string, configz: HttpResponse): void {
  if (configz.status !== 200) return;
  const config = configz.json<{ kubeletconfig?: Record<string, unknown> }>()?.kubeletconfig;
  if (!config || typeof config !== 'object') return;
  const source = (setting: string, value: unknown) => `kubelet /configz ${setting}=${String(value)}`;
  const publish = (fact: string, value: string, from: string, name?: string) =>
    ctx.publish('Observation', { host, fact, ...(name && { name }), value, source: from });

  const gates = config.featureGates;
  if (gates && typeof gates === 'object') {
    for (const [gate, on] of Object.entries(gates as Record<string, unknown>)) {
      if (typeof on === 'boolean' && /^[A-Za-z0-9]{1,80}$/.test(gate)) {
        publish('feature-gate', on ? 'enabled' : 'disabled', source(`featureGates.${gate}`, on), gate);
      }
    }
  }
  if (typeof config.enableSystemLogQuery === 'boolean') {
    const v = config.enableSystemLogQuery;
    publish('kubelet-config', String(v), source('enableSystemLogQuery', v), 'enableSystemLogQuery');
  }
  if (typeof config.healthzBindAddress === 'string' && config.healthzBindAddress.length <= 64) {
    const v = config.healthzBindAddress;
    publish(
      'kubelet-config',
      LOOPBACK.test(v) ? 'loopback' : 'non-loopback',
      source('healthzBindAddress', v),
      'healthzBindAddress',
    );
  }
  if (typeof config.readOnlyPort === 'number') {
    const v = config.readOnlyPort;
    publish('read-only-port', v === 0 ? 'closed' : 'open', source('readOnlyPort', v));
  }
  const verbosity = (config.logging as { verbosity?: unknown } | undefined)?.verbosity;
  if (typeof verbosity === 'number') publish('log-level', String(verbosity), source('logging.verbosity', verbosity));
}
