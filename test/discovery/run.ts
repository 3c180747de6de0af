import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import type { AnyHunter } from '../../src/core/hunter.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { type HuntResult, runHunt } from '../../src/run/hunt.js';

/** Runs discovery (scan and fingerprinting) on the targets, as `kubeferret discover` does. */
export async function discoverTargets(
  targets: string[],
  overrides: Partial<HuntConfig> = {},
  hunters: readonly AnyHunter[] = discoveryHunters,
): Promise<HuntResult & { warnings: string[] }> {
  const warnings: string[] = [];
  const config = defaultConfig({ targets: targets.map(parseTarget), requestTimeoutMs: 4000, ...overrides });
  const result = await runHunt(config, hunters, { onProblem: (line) => warnings.push(line) });
  return { ...result, warnings };
}

export function eventsOf<K extends KfEvent['type']>(result: HuntResult, type: K): KfEvent<K>[] {
  return result.events.filter((e): e is KfEvent<K> => e.type === type);
}

/** The one ServiceFound for host:port, or a failure that lists what was found instead. */
export function serviceAt(result: HuntResult, host: string, port: number): KfEvent<'ServiceFound'> {
  const all = eventsOf(result, 'ServiceFound');
  const found = all.find((s) => s.host === host && s.port === port);
  if (!found) {
    throw new Error(
      `no service at ${host}:${port}; found ${all.map((s) => `${s.host}:${s.port}`).join(', ') || 'none'}`,
    );
  }
  return found;
}
