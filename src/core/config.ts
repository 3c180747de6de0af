import type { AddressRange } from '../net/scope.js';
import type { Severity } from './events.js';

/** One thing the user named: an address range (a single address is a range of one) or a hostname. */
export type Target =
  | { kind: 'range'; range: AddressRange; port?: number; label: string }
  | { kind: 'hostname'; hostname: string; port?: number; label: string };

/** Core ports kube-hunter probed; `--quick` scans only these. */
export const CORE_PORTS = [443, 2379, 6443, 8001, 8080, 10250, 10255, 30000] as const;

/**
 * The default scan: the core ports plus those kube-hunter misses where Kubernetes components and the
 * services a cluster commonly exposes listen. What answers on each is decided by fingerprinting, not by
 * the number: Argo CD, for one, hides behind 443 or 8080.
 */
export const DEFAULT_PORTS = [
  ...CORE_PORTS,
  2380, // etcd peer
  3000, // Grafana
  3100, // Loki
  4194, // cAdvisor
  8443, // API server and dashboard alternative
  9090, // Prometheus
  9100, // node-exporter
  10249, // kube-proxy metrics
  10256, // kube-proxy health
  10257, // kube-controller-manager
  10259, // kube-scheduler
].sort((a, b) => a - b);

/**
 * Where cloud instance metadata is served: AWS, Azure and GCP alike (metadata.google.internal resolves
 * here). It joins the scope only when a hunt has `cloud` set.
 */
export const CLOUD_METADATA_ENDPOINT = { host: '169.254.169.254', port: 80 } as const;

/** The default memory budget, MiB: a 512 MiB pod's limit less room for what the process holds outside it. */
export const DEFAULT_MAX_MEMORY_MIB = 448;

/** Everything a hunt needs, validated. The CLI builds it; library callers and tests build it directly. */
export interface HuntConfig {
  targets: Target[];
  /** Extra scope beyond the targets (e.g. a node CIDR for --discover-nodes). */
  scope: string[];
  /** Name servers (`host:port`) to resolve hostnames with instead of the system's resolver; empty for the system's. */
  dnsServers: string[];
  ports: number[];
  /**
   * TCP connections in flight during the port scan. The default, 2048, sweeps a filtered /24 × 8 ports in
   * one round of connect timeouts (bench/concurrency.sh); past the open-file limit the scan backs off.
   */
  concurrency: number;
  /** Connections per second; 0 for no limit. */
  rate: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** TLS handshake deadline once TCP connected; absent: half of requestTimeoutMs, at least connectTimeoutMs. */
  handshakeTimeoutMs?: number;
  hunterTimeoutMs: number;
  /** Hunter runs in flight, overall and per host. */
  hunterConcurrency: number;
  perHostConcurrency: number;
  maxBodyBytes: number;
  /**
   * The run's memory budget (resident set), bytes: near it, new hunter runs and fingerprints wait, and
   * what could not start is a CoverageGap 'budget'. 0 for none. The default fits a 512 MiB pod.
   */
  maxMemoryBytes: number;
  active: boolean;
  /** Consent for active hunting without a prompt. */
  yes: boolean;
  dryRun: boolean;
  /** The undo journal of active hunting; default `.kubeferret/journal/<runId>.jsonl`. */
  journalPath?: string;
  /** How long undoing a deletion waits for the object to be gone (a Terminating namespace), ms. */
  undoWaitMs?: number;
  /** The run's id; a fresh one when absent. */
  runId?: string;
  tracePath?: string;
  allowLarge: boolean;
  failOn: Severity | 'none';
  /** Possible findings (a condition not checked) count for `failOn` too; by default they do not. */
  failOnPossible: boolean;
  quiet: boolean;
  debug: boolean;
  includePatchedVersions: boolean;
  /** Also gather facts from this machine (the version of kubectl on the PATH). */
  local: boolean;
  cloud: boolean;
  /** With `cloud`: ask this endpoint instead of CLOUD_METADATA_ENDPOINT (a loopback stand-in in tests). */
  cloudMetadata?: { host: string; port: number };
  /** Feature settings (vantage points, path overrides), keyed by feature. */
  extra: Record<string, unknown>;
}

/** The defaults, with every override that is not undefined applied. */
export function defaultConfig(overrides: Partial<HuntConfig> = {}): HuntConfig {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    targets: [],
    scope: [],
    dnsServers: [],
    ports: [...DEFAULT_PORTS],
    concurrency: 2048,
    rate: 0,
    connectTimeoutMs: 1500,
    requestTimeoutMs: 5000,
    hunterTimeoutMs: 30_000,
    hunterConcurrency: 64,
    perHostConcurrency: 8,
    maxBodyBytes: 1024 * 1024,
    maxMemoryBytes: DEFAULT_MAX_MEMORY_MIB * 1024 * 1024,
    active: false,
    yes: false,
    dryRun: false,
    allowLarge: false,
    failOn: 'high',
    failOnPossible: false,
    quiet: false,
    debug: false,
    includePatchedVersions: false,
    local: false,
    cloud: false,
    extra: {},
    ...given,
  };
}
