import type { HuntConfig } from '../core/config.js';
import { oneLine } from '../core/errors.js';
import type { NameResolver } from '../net/resolve.js';
import { normalizeAddress, parseRange, type Scope } from '../net/scope.js';
import { vantageOf } from './vantage/identity.js';

/** What was settled before the engine starts: every hostname with all the addresses it resolved to. */
export interface Prepared {
  resolved: Map<string, string[]>;
  /** Names that did not resolve: what the user named them as, and why (a coverage gap of the run). */
  unresolved: { name: string; what: string; why: string }[];
}

/**
 * Completes the scope before anything is contacted. A hostname the user named (a target, or the API
 * server of a kubeconfig context or of the pod) is resolved once, here; every address it resolves to is
 * the user's declared target and joins the scope. API servers named by address join it directly.
 * A name that does not resolve is reported in one line and the hunt goes on.
 */
export async function prepareScope(
  config: HuntConfig,
  scope: Scope,
  resolver: NameResolver,
  onProblem: (line: string) => void = () => undefined,
): Promise<Prepared> {
  const names = new Map<string, string>();
  for (const t of config.targets) if (t.kind === 'hostname') names.set(t.hostname, `target ${t.label}`);
  for (const id of vantageOf(config.extra).identities) {
    if (!id.server) continue;
    const literal = normalizeAddress(id.server.host);
    if (literal) scope.add(parseRange(literal));
    else if (!names.has(id.server.host.toLowerCase())) {
      names.set(id.server.host.toLowerCase(), `API server of ${id.name}`);
    }
  }
  const resolved = new Map<string, string[]>();
  const unresolved: Prepared['unresolved'] = [];
  await Promise.all(
    [...names].map(async ([name, what]) => {
      try {
        const addresses = await resolver(name);
        if (addresses.length === 0) throw new Error('no address');
        for (const a of addresses) scope.add(parseRange(a));
        resolved.set(name, addresses);
      } catch (err) {
        onProblem(`${what}: ${name} does not resolve (${oneLine(err)})`);
        unresolved.push({ name, what, why: oneLine(err) });
      }
    }),
  );
  return { resolved, unresolved };
}
