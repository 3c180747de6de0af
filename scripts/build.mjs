// Compiles kubeferret into dist/: `npm run build`, and `prepare`, so `npm ci` builds it.
//
// - One ES module per command and shared chunks (esbuild code splitting): a command loads only what it
//   needs, and no TypeScript is compiled at run time (nothing is written anywhere when it runs).
// - The knowledge base is read and validated here, once, and compiled into the bundle (src/kb/compiled.ts
//   is replaced by its data), so a run parses no YAML; dist/data/cves.json is the bundled CVE file users
//   can look at.
// - The version, the CVE data's day and the knowledge-base revision are compiled in (src/core/version.ts).
//
// `node scripts/build.mjs --sea` writes instead one CommonJS file with every dependency inside
// (dist-sea/kubeferret.cjs) for the single executable (scripts/sea.mjs).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED_KB = join(ROOT, 'src/kb/compiled.ts');

/** Reads and validates the knowledge base with the same code a run from sources uses (src/kb/sources.ts). */
async function readKnowledgeBase(tmp) {
  // Bundled into a throw-away module inside the project (its dependencies resolve from node_modules), so the
  // build needs no TypeScript loader; import.meta.url keeps pointing at the source, to find src/kb/data/.
  const out = join(tmp, 'kb-sources.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/kb/sources.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outfile: out,
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(ROOT, 'src/kb/sources.ts')).href) },
    logLevel: 'error',
  });
  const { readKbSources } = await import(pathToFileURL(out).href);
  return readKbSources();
}

/** Replaces src/kb/compiled.ts with the validated data; JSON.parse of a string is V8's fastest way in. */
function compiledKbPlugin(kb) {
  const text = JSON.stringify(JSON.stringify(kb));
  return {
    name: 'compiled-kb',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]kb[\\/]compiled\.ts$/ }, (args) => {
        if (resolve(args.path) !== COMPILED_KB) return undefined;
        return {
          loader: 'js',
          // Parsed at first use: `--version` loads this chunk without needing the data.
          contents: `let KB;\nexport function compiledKb() { KB ??= JSON.parse(${text}); return KB; }\n`,
        };
      });
    },
  };
}

export async function buildDist({ sea = false, quiet = false } = {}) {
  const started = Date.now();
  const tmp = join(ROOT, 'dist', '.build');
  rmSync(join(ROOT, sea ? 'dist-sea' : 'dist'), { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const kb = await readKnowledgeBase(tmp);
  rmSync(tmp, { recursive: true, force: true });
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const info = { version: pkg.version, cveData: kb.cves.updated, kbRevision: kb.revision };
  const common = {
    entryPoints: { main: join(ROOT, 'src/cli/main.ts') },
    bundle: true,
    platform: 'node',
    target: 'node20',
    define: { KUBEFERRET_BUILD: JSON.stringify(info) },
    plugins: [compiledKbPlugin(kb)],
    legalComments: 'none',
    logLevel: 'warning',
  };
  if (sea) {
    await build({ ...common, format: 'cjs', outfile: join(ROOT, 'dist-sea/kubeferret.cjs') });
  } else {
    const outdir = join(ROOT, 'dist');
    await build({
      ...common,
      format: 'esm',
      splitting: true,
      // Dependencies stay in node_modules: npm installs them, and they load only with the chunk needing them.
      packages: 'external',
      outdir,
      // Chunks sit next to main.js, so `new URL('./data/…', import.meta.url)` means dist/data/ in any of them.
      chunkNames: '[name]-[hash]',
      sourcemap: 'linked',
      sourcesContent: false,
    });
    mkdirSync(join(outdir, 'data'), { recursive: true });
    copyFileSync(join(ROOT, 'src/kb/data/cves.json'), join(outdir, 'data/cves.json'));
    writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
  }
  if (!quiet) {
    console.log(
      `built ${sea ? 'dist-sea/' : 'dist/'} in ${Date.now() - started} ms: kubeferret ${info.version}, CVE data ${info.cveData}, knowledge base ${info.kbRevision}`,
    );
  }
  return info;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await buildDist({ sea: process.argv.includes('--sea'), quiet: process.argv.includes('--quiet') });
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
