// Builds a container image from scratch (`npm run build:image [-- NAME [EXECUTABLE]]`) with buildah: the single
// executable (npm run build:sea), the shared libraries it links to, and nothing else: no shell, no
// package manager, no root user. Needs Debian's buildah; no registry is contacted (from scratch).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** A non-root user and group with no entry anywhere: nothing in the image belongs to it. */
const USER = '65532:65532';

function run(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') throw new Error(`${command} is not installed (Debian package ${command})`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${(r.stderr || '').trim().split('\n').at(-1)}`);
  return r.stdout.trim();
}

/** The shared libraries an executable loads, with the dynamic loader, as ldd resolves them here. */
function sharedLibraries(executable) {
  return run('ldd', [executable])
    .split('\n')
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter(Boolean);
}

export function buildImage(executable, name) {
  if (!existsSync(executable)) throw new Error(`${executable} is missing: run npm run build:sea first`);
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const container = run('buildah', ['from', 'scratch']);
  try {
    run('buildah', ['copy', '--chmod', '0555', container, executable, '/kubeferret']);
    for (const lib of sharedLibraries(executable)) run('buildah', ['copy', container, lib, lib]);
    run('buildah', [
      'config',
      '--entrypoint',
      '["/kubeferret"]',
      '--cmd',
      '["--help"]',
      '--user',
      USER,
      '--workingdir',
      '/',
      '--env',
      'HOME=/',
      '--label',
      `org.opencontainers.image.version=${version}`,
      '--label',
      'org.opencontainers.image.licenses=Apache-2.0',
      '--label',
      'org.opencontainers.image.title=kubeferret',
      container,
    ]);
    run('buildah', ['commit', '--rm', container, name]);
  } catch (err) {
    spawnSync('buildah', ['rm', container]);
    throw err;
  }
  return name;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    const name = process.argv[2] ?? `localhost/kubeferret:${version}`;
    buildImage(resolve(process.argv[3] ?? join(ROOT, 'dist-sea/kubeferret')), name);
    console.log(`built image ${name}`);
  } catch (err) {
    console.error(`image: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
