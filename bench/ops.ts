// The operational-risk checks (issue 17) at a large cluster's size: a lab of 2,000 nodes, 5,000 workloads
// and 50,000 pods (`kubeferret lab --api-nodes --workloads`, in its own process), read here as
// apiserver-workloads reads it (the same sources, pages of 250, pods slimmed and every object kept until
// the checks run), then `opsFindings` over what was read, with its CPU time (process.cpuUsage) and the
// peak RSS of this process. References in the same run: the CPU spent on JSON.parse of the same pages
// (what merely reading the lists costs) and the goal (5 s of CPU, 300 MB). Then one whole
// `kubeferret hunt` as the lab's `reader` against the same lab, under /usr/bin/time: wall, CPU, peak RSS,
// findings by KB id and every coverage gap it reports; its reference is the same hunt without
// apiserver-workloads (`--skip`), the hunter that keeps every workload and pod until the checks run.
//
// Run: npm run build && node --expose-gc --import tsx bench/ops.ts [apiNodes=2000] [workloads=5000] [pods=50000]
//      [profile=default|vulnerable]
// (uses 127.143.200.0/21: the lab, then its API-only nodes' addresses, where nothing listens). It runs whatever opsFindings runs: rerun it after adding checks.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Item, OPS_SOURCES, type Source, WORKLOAD_SOURCES } from '../src/hunters/apiserver/workloads.js';
import { opsFindings } from '../src/hunters/ops/checks.js';
import { dnsConfigMap } from '../src/hunters/ops/dns.js';
import type { OpsObject } from '../src/hunters/ops/objects.js';
import { slimForOps } from '../src/hunters/ops/slim.js';
import { startLabProcess } from './lab-process.js';

const [apiNodes = 2000, workloads = 5000, pods = 50_000] = process.argv.slice(2, 5).map(Number);
/** The lab's profile: `default` (1.32; only the reader reads), or `vulnerable` (1.16; the insecure port and
 * anonymous read everything too, each with its own hunters). */
const profile = process.argv[5] ?? 'default';
const BASE = '127.143.200.2';
const TARGETS = '127.143.200.2-127.143.200.3';
const PAGE_LIMIT = 250; // as apiserver-workloads pages
const GOAL = { cpuMs: 5000, rssMb: 300 };
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kf-bench-ops-'));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function startLab() {
  return startLabProcess([
    '--profile',
    profile,
    '--nodes',
    '1',
    '--etcd',
    'off',
    '--base',
    BASE,
    '--api-nodes',
    String(apiNodes),
    '--workloads',
    String(workloads),
    '--workload-pods',
    String(pods),
    '--kubeconfigs',
    dir,
  ]);
}

interface Reader {
  server: URL;
  token: string;
  agent: https.Agent;
}

function readerOf(file: string): Reader {
  const config = parseYaml(readFileSync(file, 'utf8'));
  const cluster = config.clusters[0].cluster;
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
  return {
    server: new URL(cluster.server),
    token: config.users[0].user.token,
    agent: new https.Agent({ keepAlive: true, ca }),
  };
}

