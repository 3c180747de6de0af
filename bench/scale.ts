// Hunts a lab the size of a real cluster and a plain lab, each started by `kubeferret lab` in its own
// process, each hunted by `kubeferret hunt` of the build in its own process, as users run it, under GNU
// time for its peak RSS: every finding of the plain lab must be found in the large one (same id and
// location), with no coverage gap; prints wall time and peak RSS of both hunts and their ratio. Goal: peak
// RSS of the large hunt under 300 MB. (bench/scale-hunt.ts runs one hunt from the sources through tsx,
// with a trace, memory samples and a heap snapshot, to see where time and memory go.)
//
// Run: npm run build && node --import tsx bench/scale.ts [podsPerNode] [secrets] [namespaces] [hunterTimeoutSeconds]
// (uses 127.91.0.0/16; SCALE_BASE=127.153.0.2 moves the labs, for two runs at once). Default: 100,000 pods
// on one node, 50,000 Secrets, 20,000 namespaces, and the hunt's default --hunter-timeout (30 s).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLabProcess } from './lab-process.js';

const [pods = 100_000, secrets = 50_000, namespaces = 20_000, hunterTimeout] = process.argv.slice(2).map(Number);
const BASE = process.env.SCALE_BASE ?? '127.91.0.2';
const TARGETS = `${BASE}-${BASE.replace(/\d+$/, (n) => String(Number(n) + 1))}`;
const root = fileURLToPath(new URL('..', import.meta.url));

interface HuntOutcome {
  wallMs: number;
  peakRssMb: number;
  findings: string[];
  evidence: Record<string, string>;
  gaps: string[];
  problems: string[];
  services: string[];
}

function startLab(extra: string[]) {
  return startLabProcess(['--nodes', '1', '--etcd', 'simulated', '--base', BASE, ...extra]);
}

async function stopLab(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
}

/** What the JSON report says, as far as this bench compares it. */
interface Report {
  findings: {
    kb: string;
    host?: string;
    port?: number;
    path?: string;
    object?: string;
    identity?: string;
    severity: string;
    evidence: string;
  }[];
  coverage: { hunter: string; host?: string; port?: number; subject: string; reason: string; detail: string }[];
  problems: { hunter: string; subject: string; kind: string; message: string }[];
  hosts: { address: string; services: { port: number; kind: string; evidence: string[] }[] }[];
}

async function hunt(): Promise<HuntOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'kf-scale-'));
  const report = join(dir, 'report.json');
  const timeout = hunterTimeout ? [`--hunter-timeout=${hunterTimeout}`] : [];
  const args = ['bin/kubeferret.js', 'hunt', TARGETS, '--format', 'json', '--output', report, '--fail-on', 'none'];
  const started = performance.now();
  // GNU time prints the peak RSS (KiB) on the last line of standard error.
  const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, ...args, ...timeout], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  for await (const chunk of child.stderr!) err += chunk;
  const wallMs = Math.round(performance.now() - started);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8')) as Report;
    return {
      wallMs,
      peakRssMb: Math.round(Number(err.trim().split('\n').at(-1)) / 1024),
      findings: r.findings.map((f) =>
        [f.kb, f.host ?? '', f.port ?? '', f.path ?? '', f.object ?? '', f.identity ?? '', f.severity].join(' '),
      ),
      evidence: Object.fromEntries(r.findings.map((f) => [`${f.kb} ${f.host ?? ''}:${f.port ?? ''}`, f.evidence])),
      gaps: r.coverage.map((g) => `${g.hunter} ${g.host ?? ''}:${g.port ?? ''} ${g.subject} ${g.reason}: ${g.detail}`),
      problems: r.problems.map((p) => `${p.hunter} ${p.subject} ${p.kind}: ${p.message}`),
      services: r.hosts.flatMap((h) =>
        h.services.map(
          (s) => `${h.address}:${s.port} ${s.kind}${s.kind === 'unknown' ? ` (${s.evidence.join('; ')})` : ''}`,
        ),
      ),
    };
  } catch (e) {
    throw new Error(`the hunt wrote no report (${e instanceof Error ? e.message : e}): ${err.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measured(label: string, extra: string[]): Promise<HuntOutcome> {
  const lab = await startLab(extra);
  try {
    const outcome = await hunt();
    console.log(
      `${label}: lab started in ${(lab.startMs / 1000).toFixed(1)} s; hunt ${(outcome.wallMs / 1000).toFixed(1)} s, ` +
        `peak RSS ${outcome.peakRssMb} MB, ${outcome.findings.length} findings, ${outcome.gaps.length} coverage gaps, ` +
        `${outcome.problems.length} problems`,
    );
    return outcome;
  } finally {
    await stopLab(lab.child);
  }
}

const plain = await measured('plain lab (1 node)', []);
const large = await measured(`large lab (${pods} pods on the node, ${secrets} Secrets, ${namespaces} namespaces)`, [
  '--pods-per-node',
  String(pods),
  '--secrets',
  String(secrets),
  '--namespaces',
  String(namespaces),
]);
// Certificates a lab issues at start carry the time in their CN (`lab-node-1@1796616465`, as kubelets do).
const location = (f: string) => f.replace(/@\d+/g, '@…');
const found = new Set(large.findings.map(location));
const missing = plain.findings.filter((f) => !found.has(location(f)));
console.log(
  `ratio large/plain: wall ${(large.wallMs / plain.wallMs).toFixed(2)}, peak RSS ${(large.peakRssMb / plain.peakRssMb).toFixed(2)}`,
);
for (const f of missing) console.log(`  missing in the large lab: ${f}`);
// A gap the plain lab has too (Pod Security exemptions, not readable at any size) is not the size's doing.
const gapKey = (g: string) => g.split(': ')[0];
const plainGaps = new Set(plain.gaps.map(gapKey));
const sizeGaps = large.gaps.filter((g) => !plainGaps.has(gapKey(g)));
for (const g of large.gaps)
  console.log(`  coverage gap${plainGaps.has(gapKey(g)) ? ' (the plain lab too)' : ''}: ${g}`);
for (const p of large.problems) console.log(`  problem: ${p}`);
const identified = new Set(large.services);
for (const s of plain.services.filter((s) => !identified.has(s)))
  console.log(`  identified in the plain lab only: ${s}`);
for (const s of large.services.filter((s) => s.includes(' unknown'))) console.log(`  unidentified: ${s}`);
console.log(
  `machine load (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')} on ${cpus().length} cores`,
);
const ok = missing.length === 0 && sizeGaps.length === 0 && large.peakRssMb < 300;
console.log(ok ? 'OK: every finding present, no coverage gap the size caused, peak RSS under 300 MB' : 'NOT MET');
process.exitCode = ok ? 0 : 1;
