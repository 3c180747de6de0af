// CPU time per connect probe, through Node's TCP handle (what the scan uses) against a net.Socket per
// probe (what it used before, and its fallback) in the same run. Run inside a network namespace of its own:
// bench/probe-cpu.sh makes one, where 127.1.0.0/16 refuses every port and SYNs to 127.2.0.0/16 are dropped.
// Run: node --import tsx bench/probe-cpu.ts [hosts=4096] [ports=21]
import { loadavg } from 'node:os';
import { connectScan } from '../src/net/connect-scan.js';

const hostCount = Number(process.argv[2] ?? 4096);
const portCount = Number(process.argv[3] ?? 21);
const ports = Array.from({ length: portCount }, (_, i) => 10_000 + i);

function* hosts(prefix: string, count: number) {
  for (let i = 0; i < count; i++) yield { address: `${prefix}.${i >> 8}.${i & 255}`, ports };
}

async function run(prefix: string, count: number, sockets: boolean) {
  const c = process.cpuUsage();
  const t = performance.now();
  const stats = await connectScan(hosts(prefix, count), {
    concurrency: 1000,
    timeoutMs: 1500,
    sockets,
    admit: () => true,
    onOpen() {},
  });
  const d = process.cpuUsage(c);
  const cpu = (d.user + d.system) / 1000;
  return { probes: stats.probes, wall: performance.now() - t, cpu, perProbe: (cpu * 1000) / stats.probes };
}

console.log(`load ${loadavg()[0].toFixed(1)}; 1000 in flight, 1.5 s timeout`);
for (const [name, prefix, count] of [
  ['refused', '127.1', hostCount],
  ['filtered', '127.2', Math.ceil(hostCount / 16)],
] as const) {
  const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const sockets of [true, false])
    results[sockets ? 'net.Socket' : 'TCP handle'] = await run(prefix, count, sockets);
  const ref = results['net.Socket'].perProbe;
  for (const [how, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(9)} ${how.padEnd(11)} ${String(r.probes).padStart(7)} probes ${(r.wall / 1000).toFixed(1).padStart(5)} s wall ` +
        `${(r.cpu / 1000).toFixed(2).padStart(5)} s CPU ${r.perProbe.toFixed(1).padStart(5)} µs/probe  ×${(r.perProbe / ref).toFixed(2)}`,
    );
  }
}