function get(reader: Reader, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      new URL(path, reader.server),
      { agent: reader.agent, headers: { authorization: `Bearer ${reader.token}`, accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Reads every source as apiserver-workloads does and keeps what it keeps for the checks. */
async function readAsTheHunter(reader: Reader) {
  const objects: OpsObject[] = [];
  const counts: Record<string, number> = {};
  let parseCpu = 0;
  let bytes = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  // What the hunter keeps of each item (src/hunters/apiserver/workloads.ts): workloads and pods slimmed,
  // the ConfigMaps the DNS checks read, the autoscalers and priority classes whole, the nodes slimmed.
  type Keep = (item: Item) => OpsObject['item'] | undefined;
  const sources: [Source, Keep][] = [
    ...WORKLOAD_SOURCES.map((s): [Source, Keep] => [
      s,
      s.spec ? (item) => slimForOps(s.kind, item) : (item) => (dnsConfigMap({ kind: s.kind, item }) ? item : undefined),
    ]),
    ...OPS_SOURCES.map((s): [Source, Keep] => [s, (item) => (s.slim ? s.slim(item) : item)]),
  ];
  for (const [source, keep] of sources) {
    let next: string | undefined;
    do {
      const page = next === undefined ? '' : `&continue=${encodeURIComponent(next)}`;
      const res = await get(reader, `${source.api}/${source.resource}?limit=${PAGE_LIMIT}${page}`);
      if (res.status !== 200) {
        console.log(`  ${source.resource}: HTTP ${res.status}, not read`);
        break;
      }
      bytes += res.text.length;
      const p0 = process.cpuUsage();
      const body = JSON.parse(res.text) as { items: Item[]; metadata?: { continue?: string } };
      parseCpu += cpuMs(process.cpuUsage(p0));
      counts[source.kind] = (counts[source.kind] ?? 0) + body.items.length;
      for (const item of body.items) {
        const kept = keep(item);
        if (kept) objects.push({ kind: source.kind, item: kept });
      }
      next = body.metadata?.continue || undefined;
    } while (next);
  }
  return { objects, counts, parseCpu, bytes, wallMs: performance.now() - started, cpu: cpuMs(process.cpuUsage(cpu0)) };
}

/** One `kubeferret hunt` as reader, under /usr/bin/time -v; its report as JSON. */
async function hunt(extra: string[] = []): Promise<{
  wallS: number;
  cpuS: number;
  rssMb: number;
  report: {
    findings: { kb: string }[];
    coverage: { hunter: string; subject: string; reason: string; detail: string }[];
    notContacted: unknown[];
    problems: unknown[];
  };
}> {
  const output = join(dir, 'report.json');
  const child = spawn(
    '/usr/bin/time',
    [
      '-v',
      process.execPath,
      'bin/kubeferret.js',
      'hunt',
      TARGETS,
      '--kubeconfig',
      join(dir, 'reader.kubeconfig'),
      '--format',
      'json',
      '--output',
      output,
      '--fail-on',
      'none',
      '--quiet',
      ...extra,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  await once(child, 'close');
  const field = (name: string) => new RegExp(`${name}: (.+)`).exec(err)?.[1]?.trim() ?? '';
  const clock = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)')
    .split(':')
    .map(Number)
    .reduce((a, b) => a * 60 + b, 0);
  if (child.exitCode !== 0) console.log(err);
  return {
    wallS: clock,
    cpuS: Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)')),
    rssMb: Math.round(Number(field('Maximum resident set size \\(kbytes\\)')) / 1024),
    report: JSON.parse(readFileSync(output, 'utf8')),
  };
}

const tally = (list: string[]) => {
  const out = new Map<string, number>();
  for (const k of list) out.set(k, (out.get(k) ?? 0) + 1);
  return [...out].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
};

const lab = await startLab();
try {
  console.log(
    `lab (${profile}): ${apiNodes} API-only nodes, ${workloads} workloads, ${pods} pods; started in ${(lab.startMs / 1000).toFixed(1)} s`,
  );
  const reader = readerOf(join(dir, 'reader.kubeconfig'));
  gc();
  const before = process.memoryUsage();
  console.log(`this process before reading: RSS ${mb(before.rss)} MB, heap ${mb(before.heapUsed)} MB`);
  const read = await readAsTheHunter(reader);
  reader.agent.destroy();
  gc();
  const held = process.memoryUsage();
  console.log(
    `read as apiserver-workloads: ${Object.entries(read.counts)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}; ${mb(read.bytes)} MB of JSON in ${(read.wallMs / 1000).toFixed(1)} s (CPU ${Math.round(read.cpu)} ms)`,
  );
  console.log(
    `kept for the checks: ${read.objects.length} objects, ${mb(held.heapUsed - before.heapUsed)} MB of heap (RSS ${mb(held.rss)} MB)`,
  );
  const runs: number[] = [];
  let findings: ReturnType<typeof opsFindings> = [];
  for (let i = 0; i < 3; i++) {
    const c0 = process.cpuUsage();
    findings = opsFindings(read.objects, 'live', { minor: 32 });
    runs.push(cpuMs(process.cpuUsage(c0)));
  }
  const checksCpu = runs[0];
  const peakRss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`findings: ${tally(findings.map((f) => f.kb))}`);
  console.log('');
  console.log('| measure                                   | value    | reference                         | ratio |');
  console.log('| ----------------------------------------- | -------- | --------------------------------- | ----- |');
  const row = (what: string, value: string, ref: string, ratio: number) =>
    console.log(`| ${what.padEnd(41)} | ${value.padEnd(8)} | ${ref.padEnd(33)} | ${ratio.toFixed(2).padStart(5)} |`);
  row(
    'opsFindings CPU, first run',
    `${Math.round(checksCpu)} ms`,
    `JSON.parse of the pages ${Math.round(read.parseCpu)} ms`,
    checksCpu / read.parseCpu,
  );
  row('opsFindings CPU, first run', `${Math.round(checksCpu)} ms`, 'goal 5000 ms', checksCpu / GOAL.cpuMs);
  row(
    'opsFindings CPU, runs 2 and 3',
    `${runs
      .slice(1)
      .map((r) => Math.round(r))
      .join(', ')} ms`,
    'goal 5000 ms',
    Math.max(...runs.slice(1)) / GOAL.cpuMs,
  );
  row('peak RSS: read, keep, check', `${peakRss} MB`, 'goal 300 MB', peakRss / GOAL.rssMb);

  // The reference: the same hunt without the hunter that keeps every workload and pod for the checks.
  const without = await hunt(['--skip', 'apiserver-workloads']);
  const whole = await hunt();
  console.log('');
  console.log(
    `whole hunt of the ${profile} lab (${TARGETS}, with reader.kubeconfig; the vulnerable lab also lets in ` +
      'anonymous and the insecure port), each in its own process:',
  );
  console.log('| hunt                               | wall    | CPU     | peak RSS | × goal 300 MB | findings |');
  console.log('| ---------------------------------- | ------- | ------- | -------- | ------------- | -------- |');
  for (const [what, h] of [
    ['without apiserver-workloads (ref.)', without],
    ['whole', whole],
  ] as const)
    console.log(
      `| ${what.padEnd(34)} | ${`${h.wallS.toFixed(1)} s`.padEnd(7)} | ${`${h.cpuS.toFixed(1)} s`.padEnd(7)} | ${`${h.rssMb} MB`.padEnd(8)} | ${(h.rssMb / GOAL.rssMb).toFixed(2).padEnd(13)} | ${String(h.report.findings.length).padEnd(8)} |`,
    );
  const kbs = whole.report.findings.map((f) => f.kb);
  console.log(`  KF-OPS: ${tally(kbs.filter((k) => k.startsWith('KF-OPS')))}`);
  console.log(`  others: ${tally(kbs.filter((k) => !k.startsWith('KF-OPS')))}`);
  console.log(
    `  seen, not contacted: ${whole.report.notContacted.length}; problems: ${whole.report.problems.length}; coverage gaps: ${whole.report.coverage.length}`,
  );
  for (const g of whole.report.coverage) console.log(`  gap: ${g.hunter} ${g.subject} ${g.reason}: ${g.detail}`);
  for (const p of whole.report.problems) console.log(`  problem: ${JSON.stringify(p).slice(0, 300)}`);
  console.log(
    `machine load (1, 5, 15 min): ${loadavg()
      .map((l) => l.toFixed(1))
      .join(', ')} on ${cpus().length} cores`,
  );
  const met = checksCpu < GOAL.cpuMs && peakRss < GOAL.rssMb;
  console.log(met ? 'OK: the checks under 5 s of CPU and 300 MB' : 'NOT MET');
  process.exitCode = met ? 0 : 1;
} finally {
  lab.child.kill('SIGTERM');
  if (lab.child.exitCode === null) await once(lab.child, 'exit');
  rmSync(dir, { recursive: true, force: true });
}
