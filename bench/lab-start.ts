// How long the lab takes to start, per profile and etcd mode, against a reference run in the same
// process: plain HTTP servers bound on the same addresses and ports. The goal is "well under 2 s" without
// etcd. Run: node --import tsx bench/lab-start.ts [rounds]   (uses 127.90.0.0/16)
import http from 'node:http';
import { type EtcdMode, type Lab, type LabProfile, startLab } from '../src/lab/index.js';

const rounds = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function reference(ports: [string, number][]): Promise<number> {
  const t = performance.now();
  const servers = await Promise.all(
    ports.map(
      ([host, port]) =>
        new Promise<http.Server>((resolve) => {
          const s = http.createServer((_q, r) => r.end());
          s.listen(port, host, () => resolve(s));
        }),
    ),
  );
  const ms = performance.now() - t;
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ms;
}

// The first start in a process also makes the shared CAs and service-account key.
const cold = performance.now();
await (await startLab({ base: '127.90.0.2', etcd: 'off' })).stop();
console.log(`first start in the process (CAs and RSA key included): ${Math.round(performance.now() - cold)} ms`);

const cases: [LabProfile, EtcdMode][] = [
  ['vulnerable', 'off'],
  ['vulnerable', 'simulated'],
  ['hardened', 'simulated'],
  ['vulnerable', 'real'],
  ['hardened', 'real'],
];
for (const [profile, etcd] of cases) {
  const times: number[] = [];
  const refs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    let lab: Lab;
    try {
      lab = await startLab({ base: '127.90.1.2', profile, etcd });
    } catch (err) {
      console.log(`${profile}/${etcd}: ${(err as Error).message}`);
      break;
    }
    times.push(performance.now() - t);
    const ports = lab.hosts.flatMap((h) => h.services.map((s): [string, number] => [h.address, s.port]));
    await lab.stop();
    refs.push(await reference(ports));
  }
  if (times.length === 0) continue;
  const ms = median(times);
  console.log(
    `${profile}/${etcd}: median ${Math.round(ms)} ms over ${times.length}; ${(ms / median(refs)).toFixed(0)}x plain listeners; ${(ms / 2000).toFixed(2)} of the 2 s goal`,
  );
}
