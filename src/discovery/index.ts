import type { HuntConfig } from '../core/config.js';
import type { Engine } from '../core/engine.js';
import type { HuntHooks } from '../core/hunt.js';
import type { Network } from '../net/network.js';
import type { Scope } from '../net/scope.js';
import { portScan, probesOf } from './portscan.js';

export interface DiscoveryContext {
  config: HuntConfig;
  engine: Engine;
  network: Network;
  scope: Scope;
  signal: AbortSignal;
  hooks: HuntHooks;
}

/**
 * Turns what the user named into facts on the bus: PortOpen for every open port. Fingerprinting is done
 * by hunters subscribed to PortOpen, so it gets the engine's scheduling, timeouts and trace.
 */
export async function discover(ctx: DiscoveryContext): Promise<void> {
  const { config, engine, network, signal } = ctx;
  const addresses = new Map<string, string[]>();
  for (const t of config.targets) {
    if (t.kind !== 'hostname') continue;
    try {
      addresses.set(t.hostname, [await network.resolve('discovery', t.hostname)]);
    } catch (err) {
      ctx.hooks.onProblem?.(`target ${t.label}: ${(err as Error).message}`);
    }
  }
  await portScan(network, probesOf(config.targets, addresses, config.ports), {
    ports: config.ports,
    concurrency: config.concurrency,
    timeoutMs: config.connectTimeoutMs,
    signal,
    onOpen: ({ host, port }) => engine.publish('PortOpen', { host, port }, [], 'discovery'),
  });
}
