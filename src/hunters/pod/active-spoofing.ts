import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';

/** CAP_NET_RAW is capability bit 13 (linux/capability.h). */
const CAP_NET_RAW = 13n;

/** Where the checks read, overridable for tests through hunt options of the same names. */
export const SPOOFING_PATHS = { procStatusPath: '/proc/self/status', resolvConfPath: '/etc/resolv.conf' };

/** The effective capability mask of this process (`CapEff` in /proc/self/status), or undefined. */
export function effectiveCapabilities(status: string): bigint | undefined {
  const hex = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

/** The first nameserver of a resolv.conf. */
export function nameserver(resolvConf: string): string | undefined {
  const m = /^\s*nameserver\s+(\S+)/m.exec(resolvConf);
  return m && ipaddr.isValid(m[1]) ? m[1] : undefined;
}

/** The pod's networks: each non-loopback interface address with its prefix (`eth0 10.244.1.5/24`). */
function podNetworks(ctx: HuntContext): { name: string; cidr: string }[] {
  const given = ctx.options.podInterfaces as { name: string; cidr: string }[] | undefined;
  if (given) return given;
  return Object.entries(networkInterfaces()).flatMap(([name, addrs]) =>
    (addrs ?? []).filter((a) => !a.internal && a.cidr).map((a) => ({ name, cidr: a.cidr! })),
  );
}

function readOption(ctx: HuntContext, key: keyof typeof SPOOFING_PATHS): { path: string; text?: string } {
  const path = (ctx.options[key] as string | undefined) ?? SPOOFING_PATHS[key];
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch {
    return { path };
  }
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
    const status = readOption(ctx, 'procStatusPath');
    const caps = status.text === undefined ? undefined : effectiveCapabilities(status.text);
    if (caps === undefined) {
      ctx.log(`cannot read CapEff from ${status.path}`);
      return;
    }
    if ((caps & (1n << CAP_NET_RAW)) === 0n) return;
    const capText = `CapEff ${caps.toString(16).padStart(16, '0')} in ${status.path} includes CAP_NET_RAW`;
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
    const resolv = readOption(ctx, 'resolvConfPath');
    const dns = resolv.text === undefined ? undefined : nameserver(resolv.text);
    if (!dns) {
      ctx.log(`no nameserver in ${resolv.path}`);
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
      evidence: `${capText}; the DNS server ${dns} (${resolv.path}) is on the pod network ${onNet.cidr} (${onNet.name}) (precondition only: no packet was sent)`,
    });
  },
});
