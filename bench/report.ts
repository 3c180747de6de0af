// How long each report format takes for a large report, against a reference in the same run: writing the
// same report with JSON.stringify (no format can beat it by much; the ratio says what a format costs on
// top). Goal: every format under 3 s for 10,000 findings, from the shell (`kubeferret report X --format F`).
// Run: node --import tsx bench/report.ts [findings=10000] [rounds=3]
// No network at all: the report is built in memory (test/report/large-report.ts) and written to a temp dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMAT_NAMES, render } from '../src/report/formats.js';
import { drawnGraph } from '../src/report/graph-view.js';
import { parseReport } from '../src/report/load.js';
import { largeReport } from '../test/report/large-report.js';

const findings = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall and CPU milliseconds of `rounds` calls; CPU is the figure a loaded machine disturbs least. */
function measure(f: () => unknown): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f();
    walls.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

const report = largeReport({ findings });
const view = drawnGraph(report.graph);
console.log(
  `${report.findings.length} findings on ${report.hosts.length} hosts, ${report.graph.nodes.length} graph nodes in the model, ` +
    `${view.nodes.length} drawn (${view.grouped} findings in groups, ${view.collapsed} hosts as one box, ${view.omitted.findings} findings not drawn); load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
);

const opts = { color: false, quiet: false };
const json = JSON.stringify(report);
const ref = measure(() => JSON.stringify(report));
const row = (name: string, m: { wall: number; cpu: number }) =>
  console.log(
    `${name.padEnd(28)} ${m.wall.toFixed(0).padStart(6)} ms wall ${m.cpu.toFixed(0).padStart(6)} ms CPU   ×${(m.cpu / ref.cpu).toFixed(1)} of the reference's CPU`,
  );
console.log(`\nin process, median of ${rounds}:`);
row('reference JSON.stringify', ref);
row(
  'load (parse + validate)',
  measure(() => parseReport(json, 'report.json')),
);
for (const format of FORMAT_NAMES)
  row(
    format,
    measure(() => render(format, report, opts)),
  );

// From the shell, as a user runs it: Node, the CLI, loading and validating the file, rendering, writing.
// Reference: the CLI printing its version (Node and the CLI's start, nothing else).
const dir = mkdtempSync(join(tmpdir(), 'kf-bench-report-'));
try {
  const file = join(dir, 'report.json');
  writeFileSync(file, json);
  const cli = join(import.meta.dirname, '..', 'bin', 'kubeferret.js');
  const run = (args: string[]) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, cli, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    const [wall, user, sys, rssKb] = last.split(' ').map(Number);
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`kubeferret ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return { wall: wall * 1000, cpu: (user + sys) * 1000, rss: rssKb / 1024 };
  };
  console.log('\nfrom the shell, one run each (wall, CPU, peak memory):');
  const base = run(['--version']);
  const shell = (name: string, m: { wall: number; cpu: number; rss: number }) =>
    console.log(
      `${name.padEnd(28)} ${m.wall.toFixed(0).padStart(6)} ms wall ${m.cpu.toFixed(0).padStart(6)} ms CPU ${m.rss.toFixed(0).padStart(5)} MB   ` +
        `${(m.cpu / 1000).toFixed(2)} s of the 3 s goal in CPU, +${((m.cpu - base.cpu) / 1000).toFixed(2)} s over the CLI's start`,
    );
  shell('kubeferret --version', base);
  for (const format of FORMAT_NAMES) {
    shell(
      `report --format ${format}`,
      run(['report', file, '--format', format, '--output', join(dir, `out.${format}`)]),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
