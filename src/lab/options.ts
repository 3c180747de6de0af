import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { FaultSpec } from './faults.js';
import type { LabScale } from './seed-bulk.js';

export const PROFILES = ['vulnerable', 'default', 'hardened'] as const;
export type LabProfile = (typeof PROFILES)[number];

export const ETCD_MODES = ['auto', 'real', 'simulated', 'off'] as const;
export type EtcdMode = (typeof ETCD_MODES)[number];

export const MAX_NODES = 16;

export const NODE_OSES = ['linux', 'windows'] as const;
export type NodeOs = (typeof NODE_OSES)[number];

/** How to start a lab. Every field is optional; see README.md for what each profile exposes. */
export interface LabOptions {
  profile?: LabProfile;
  /** Worker nodes, each on its own address after the control plane (1-16, default 2). */
  nodes?: number;
  /** The control plane's address; nodes and hostile hosts follow it. Must be in 127.0.0.0/8. */
  base?: string;
  /** Also write the request log to this file, one JSON object a line. */
  log?: string;
  /**
   * `auto` runs the real etcd when it is installed and the temporary directory (where it keeps its data) is
   * writable, the simulation otherwise.
   */
  etcd?: EtcdMode;
  /** Adds the hostile hosts (see README.md) after the nodes. */
  hostile?: boolean;
  /** Seeds a node-local DNS cache (kube-system/DaemonSet/node-local-dns): the decoy of KF-OPS-009. */
  nodeLocalDns?: boolean;
  /** The Kubernetes version every component reports (`v1.16.0`); each profile has its own default. */
  version?: string;
  /**
   * How long a deleted namespace stays Terminating (ms) before it and its objects are gone, as on a real
   * cluster where the namespace controller empties it first; 0 (the default) removes it at once.
   */
  namespaceTerminationMs?: number;
  /**
   * The worker nodes' operating system (default linux): what their kubelets' metrics (`platform`) and
   * their Node objects (`nodeInfo.operatingSystem`, `kubernetes.io/os`) say. The control plane stays Linux.
   */
  nodeOs?: NodeOs;
  /** A cluster of a real size: extra pods per node, Secrets, namespaces, roles (see seed-bulk.ts). */
  scale?: LabScale;
  /** A slow or flaky network on chosen ports (see faults.ts); draws seeded by `scale.seed`. */
  faults?: FaultSpec[];
  /**
   * Opaque bearer tokens the API server accepts, as kube-apiserver's `--token-auth-file` lists them: a user
   * no token claim names, whose rights a client can learn only by asking (access reviews).
   */
  staticTokens?: StaticToken[];
}

/** A line of a `--token-auth-file`: the token, its user and its groups. */
export interface StaticToken {
  token: string;
  user: string;
  groups: string[];
}

export interface ResolvedLabOptions {
  profile: LabProfile;
  nodes: number;
  base: string;
  log?: string;
  etcd: 'real' | 'simulated' | 'off';
  etcdBinary?: string;
  hostile: boolean;
  nodeLocalDns: boolean;
  version?: string;
  namespaceTerminationMs: number;
  nodeOs: NodeOs;
  scale?: LabScale;
  faults?: FaultSpec[];
}

/** The number of addresses a lab uses after its base: nodes, then the hostile host and the outside sink. */
export function addressesUsed(nodes: number, hostile: boolean): number {
  return 1 + nodes + (hostile ? 2 : 0);
}

