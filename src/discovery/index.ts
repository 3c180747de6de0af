import type { HuntConfig } from '../core/config.js';
import type { Engine } from '../core/engine.js';
import type { Network } from '../net/network.js';
import { normalizeAddress, type Scope } from '../net/scope.js';
import { type ExtraProbe, planScan } from './plan.js';
import type { Prepared } from './prepare.js';
import { vantageOf } from './vantage/identity.js';

export interface DiscoveryContext {
  config: HuntConfig;
  engine: Engine;
  network: Network;
  scope: Scope;
  prepared: Prepared;
  signal: AbortSignal;
  hooks: DiscoveryHooks;
}

/** What discovery tells the caller as it goes (the run's HuntHooks include these). */
export interface DiscoveryHooks {
  /** Called as the port scan advances (throttled), and once when it ends. */
  onScanProgress?: (progress: ScanProgress) => void;
}

/** How far the port scan is, for a progress display. */
export interface ScanProgress {
  hostsDone: number;
  hostsTotal: number;
  probes: number;
  probesTotal: number;
  open: number;
  done: boolean;
}

const PROGRESS_EVERY_MS = 100;

/**
 * Turns what the user named into facts on the bus: a Credential for each identity of a vantage point,
 * then PortOpen for every open port of the targets (and of the vantage points' API servers).
 * Fingerprinting is done by hunters subscribed to PortOpen, so it gets the engine's scheduling, timeouts
 * and trace, and starts while the scan is still running.
 */
export async function discover(ctx: DiscoveryContext): Promise<void> {
  const { config, engine, network, prepared, signal, hooks } = ctx;
  const extra: ExtraProbe[] = [];
  for (const id of vantageOf(config.extra).identities) {
    const server = id.server;
    const address = server && (normalizeAddress(server.host) ?? prepared.resolved.get(server.host.toLowerCase())?.[0]);
    if (server && address) extra.push({ address, port: server.port });
    engine.publish(
      'Credential',
      {
        name: id.name,
        source: id.source,
        apiServer: server && address ? { host: address, port: server.port, scheme: server.scheme } : undefined,
        ...(id.namespace ? { namespace: id.namespace } : {}),
        secret: id.secret(),
      },
      [],
      `vantage:${id.source}`,
    );
  }

  const plan = planScan(config.targets, prepared.resolved, config.ports, extra);
  const progress: ScanProgress = {
    hostsDone: 0,
    hostsTotal: plan.hostCount,
    probes: 0,
    probesTotal: plan.probeCount,
    open: 0,
    done: false,
  };
  let reported = 0;
  const report = (force = false) => {
    if (!hooks.onScanProgress) return;
    const now = performance.now();
    if (!force && now - reported < PROGRESS_EVERY_MS) return;
    reported = now;
    hooks.onScanProgress({ ...progress });
  };
  report(true);
  const stats = await network.connectScan('discovery', plan.hosts(), {
    concurrency: config.concurrency,
    timeoutMs: config.connectTimeoutMs,
    signal,
    onOpen: (host, port) => {
      progress.open++;
      engine.publish('PortOpen', { host, port }, [], 'discovery');
    },
    onHostDone: (_address, sofar) => {
      progress.hostsDone = sofar.hosts;
      progress.probes = sofar.probes;
      report();
    },
  });
  progress.probes = stats.probes;
  progress.done = true;
  report(true);
}
