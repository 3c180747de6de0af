import type { KfEvent } from '../../core/events.js';
import { defineHunter } from '../../core/hunter.js';
import { said } from '../evidence.js';
import { ServiceProbe } from '../probe.js';
import { ipvsUdpRisk } from './dns.js';
import { DNS_KB } from './objects.js';

/** Where /configz keeps kube-proxy's running configuration. */
const CONFIGZ_KEY = 'kubeproxy.config.k8s.io';

/**
 * KF-OPS-008 as a running kube-proxy says it, for a hunt that sees kube-proxy's metrics port but may not
 * read its ConfigMap (a remote hunt, an identity without ConfigMaps): `/proxyMode` answers `ipvs`, and
 * `/configz` gives the running `ipvs.udpTimeout`. When /configz does not answer, the timeout could not be
 * checked and the finding is possible. kube-proxy runs on every node with one configuration, so the finding
 * is one for the cluster (no host: the engine keeps the first), its evidence naming the node that showed it.
 */
export const kubeProxyIpvsHunter = defineHunter({
  id: 'ops-kube-proxy-ipvs',
  title: "kube-proxy in IPVS mode with the kernel's UDP timeout, from its metrics port",
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'kube-proxy',
  reports: [DNS_KB.ipvsUdp],
  async hunt(service: KfEvent<'ServiceFound'>, ctx) {
    const probe = new ServiceProbe(ctx, service);
    const mode = await probe.get('/proxyMode', { maxBytes: 1024 });
    if (mode?.status !== 200 || mode.text().trim() !== 'ipvs') return;
    const at = `kube-proxy at ${service.host}:${service.port}`;
    const configz = await probe.get('/configz', { maxBytes: 512 * 1024 });
    const running = configz?.status === 200 ? configz.json<Record<string, unknown>>()?.[CONFIGZ_KEY] : undefined;
    if (running && typeof running === 'object') {
      const risk = ipvsUdpRisk({ mode: 'ipvs', ...running });
      if (!risk) return;
      ctx.report({
        kb: DNS_KB.ipvsUdp,
        object: 'kube-proxy (running)',
        evidence: `${at}: ${said(mode, 'ipvs')}; ${said(configz!, risk)}`,
      });
      return;
    }
    const why = configz ? `/configz answered ${configz.status}` : '/configz did not answer';
    ctx.report({
      kb: DNS_KB.ipvsUdp,
      object: 'kube-proxy (running)',
      evidence: `${at}: ${said(mode, 'ipvs')}; its UDP timeout could not be read (${why})`,
      possible: `whether ipvs.udpTimeout is tuned (${why})`,
    });
  },
});
