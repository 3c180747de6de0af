import { newRunId } from '../active/naming.js';
import { CLOUD_METADATA_ENDPOINT, type HuntConfig } from '../core/config.js';
import { Engine, type EngineStats } from '../core/engine.js';
import type { KfEvent } from '../core/events.js';
import type { AnyHunter, HuntOptions, PodInterface } from '../core/hunter.js';
import { Redactor } from '../core/redact.js';
import type { HuntResult } from '../core/result.js';
import { type DiscoveryHooks, discover, type ScanProgress } from '../discovery/index.js';
import { prepareScope } from '../discovery/prepare.js';
import { vantageOf } from '../discovery/vantage/identity.js';
import { Network } from '../net/network.js';
import { dnsServerResolver, systemResolver } from '../net/resolve.js';
import { Scope } from '../net/scope.js';
import { Trace } from '../net/trace.js';

export type { HuntResult };

export interface HuntHooks extends DiscoveryHooks {
  /** A warning line, already redacted. */
  onProblem?: (line: string) => void;
  onEvent?: (event: KfEvent) => void;
  /** A debug line, already redacted. */
  onDebug?: (line: string) => void;
  /** Aborting it stops the hunt (Ctrl-C): running hunters are aborted, the result is still returned. */
  signal?: AbortSignal;
}

/** The metadata endpoint cloud hunters ask, or undefined without `cloud`: then it is not in the scope either. */
export function cloudMetadataOf(config: HuntConfig): { host: string; port: number } | undefined {
  return config.cloud ? (config.cloudMetadata ?? CLOUD_METADATA_ENDPOINT) : undefined;
}

/**
 * The options hunters read, each named: the run's settings, and the few that tests and special runs put
 * in the config's `extra` bag (read and checked here, once, rather than cast by each hunter).
 */
export function huntOptionsOf(config: HuntConfig): HuntOptions {
  const { podRoot, podInterfaces, namespaceBudget } = config.extra;
  const options: HuntOptions = {
    active: config.active,
    includePatchedVersions: config.includePatchedVersions,
    local: config.local,
    cloud: config.cloud,
    ports: config.ports,
    discoverNodes: vantageOf(config.extra).discoverNodes,
  };
  const cloudMetadata = cloudMetadataOf(config);
  if (cloudMetadata) options.cloudMetadata = cloudMetadata;
  if (typeof podRoot === 'string') options.podRoot = podRoot;
  if (Array.isArray(podInterfaces)) options.podInterfaces = podInterfaces as PodInterface[];
  if (typeof namespaceBudget === 'number') options.namespaceBudget = namespaceBudget;
  return options;
}

/**
 * Runs one hunt: builds the scope from what the user declared, discovers services, lets the hunters
 * chain on the bus until it is idle, and returns every event with the run's statistics.
 */
export async function runHunt(
  config: HuntConfig,
  hunters: readonly AnyHunter[],
  given: HuntHooks = {},
): Promise<HuntResult> {
  const started = new Date();
  // One redactor for the run: it learns each Credential's secrets as the event is published, and what the
  // run writes while it goes (warning and debug lines, the trace) passes through it.
  const redactor = new Redactor();
  const { onProblem, onDebug } = given;
  const hooks: HuntHooks = {
    ...given,
    onProblem: onProblem && ((line) => onProblem(redactor.text(line))),
    onDebug: onDebug && ((line) => onDebug(redactor.text(line))),
  };
  const scope = new Scope();
  for (const t of config.targets) if (t.kind === 'range') scope.add(t.range);
  for (const s of config.scope) scope.addText(s);
  const metadata = cloudMetadataOf(config);
  if (metadata) scope.addText(metadata.host);
  // Hostname targets and the API servers of vantage points join the scope before anything is contacted.
  const resolver = config.dnsServers.length > 0 ? dnsServerResolver(config.dnsServers) : systemResolver;
  const prepared = await prepareScope(config, scope, resolver, hooks.onProblem);

  const trace = new Trace(config.tracePath, redactor);
  const network = new Network({
    scope,
    trace,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    rate: config.rate,
    scanConcurrency: config.concurrency,
    resolver,
    pinned: prepared.resolved,
  });
  const selected = hunters.filter((h) => h.mode === 'passive' || config.active);
  const runId = config.runId ?? newRunId();
  // The active side (journal, change recorder) is loaded only for an active run.
  const activeModule = config.active ? await import('../active/index.js') : undefined;
  const active = activeModule?.openActiveRun(
    config,
    runId,
    network,
    activeModule.secretsFromEvents((filter) => engine.known('Credential', filter)),
    hooks.onDebug,
  );
  await trace.open();
  const engine = new Engine(selected, network, huntOptionsOf(config), {
    changes: active,
    runId,
    concurrency: config.hunterConcurrency,
    perHost: config.perHostConcurrency,
    hunterTimeoutMs: config.hunterTimeoutMs,
    ...(config.maxMemoryBytes > 0 && { maxMemoryBytes: config.maxMemoryBytes }),
    onProblem: hooks.onProblem,
    onEvent: (event) => {
      redactor.observe(event);
      hooks.onEvent?.(event);
    },
    onDebug: hooks.onDebug,
  });
  const onAbort = () => engine.stop('interrupted');
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  if (hooks.signal?.aborted) onAbort();

  let stats: EngineStats;
  // The scan's progress, kept to tell, after a stop, how much of it was never probed.
  let scan: ScanProgress | undefined;
  const discoveryHooks: HuntHooks = {
    ...hooks,
    onScanProgress: (progress) => {
      scan = progress;
      hooks.onScanProgress?.(progress);
    },
  };
  try {
    const release = engine.hold();
    engine.publish('HuntStarted', {}, [], 'hunt');
    for (const u of prepared.unresolved) {
      engine.publish(
        'CoverageGap',
        { hunter: 'discovery', subject: u.what, reason: 'error', detail: `${u.name} does not resolve (${u.why})` },
        [],
        'discovery',
      );
    }
    const discovery = discover({
      config,
      engine,
      network,
      scope,
      prepared,
      signal: engine.signal,
      hooks: discoveryHooks,
    }).finally(release);
    stats = await engine.run();
    await discovery;
    if (engine.stopped && scan && scan.probes < scan.probesTotal) {
      engine.publish(
        'CoverageGap',
        {
          hunter: 'discovery',
          subject: 'port scan',
          reason: 'skipped',
          detail: `stopped after ${scan.probes} of ${scan.probesTotal} probes (${scan.hostsDone} of ${scan.hostsTotal} hosts)`,
        },
        [],
        'discovery',
      );
    }
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    // Whatever is still in place is undone before the network closes, also when the run was stopped.
    await active?.settle(engine.stopped ? 'interrupted' : 'run-end');
    await network.close();
    await trace.close();
  }
  const ended = new Date();
  return {
    config,
    startedAt: started.toISOString(),
    endedAt: ended.toISOString(),
    durationMs: ended.getTime() - started.getTime(),
    events: engine.events,
    problems: engine.problems,
    scope: scope.labels(),
    trace: { path: config.tracePath, counts: trace.counts, connects: network.connects, refusals: trace.refusals },
    engine: stats,
    hunters: selected.map((h) => ({ id: h.id, title: h.title, mode: h.mode })),
    changes: active ? [...active.changes] : [],
    interrupted: engine.stopped,
    runId,
    plan: active ? [...active.plan] : [],
    ...(active?.journalWritten && { journal: { path: active.journalPath, pending: active.pending.length } }),
  };
}
