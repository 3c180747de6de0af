// Eight hostile hosts: every answer on Kubernetes ports is a 500 KB, 250,000-deep JSON document. Runs
// `kubeferret hunt` (the build, as a user runs it) against them under /usr/bin/time, and against the same
// eight hosts answering a small JSON /version (the reference), in the same run; prints each hunt's
// peak RSS, wall time, what it identified and what it reported as coverage.
// Run: npm run build && node --import tsx bench/hostile-json.ts [hosts=8] [more hunt flags, e.g. --max-memory 160]
// Only loopback: 127.127.1.0/24 (hostile) and 127.127.2.0/24 (reference).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedServing } from '../src/lab/pki.js';

const HOSTS = Number(process.argv[2] ?? 8);
const FLAGS = process.argv.slice(3);
const DEPTH = 250_000;
const HOSTILE = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
// The reference: the same hosts and ports answering as an API server's /version does (identified).
const PLAIN = JSON.stringify({ major: '1', minor: '30', gitVersion: 'v1.30.1', platform: 'linux/amd64' });
// Where components listen: the API server and kubelet over TLS, the read-only kubelet, insecure API, etcd.
const TLS_PORTS = [6443, 10250];
const PLAIN_PORTS = [8080, 10255, 2379];
const PORTS = [...TLS_PORTS, ...PLAIN_PORTS];

const { cert, key } = await selfSignedServing('hostile', ['localhost'], []);
const servers: Array<http.Server> = [];

async function serve(base: string, body: string): Promise<void> {
  const handler: http.RequestListener = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };
  for (let i = 1; i <= HOSTS; i++) {
    for (const port of PORTS) {
      const server = TLS_PORTS.includes(port) ? https.createServer({ cert, key }, handler) : http.createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, `${base}.${i}`, resolve));
      servers.push(server);
    }
  }
}

interface Hunt {
  label: string;
  wallS: number;
  peakMb: number;
  exit: number | null;
  services: string[];
  gaps: string[];
}

async function hunt(label: string, base: string, dir: string): Promise<Hunt> {
  const out = join(dir, `${label}.json`);
  const started = performance.now();
  // Not spawnSync: the servers answer from this process's event loop.
  const child = spawn(
    '/usr/bin/time',
    [
      '-v',
      process.execPath,
      'bin/kubeferret.js',
      'hunt',
      `${base}.1-${base}.${HOSTS}`,
      '--ports',
      PORTS.join(','),
      '--fail-on',
      'none',
      '--quiet',
      '--format',
      'json',
      '--output',
      out,
      ...FLAGS,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const run = { stderr, status };
  const wallS = (performance.now() - started) / 1000;
  const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? 'NaN');
  let report: {
    hosts?: Array<{ address: string; services: Array<{ port: number; kind: string }> }>;
    coverage?: Array<{ hunter: string; host?: string; port?: number; reason: string; detail: string }>;
  } = {};
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    console.error(`${label}: no report (exit ${run.status}): ${run.stderr.split('\n').slice(-5).join(' | ')}`);
  }
  const services = (report.hosts ?? []).flatMap((h) => h.services.map((s) => `${h.address}:${s.port} ${s.kind}`));
  const gaps = (report.coverage ?? []).map(
    (g) => `${g.hunter} ${g.host ?? ''}:${g.port ?? ''} ${g.reason}: ${g.detail}`,
  );
  return { label, wallS, peakMb: Math.round(peakKb / 1024), exit: run.status, services, gaps };
}

await serve('127.127.1', HOSTILE);
await serve('127.127.2', PLAIN);
const dir = mkdtempSync(join(tmpdir(), 'kf-hostile-'));
try {
  const reference = await hunt('plain', '127.127.2', dir);
  const hostile = await hunt('hostile', '127.127.1', dir);
  for (const h of [reference, hostile]) {
    const kinds = new Map<string, number>();
    for (const s of h.services) kinds.set(s.split(' ')[1], (kinds.get(s.split(' ')[1]) ?? 0) + 1);
    const reasons = new Map<string, number>();
    for (const g of h.gaps) {
      const reason = /^\S+ \S* (\S+):/.exec(g)?.[1] ?? '?';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    console.log(
      `${h.label.padEnd(8)} exit ${h.exit}  wall ${h.wallS.toFixed(1)} s  peak RSS ${h.peakMb} MB  services ${h.services.length} ${JSON.stringify(Object.fromEntries(kinds))}  gaps ${h.gaps.length} ${JSON.stringify(Object.fromEntries(reasons))}`,
    );
  }
  console.log(
    `peak RSS ratio hostile/plain: ${(hostile.peakMb / reference.peakMb).toFixed(2)} (goal: hostile under 300 MB)`,
  );
  for (const g of [hostile.gaps[0], ...hostile.gaps.filter((x) => / budget: /.test(x)).slice(0, 3)]) {
    if (g) console.log(`  e.g. ${g}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  for (const s of servers) s.close();
}
