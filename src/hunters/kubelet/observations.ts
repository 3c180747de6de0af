import type { Pod } from 'kubernetes-types/core/v1.js';
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
  if (typeof verbosity === 'number') {
    publish('log-level', String(verbosity), source('logging.verbosity', verbosity), 'kubelet');
  }
}

/** The control-plane components whose static pods' flags CVE conditions name. */
const CONTROL_PLANE = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

function flagsOf(pod: Pod, component: string): Map<string, string> | undefined {
  const container = (pod.spec?.containers ?? []).find(
    (c) => c && Array.isArray(c.command ?? []) && [...(c.command ?? []), ...(c.args ?? [])][0]?.endsWith(component),
  );
  if (!container) return undefined;
  const flags = new Map<string, string>();
  for (const arg of [...(container.command ?? []), ...(container.args ?? [])]) {
    const m = typeof arg === 'string' ? /^--?([a-z0-9-]+)=(.{0,2000})$/.exec(arg) : null;
    if (m) flags.set(m[1], m[2]);
  }
  return flags;
}

/**
 * The flags of the control plane's static pods a kubelet lists (`kube-apiserver --enable-admission-plugins=…
 * --feature-gates=… --v=…`), as facts about the node they run on (their host network: the API server's
 * address). A plugin or gate not named stays at its default, which depends on the release: unchecked.
 */
export function observeStaticPodFlags(ctx: HuntContext, kubeletHost: string, pods: readonly Pod[]): void {
  for (const pod of pods) {
    if (pod.metadata?.namespace !== 'kube-system') continue;
    for (const component of CONTROL_PLANE) {
      const flags = flagsOf(pod, component);
      if (!flags) continue;
      const host = typeof pod.status?.hostIP === 'string' && pod.spec?.hostNetwork ? pod.status.hostIP : kubeletHost;
      const from = (flag: string) => `static pod kube-system/${pod.metadata?.name} ${component} --${flag}`;
      const publish = (fact: string, value: string, source: string, name?: string) =>
        ctx.publish('Observation', { host, fact, ...(name && { name }), value, source });
      for (const [flag, value] of [
        ['enable-admission-plugins', 'enabled'],
        ['disable-admission-plugins', 'disabled'],
      ] as const) {
        for (const plugin of (flags.get(flag) ?? '').split(',').filter((p) => /^[A-Za-z0-9]{1,80}$/.test(p))) {
          publish('admission-plugin', value, from(`${flag}=…${plugin}…`), plugin);
        }
      }
      for (const gate of (flags.get('feature-gates') ?? '').split(',')) {
        const m = /^([A-Za-z0-9]{1,80})=(true|false)$/i.exec(gate.trim());
        if (m)
          publish(
            'feature-gate',
            m[2].toLowerCase() === 'true' ? 'enabled' : 'disabled',
            from(`feature-gates=…${m[0]}…`),
            m[1],
          );
      }
      const level = flags.get('v');
      if (level !== undefined && /^\d{1,2}$/.test(level)) publish('log-level', level, from(`v=${level}`), component);
      const cloud = flags.get('cloud-provider');
      if (cloud !== undefined && /^[a-z0-9-]{0,40}$/.test(cloud)) {
        publish('cloud-provider', cloud || 'none', from(`cloud-provider=${cloud}`));
      }
    }
  }
}
