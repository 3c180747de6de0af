// Hunts a lab the size of a real cluster and a plain lab, each started by `kubeferret lab` in its own
// process, each hunt in its own process (bench/scale-hunt.ts): every finding of the plain lab must be found
// in the large one (same id and location), with no coverage gap; prints wall time and peak RSS of both
// hunts and their ratio. Goal: peak RSS of the large hunt under 300 MB.
//
// Run: node --import tsx bench/scale.ts [podsPerNode] [secrets] [namespaces] [hunterTimeoutSeconds]
// (uses 127.91.0.0/16). Default: 100,000 pods on one node, 50,000 Secrets, 20,000 namespaces, and the
// hunt's default --hunter-timeout (30 s).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startLabProcess } from './lab-process.js';

const [pods = 100_000, secrets = 50_000, namespaces = 20_000, hunterTimeout] = process.argv.slice(2).map(Number);
const BASE = '127.91.0.2';
const TARGETS = '127.91.0.2-127.91.0.3';
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

async function hunt(): Promise<HuntOutcome> {
  const timeout = hunterTimeout ? [`--hunter-timeout=${hunterTimeout}`] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/scale-hunt.ts', ...timeout, TARGETS], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout!) out += chunk;
  return JSON.parse(out.trim().split('\n').at(-1)!) as HuntOutcome;
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
