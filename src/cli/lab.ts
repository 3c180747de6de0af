import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { makeDirs, writeProblem } from '../core/files.js';
import {
  IDENTITY_NAMES,
  type Lab,
  type LabOptions,
  type LabScale,
  MAX_NODES,
  MAX_SCALE,
  parseFault,
  scaleOf,
  startLab,
  workloadPodsOf,
} from '../lab/index.js';
import { integer } from './options.js';

/** The scale options (--pods-per-node, --api-nodes, … --seed) are LabScale's fields as they are. */
interface LabFlags extends LabScale {
  profile?: string;
  nodes?: number;
  base?: string;
  log?: string;
  etcd?: string;
  hostile?: boolean;
  nodeLocalDns?: boolean;
  kubeVersion?: string;
  nodeOs?: string;
  kubeconfigs?: string;
  fault?: string[];
}

const scale = (flag: string) => integer(flag, 0, MAX_SCALE);

/** What listens where, for people: one block per host, one line per port. */
export function describeLab(lab: Lab): string {
  const lines = [
    `kubeferret lab: profile ${lab.profile}, Kubernetes ${lab.version}, etcd ${lab.etcd}, ${lab.options.nodes} node(s)`,
    '',
  ];
  for (const h of lab.hosts) {
    lines.push(`  ${h.address.padEnd(15)} ${h.name} (${h.role})`);
    for (const s of h.services)
      lines.push(`    ${String(s.port).padEnd(6)} ${s.scheme.padEnd(5)}  ${s.kind.padEnd(18)} ${s.what}`);
  }
  for (const f of lab.options.faults ?? []) {
    const what = [
      f.latencyMs !== undefined && `latency ${f.latencyMs} ms${f.jitterMs ? ` ± ${f.jitterMs}` : ''}`,
      f.stallFirst && `first ${f.stallFirst} connections stalled`,
      f.resetShare && `${Math.round(f.resetShare * 100)}% of connections reset`,
      f.trickle && `bodies trickle ${f.trickle.bytes} bytes every ${f.trickle.everyMs} ms`,
    ].filter(Boolean);
    lines.push(`  fault on ${f.host ?? 'every host'}:${f.port}: ${what.join(', ') || 'none'}`);
  }
  const scale = lab.options.scale;
  if (scale?.apiNodes || scale?.workloads) {
    lines.push(
      `  added: ${scale.apiNodes ?? 0} Node objects without a kubelet (addresses after the lab's), ` +
        `${scale.workloads ?? 0} workloads with ${workloadPodsOf(scale)} pods`,
    );
  }
  if (lab.options.nodeLocalDns) lines.push('  added: a node-local DNS cache (kube-system/DaemonSet/node-local-dns)');
  if (lab.outside)
    lines.push(`  ${lab.outside.address.padEnd(15)} outside sink (the redirect's target; never in scope)`);
  const first = lab.hosts[0].address;
  const last = lab.hosts.filter((h) => h.role !== 'hostile').at(-1)!.address;
  lines.push(
    '',
    `identities: ${IDENTITY_NAMES.join(', ')} (see src/lab/README.md)`,
    `hunt it:    kubeferret hunt ${first}-${last}`,
  );
  return `${lines.join('\n')}\n`;
}

export function labOptionsFrom(flags: LabFlags): LabOptions {
  return {
    profile: flags.profile as LabOptions['profile'],
    nodes: flags.nodes,
    base: flags.base,
    log: flags.log,
    etcd: flags.etcd as LabOptions['etcd'],
    hostile: flags.hostile,
    nodeLocalDns: flags.nodeLocalDns,
    version: flags.kubeVersion,
    nodeOs: flags.nodeOs as LabOptions['nodeOs'],
    faults: flags.fault?.map(parseFault),
    scale: scaleOf(flags),
  };
}

function writeKubeconfigs(lab: Lab, dir: string): string[] {
  try {
    makeDirs(dir);
    return IDENTITY_NAMES.map((name) => {
      const file = join(dir, `${name}.kubeconfig`);
      lab.kubeconfig(name, file);
      return file;
    });
  } catch (err) {
    throw new UsageError(`cannot write kubeconfigs to ${dir}: ${writeProblem(err)}`);
  }
}

/** Resolves when the user asks to stop (Ctrl-C or SIGTERM). */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('start the simulated, deliberately misconfigured cluster on loopback')
    .option('--profile <profile>', 'vulnerable | default | hardened (default vulnerable)')
    .option('--nodes <n>', `worker nodes, 1-${MAX_NODES} (default 2)`, integer('--nodes', 1, MAX_NODES))
    .option(
      '--base <address>',
      'the control plane address; nodes follow it (default 127.0.0.2, must be in 127.0.0.0/8)',
    )
    .option('--log <file>', 'append every request the lab receives to this file as JSON lines')
    .option('--etcd <mode>', 'auto | real | simulated | off (default auto: the real etcd when installed)')
    .option('--hostile', 'add a hostile host whose ports hang, babble, flood, fail TLS and redirect')
    .option('--node-local-dns', 'seed a node-local DNS cache DaemonSet (the decoy of KF-OPS-009 with --api-nodes)')
    .option('--kube-version <version>', "the Kubernetes version the components report (default: the profile's)")
    .option('--node-os <os>', 'linux | windows: what the worker nodes say they run (default linux)')
    .option('--kubeconfigs <dir>', 'write a kubeconfig for each identity into this directory')
    .option(
      '--pods-per-node <n>',
      "add n ordinary pods to every node (listed before the lab's own)",
      scale('--pods-per-node'),
    )
    .option('--secrets <n>', "add n Opaque Secrets (listed before the lab's own)", scale('--secrets'))
    .option('--namespaces <n>', "add n empty namespaces (listed before the lab's own)", scale('--namespaces'))
    .option('--roles <n>', "add n ClusterRoles (listed before the lab's own)", scale('--roles'))
    .option(
      '--pending-pods <n>',
      'add n pods Pending under a few Deployments whose node selector no node has',
      scale('--pending-pods'),
    )
    .option(
      '--api-nodes <n>',
      "add n Node objects served by the API only (no kubelet; loopback addresses after the lab's)",
      scale('--api-nodes'),
    )
    .option(
      '--workloads <n>',
      'add n Deployments, DaemonSets, StatefulSets, Jobs and CronJobs, with their pods on the API-only nodes',
      scale('--workloads'),
    )
    .option('--workload-pods <n>', 'pods of those workloads in all (default 10 per workload)', scale('--workload-pods'))
    .option(
      '--seed <n>',
      'seed of the random choices of the objects added (default 1)',
      integer('--seed', 0, 2 ** 32 - 1),
    )
    .option(
      '--fault <spec>',
      'slow or break a port: PORT:latency=MS,jitter=MS,stall=N,reset=SHARE,trickle=BYTES/MS[,host=ADDRESS] (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .action(async (flags: LabFlags) => {
      const stop = untilSignal();
      const lab = await startLab(labOptionsFrom(flags));
      try {
        process.stdout.write(describeLab(lab));
        if (flags.kubeconfigs) console.log(`kubeconfigs: ${writeKubeconfigs(lab, flags.kubeconfigs).join(', ')}`);
        console.log('Press Ctrl-C to stop.');
        await stop;
      } finally {
        await lab.stop();
      }
      console.log('lab stopped');
    });
}
