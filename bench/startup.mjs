// Start-up of the build (bin/kubeferret.js → dist/) against the same sources run through tsx, the way
// bin/kubeferret.js ran them before the build existed. Prints the median wall time of each command and
// the ratio, measured in this run. Usage: npm run build && node bench/startup.mjs [runs, default 15]
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const RUNS = Number(process.argv[2] ?? 15);
const COMMANDS = [['--version'], ['explain', 'KHV002'], ['list']];
const GOALS = { '--version': 0.3, 'explain KHV002': 0.6 };
const WAYS = {
  build: ['bin/kubeferret.js'],
  // tsx keeps a compile cache in TMPDIR: the first run fills it, the timed runs below all hit it.
  tsx: ['--import', 'tsx', 'src/cli/main.ts'],
};

function once(args) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.split('\n')[0]}`);
  return seconds;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

console.log(
  `median of ${RUNS} runs each, node ${process.version}, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
);
const empty = [];
once(['-e', '0']);
for (let i = 0; i < RUNS; i++) empty.push(once(['-e', '0']));
console.log(`node -e 0 (the floor on this machine now): ${median(empty).toFixed(3)} s`);
console.log('command           build     tsx       tsx / build  goal');
for (const command of COMMANDS) {
  const name = command.join(' ');
  const times = {};
  for (const [way, prefix] of Object.entries(WAYS)) {
    once([...prefix, ...command]);
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(once([...prefix, ...command]));
    times[way] = median(samples);
  }
  const goal = GOALS[name];
  const verdict = goal === undefined ? '' : `< ${goal} s ${times.build < goal ? 'met' : 'MISSED'}`;
  console.log(
    `${name.padEnd(16)}  ${`${times.build.toFixed(3)} s`.padEnd(8)}  ${`${times.tsx.toFixed(3)} s`.padEnd(8)}  ${(times.tsx / times.build).toFixed(1).padStart(11)}  ${verdict}`,
  );
}
