// Builds the single executable (`npm run build:sea`): dist-sea/kubeferret, a copy of this machine's node
// with kubeferret injected (Node's single-executable applications, with postject). It runs with no
// node_modules and no Node on the PATH. linux-x64 (or whatever this machine is): the executable is the
// node that runs this script, so build it with the Node release you want to ship.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSeaBundle } from './build.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The sentinel Node's single-executable support looks for (documented with the feature). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function run(command, args) {
  const r = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

export async function buildSea(outdir = join(ROOT, 'dist-sea')) {
  const started = Date.now();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const bundle = join(outdir, 'kubeferret.cjs');
  const info = await buildSeaBundle(bundle);
  const blob = join(outdir, 'kubeferret.blob');
  const config = join(outdir, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  run(process.execPath, ['--experimental-sea-config', config]);
  const executable = join(outdir, 'kubeferret');
  copyFileSync(process.execPath, executable);
  chmodSync(executable, 0o755);
  run(process.execPath, [
    join(ROOT, 'node_modules/postject/dist/cli.js'),
    executable,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    FUSE,
  ]);
  for (const f of [bundle, blob, config]) rmSync(f, { force: true });
  console.log(
    `built ${executable} in ${Date.now() - started} ms: kubeferret ${info.version} on node ${process.version}`,
  );
  return executable;
}

try {
  await buildSea(process.argv[2] ? resolve(process.argv[2]) : undefined);
} catch (err) {
  console.error(`single executable: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
