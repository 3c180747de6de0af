import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { defineHunter, type HuntContext, type PodInterface } from '../../core/hunter.js';
import { CAP_NET_RAW, effectiveCapabilities } from './capabilities.js';
import { readPodFile } from './pod-files.js';

const STATUS = '/proc/self/status';
const RESOLV_CONF = '/etc/resolv.conf';

/** The first nameserver of a resolv.conf. */
export function nameserver(resolvConf: string): string | undefined {
  const m = /^\s*nameserver\s+(\S+)/m.exec(resolvConf);
  return m && ipaddr.isValid(m[1]) ? m[1] : undefined;
}

/** The pod's networks: each non-loopback interface address with its prefix (`eth0 10.244.1.5/24`). */
function podNetworks(ctx: HuntContext): readonly PodInterface[] {
  const given = ctx.options.podInterfaces;
  if (given) return given;
  return Object.entries(networkInterfaces()).flatMap(([name, addrs]) =>
    (addrs ?? []).filter((a) => !a.internal && a.cidr).map((a) => ({ name, cidr: a.cidr! })),
  );
}

function contains(cidr: string, address: string): boolean {
  try {
    const [net, bits] = ipaddr.parseCIDR(cidr);
    const addr = ipaddr.process(address);
    return addr.kind() === net.kind() && addr.match([net, bits]);
  } catch {
    return false;
  }
}

/**
 * The preconditions of kube-hunter's ARP and DNS spoofing hunters, checked from inside the pod without
 * sending a single packet: CAP_NET_RAW in the effective capabilities (raw sockets, so forged ARP replies),
 * a pod network shared with neighbours, and the DNS server on that network (so forged answers can win).
 */
export const podActiveSpoofing = defineHunter({
  id: 'pod-active-spoofing-preconditions',
  title: 'Checks the preconditions of ARP and DNS spoofing from the pod (sends no packet)',
  mode: 'active',
  on: 'Credential',
  when: (c) => c.source === 'pod',
  subject: () => 'pod',
  reports: ['KF-NET-001', 'KF-NET-002'],
  changes: 'nothing: reads /proc/self/status, /etc/resolv.conf and the interfaces; never sends a spoofed packet',
  async hunt(_credential, ctx) {
    const status = readPodFile(ctx, STATUS);
    const caps = status === undefined ? undefined : effectiveCapabilities(status);
    if (caps === undefined) {
      ctx.log(`cannot read CapEff from ${STATUS}`);
      return;
    }
    if ((caps & (1n << CAP_NET_RAW)) === 0n) return;
    const capText = `CapEff ${caps.toString(16).padStart(16, '0')} in ${STATUS} includes CAP_NET_RAW`;
    const shared = podNetworks(ctx).filter((n) => {
      const bits = Number(n.cidr.split('/')[1]);
      return n.cidr.includes(':') ? bits < 128 : bits < 32;
    });
    if (shared.length === 0) return;
    ctx.report({
      kb: 'KF-NET-001',
      object: `pod network ${shared.map((n) => `${n.name} ${n.cidr}`).join(', ')}`,
      evidence: `${capText}; ${shared.map((n) => `${n.name} ${n.cidr}`).join(', ')} is shared with other hosts (precondition only: no packet was sent)`,
    });
    const resolv = readPodFile(ctx, RESOLV_CONF);
    const dns = resolv === undefined ? undefined : nameserver(resolv);
    if (!dns) {
      ctx.log(`no nameserver in ${RESOLV_CONF}`);
      return;
    }
    const onNet = shared.find((n) => contains(n.cidr, dns));
    if (!onNet) {
      ctx.log(`DNS server ${dns} is not on the pod network: DNS spoofing would need more than ARP`);
      return;
    }
    ctx.report({
      kb: 'KF-NET-002',
      object: `DNS server ${dns}`,
      evidence: `${capText}; the DNS server ${dns} (${RESOLV_CONF}) is on the pod network ${onNet.cidr} (${onNet.name}) (precondition only: no packet was sent)`,
    });
  },
});
