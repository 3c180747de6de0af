import cliProgress from 'cli-progress';
import type { HuntConfig } from '../core/config.js';
import type { ScanProgress } from '../discovery/index.js';
import type { HuntHooks } from '../run/hunt.js';

/** A live display for the hunt, and a `stop` to call once it ends. */
export interface ProgressDisplay {
  hooks: Pick<HuntHooks, 'onScanProgress' | 'onEvent' | 'onProblem' | 'onDebug'>;
  stop(): void;
}

/**
 * On a terminal, a progress bar on stderr: hosts scanned of the total, connections per second and
 * services found so far. Nothing at all when stderr is not a TTY or with --quiet, so pipes and CI logs
 * stay clean. The lines of `logs` (warnings, debug) are printed above the bar instead of through it.
 */
export function progressDisplay(
  config: HuntConfig,
  logs: HuntHooks,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressDisplay {
  if (!stream.isTTY || config.quiet) return { hooks: logs, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'scan {bar} {value}/{total} hosts | {rate} conn/s | {services} services | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let services = 0;
  let probes = 0;
  let active = false;
  const payload = () => ({
    services,
    rate: Math.round(probes / Math.max(0.001, (performance.now() - started) / 1000)),
  });
  const above = (print: ((line: string) => void) | undefined) =>
    print &&
    ((line: string) => {
      if (active) stream.write('\r\x1b[K');
      print(line);
      if (active) bar.render();
    });
  return {
    hooks: {
      onScanProgress: (p: ScanProgress) => {
        probes = p.probes;
        if (!active) {
          bar.start(p.hostsTotal, p.hostsDone, payload());
          active = true;
        } else bar.update(p.hostsDone, payload());
      },
      onEvent: (e) => {
        logs.onEvent?.(e);
        if (e.type !== 'ServiceFound') return;
        services++;
        if (active) bar.update(payload());
      },
      onProblem: above(logs.onProblem),
      onDebug: above(logs.onDebug),
    },
    stop: () => {
      if (active) bar.stop();
      active = false;
    },
  };
}
