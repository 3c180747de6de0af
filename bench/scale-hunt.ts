// One hunt as `kubeferret hunt TARGETS` runs it (default ports, timeouts and hunters), in its own process so
// its peak RSS is its own; prints one JSON line: findings, coverage gaps, problems, wall time, peak RSS.
// Used by bench/scale.ts. Run: node --import tsx bench/scale-hunt.ts [--hunter-timeout=S] [--trace=FILE] 127.91.0.2-127.91.0.3
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { defaultConfig } from '../src/core/config.js';
import type { KfEvent } from '../src/core/events.js';
import { parseTarget } from '../src/discovery/targets.js';
import { HUNTERS } from '../src/hunters/index.js';
import { runHunt } from '../src/run/hunt.js';

const started = performance.now();
const args = process.argv.slice(2);
const timeout = args.find((a) => a.startsWith('--hunter-timeout='));
const trace = args.find((a) => a.startsWith('--trace='));
const memory = args.find((a) => a.startsWith('--memory='));
// --snapshot=MB (diagnostics): a heap snapshot in the temporary directory the first time RSS passes MB.
const snapshot = args.find((a) => a.startsWith('--snapshot='));
let snapshotAt = snapshot ? Number(snapshot.slice('--snapshot='.length)) * 1e6 : Number.POSITIVE_INFINITY;
// --memory=FILE: process.memoryUsage() every 20 ms as JSON lines (time, MB), to see which phase holds what.
const samples: string[] = [];
const sampler =
  memory &&
  setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > snapshotAt) {
      snapshotAt = Number.POSITIVE_INFINITY;
      console.error(
        `heap snapshot at ${Math.round(m.rss / 1e6)} MB: ${writeHeapSnapshot(join(tmpdir(), `scale-hunt-${Date.now()}.heapsnapshot`))}`,
      );
    }
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    samples.push(
      JSON.stringify({
        time: new Date().toISOString(),
        rss: mb(m.rss),
        heapUsed: mb(m.heapUsed),
        heapTotal: mb(m.heapTotal),
        external: mb(m.external),
        arrayBuffers: mb(m.arrayBuffers),
        ...Object.fromEntries(getHeapSpaceStatistics().map((h) => [h.space_name, mb(h.space_size)])),
      }),
    );
  }, 20);
const result = await runHunt(
  defaultConfig({
    targets: args.filter((a) => !a.startsWith('--')).map(parseTarget),
    ...(timeout && { hunterTimeoutMs: Number(timeout.split('=')[1]) * 1000 }),
    ...(trace && { tracePath: trace.slice('--trace='.length) }),
  }),
  HUNTERS,
);
if (sampler) {
  clearInterval(sampler);
  writeFileSync(memory.slice('--memory='.length), `${samples.join('\n')}\n`);
}
const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
const gaps = result.events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap');
console.log(
  JSON.stringify({
    wallMs: Math.round(performance.now() - started),
    // maxRSS is in KiB.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    findings: findings.map((f) =>
      [f.kb, f.host ?? '', f.port ?? '', f.path ?? '', f.object ?? '', f.identity ?? '', f.severity ?? ''].join(' '),
    ),
    evidence: Object.fromEntries(findings.map((f) => [`${f.kb} ${f.host ?? ''}:${f.port ?? ''}`, f.evidence])),
    gaps: gaps.map((g) => `${g.hunter} ${g.host ?? ''}:${g.port ?? ''} ${g.subject} ${g.reason}: ${g.detail}`),
    problems: result.problems.map((p) => `${p.hunter} ${p.subject} ${p.kind}: ${p.message}`),
    services: result.events
      .filter((e): e is KfEvent<'ServiceFound'> => e.type === 'ServiceFound')
      .map((s) => `${s.host}:${s.port} ${s.kind}${s.kind === 'unknown' ? ` (${s.evidence.join('; ')})` : ''}`),
  }),
);
