import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// `kubeferret lab ARGS…` in a process of its own, for the benchmarks that measure a hunt against it
// (bench/scale.ts, bench/ops.ts): resolved once the lab says it is ready, with how long that took.

const root = fileURLToPath(new URL('..', import.meta.url));

export async function startLabProcess(args: string[]): Promise<{ child: ChildProcess; startMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/kubeferret.js', 'lab', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    // Read to the end (the lab says "lab stopped" as it exits), noting when it is ready.
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Press Ctrl-C')) resolve();
    });
    child.once('exit', () => reject(new Error(`the lab did not start: ${out}`)));
  });
  return { child, startMs: performance.now() - started };
}