function ipv4ToInt(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The address `offset` places after `base`. */
export function addressAt(base: string, offset: number): string {
  const n = ipv4ToInt(base);
  if (n === undefined) throw new UsageError(`--base: "${base}" is not an IPv4 address`);
  return intToIpv4(n + offset);
}

/** Finds an executable on PATH (the lab's `etcd`), or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Validates the options; every problem is a one-line UsageError. */
export function resolveLabOptions(options: LabOptions = {}): ResolvedLabOptions {
  const profile = options.profile ?? 'vulnerable';
  if (!PROFILES.includes(profile)) {
    throw new UsageError(`--profile takes one of ${PROFILES.join(', ')}, not "${profile}"`);
  }
  const nodes = options.nodes ?? 2;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new UsageError(`--nodes takes a whole number from 1 to ${MAX_NODES}, not "${nodes}"`);
  }
  const base = options.base ?? '127.0.0.2';
  const first = ipv4ToInt(base);
  if (first === undefined || first >>> 24 !== 127) {
    throw new UsageError(
      `--base must be a loopback address in 127.0.0.0/8 (the lab binds nowhere else), not "${base}"`,
    );
  }
  const hostile = options.hostile ?? false;
  const last = first + addressesUsed(nodes, hostile) - 1;
  if (last >>> 24 !== 127 || (last & 0xffffff) === 0xffffff || (first & 0xffffff) === 0) {
    throw new UsageError(
      `--base ${base}: the lab needs ${addressesUsed(nodes, hostile)} addresses inside 127.0.0.1-127.255.255.254`,
    );
  }
  const mode = options.etcd ?? 'auto';
  if (!ETCD_MODES.includes(mode)) {
    throw new UsageError(`--etcd takes one of ${ETCD_MODES.join(', ')}, not "${mode}"`);
  }
  const installed = mode === 'auto' || mode === 'real' ? findExecutable('etcd') : undefined;
  if (mode === 'real' && !installed) {
    throw new UsageError('--etcd real: etcd is not installed (Debian package etcd-server); use --etcd simulated');
  }
  // A pod with a read-only root filesystem or a user whose TMPDIR is not writable still gets a lab.
  const binary = installed && writable(tmpdir()) ? installed : undefined;
  if (mode === 'real' && !binary) {
    throw new UsageError(
      `--etcd real: etcd keeps its data in ${tmpdir()}, which is not writable; set TMPDIR or use --etcd simulated`,
    );
  }
  const etcd = mode === 'off' ? 'off' : binary ? 'real' : 'simulated';
  if (options.version !== undefined && !/^v\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(options.version)) {
    throw new UsageError(`version "${options.version}" is not a Kubernetes version like v1.32.4`);
  }
  const namespaceTerminationMs = options.namespaceTerminationMs ?? 0;
  if (!Number.isFinite(namespaceTerminationMs) || namespaceTerminationMs < 0) {
    throw new UsageError(`namespaceTerminationMs takes a number of milliseconds, not "${namespaceTerminationMs}"`);
  }
  const nodeOs = options.nodeOs ?? 'linux';
  if (!NODE_OSES.includes(nodeOs)) {
    throw new UsageError(`--node-os takes one of ${NODE_OSES.join(', ')}, not "${nodeOs}"`);
  }
  const scale = resolveScale(options.scale);
  if (scale?.workloadPods && !scale.workloads) {
    throw new UsageError("--workload-pods needs --workloads: the pods are the workloads' pods");
  }
  const apiNodes = scale?.apiNodes ?? 0;
  if (apiNodes > 0 && ((last + apiNodes) >>> 24 !== 127 || ((last + apiNodes) & 0xffffff) === 0xffffff)) {
    throw new UsageError(
      `--api-nodes ${apiNodes}: their addresses follow the lab's (from ${intToIpv4(last + 1)}) and must stay inside 127.0.0.1-127.255.255.254`,
    );
  }
  return {
    profile,
    nodes,
    base,
    log: options.log,
    etcd,
    etcdBinary: binary,
    hostile,
    nodeLocalDns: options.nodeLocalDns ?? false,
    version: options.version,
    namespaceTerminationMs,
    nodeOs,
    ...(scale && { scale }),
    ...(options.faults?.length && { faults: options.faults.map(checkFault) }),
  };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The most of each kind of object a lab adds: far past any test, short of exhausting a machine. */
export const MAX_SCALE = 1_000_000;

const SCALE_FLAGS: Record<keyof LabScale, string> = {
  podsPerNode: '--pods-per-node',
  secrets: '--secrets',
  namespaces: '--namespaces',
  roles: '--roles',
  pendingPods: '--pending-pods',
  apiNodes: '--api-nodes',
  workloads: '--workloads',
  workloadPods: '--workload-pods',
  seed: '--seed',
};

/** The scale options that are set among `flags` (0 counts as set), or undefined when none is. */
export function scaleOf(flags: LabScale): LabScale | undefined {
  const set = (Object.keys(SCALE_FLAGS) as (keyof LabScale)[]).filter((k) => flags[k] !== undefined);
  return set.length > 0 ? Object.fromEntries(set.map((k) => [k, flags[k]])) : undefined;
}

/** A fault given in code is held to what `--fault` accepts. */
function checkFault(f: FaultSpec): FaultSpec {
  const bad = (why: string) => new UsageError(`fault on port ${f.port}: ${why}`);
  if (!Number.isInteger(f.port) || f.port < 1 || f.port > 65_535) throw bad('not a port');
  for (const [key, value] of Object.entries({
    latencyMs: f.latencyMs,
    jitterMs: f.jitterMs,
    stallFirst: f.stallFirst,
  })) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw bad(`${key} must be a number from 0`);
  }
  if (f.resetShare !== undefined && !(f.resetShare >= 0 && f.resetShare <= 1))
    throw bad('resetShare is a share from 0 to 1');
  if (f.trickle && !(f.trickle.bytes >= 1 && f.trickle.everyMs >= 0))
    throw bad('trickle needs bytes ≥ 1 and everyMs ≥ 0');
  return { ...f };
}

function resolveScale(scale: LabScale | undefined): LabScale | undefined {
  if (!scale) return undefined;
  for (const [key, flag] of Object.entries(SCALE_FLAGS) as [keyof LabScale, string][]) {
    const n = scale[key];
    if (n === undefined) continue;
    const max = key === 'seed' ? 2 ** 32 - 1 : MAX_SCALE;
    if (!Number.isInteger(n) || n < 0 || n > max) {
      throw new UsageError(`${flag} takes a whole number from 0 to ${max}, not "${n}"`);
    }
  }
  return { ...scale };
}
