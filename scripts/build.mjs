// Compiles kubeferret into dist/: `npm run build`, and `prepare`, so `npm ci` builds it.
//
// - One ES module per command and shared chunks (esbuild code splitting): a command loads only what it
//   needs, and no TypeScript is compiled at run time (nothing is written anywhere when it runs).
// - The knowledge base is read and validated here, once, and compiled into the bundle (src/kb/compiled.ts
//   is replaced by its data), so a run parses no YAML; dist/data/cves.json is the bundled CVE file users
//   can look at.
// - The version, the CVE data's day and the knowledge-base revision are compiled in (src/core/version.ts).
//
// `node scripts/build.mjs --dev` leaves the dependencies in node_modules (see buildDist); `--outdir DIR`
// builds elsewhere than dist/.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED_KB = join(ROOT, 'src/kb/compiled.ts');

/** Reads and validates the knowledge base with the same code a run from sources uses (src/kb/sources.ts). */
async function readKnowledgeBase() {
  // Bundled into a throw-away module inside the project (its dependencies resolve from node_modules), so the
  // build needs no TypeScript loader; import.meta.url keeps pointing at the source, to find src/kb/data/.
  const out = join(ROOT, 'node_modules', '.cache', 'kubeferret-build', `kb-sources-${process.pid}.mjs`);
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
  try {
    const { readKbSources } = await import(pathToFileURL(out).href);
    return readKbSources();
  } finally {
    rmSync(out, { force: true });
  }
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

/** The packages under node_modules the bundle took code from: their name, version and licence text. */
function thirdPartyLicenses(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(resolve(ROOT, m[1]));
  }
  const parts = ['kubeferret bundles the following packages into dist/. Their licences follow.', ''];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
    const text = file
      ? readFileSync(join(dir, file), 'utf8').trim()
      : `(no licence file; package.json says ${pkg.license})`;
    parts.push('-'.repeat(78), `${pkg.name} ${pkg.version} (${pkg.license ?? 'no licence field'})`, '', text, '');
  }
  return `${parts.join('\n')}\n`;
}

const BUNDLE_REQUIRE =
  "import { createRequire as kfCreateRequire } from 'node:module'; const require = kfCreateRequire(import.meta.url);";

/**
 * `package` (npm run build, prepare): every dependency bundled, each into the chunks of the commands that
 * import it, so the package has no runtime dependency to resolve or download (an install is one tarball,
 * offline) and the lab's certificate libraries load only with the lab; CommonJS dependencies get a
 * `require` for Node's built-in modules. `dev` (what `npm test` builds first): the same chunks with the
 * dependencies left in node_modules, a few times faster to build. The knowledge base and version are
 * compiled in either way.
 */
export async function buildDist({ mode = 'package', outdir = join(ROOT, 'dist'), quiet = false } = {}) {
  const started = Date.now();
  // Built beside the old output and swapped in at the end: a failed build leaves the last good one.
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const kb = await readKnowledgeBase();
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const info = { version: pkg.version, cveData: kb.cves.updated, kbRevision: kb.revision };
    const result = await build({
      entryPoints: { main: join(ROOT, 'src/cli/main.ts') },
      metafile: true,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      splitting: true,
      define: { KUBEFERRET_BUILD: JSON.stringify(info) },
      plugins: [compiledKbPlugin(kb)],
      legalComments: 'none',
      logLevel: 'warning',
      ...(mode === 'dev' ? { packages: 'external' } : { banner: { js: BUNDLE_REQUIRE } }),
      outdir: staging,
      // Chunks sit next to main.js, so `new URL('./data/…', import.meta.url)` means dist/data/ in any of them.
      chunkNames: '[name]-[hash]',
    });
    mkdirSync(join(staging, 'data'), { recursive: true });
    copyFileSync(join(ROOT, 'src/kb/data/cves.json'), join(staging, 'data/cves.json'));
    // The lab's protobuf schemas are read at first use from next to the chunk (src/lab/protobuf.ts, openapi.ts).
    mkdirSync(join(staging, 'proto'), { recursive: true });
    for (const f of readdirSync(join(ROOT, 'src/lab/proto')).filter((n) => n.endsWith('.json'))) {
      copyFileSync(join(ROOT, 'src/lab/proto', f), join(staging, 'proto', f));
    }
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify({ type: 'module' })}\n`);
    if (mode === 'package')
      writeFileSync(join(staging, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile));
    rmSync(outdir, { recursive: true, force: true });
    renameSync(staging, outdir);
    if (!quiet) {
      console.log(
        `built ${outdir} (${mode}) in ${Date.now() - started} ms: kubeferret ${info.version}, CVE data ${info.cveData}, knowledge base ${info.kbRevision}`,
      );
    }
    return info;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * One CommonJS file with everything inside, for the single executable (scripts/sea.mjs): Node's
 * single-executable applications run one CommonJS script that may require only Node's built-in modules.
 * `import.meta.url` becomes the executable's own path, so paths derived from it point next to it.
 */
export async function buildSeaBundle(outfile) {
  const kb = await readKnowledgeBase();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const info = { version: pkg.version, cveData: kb.cves.updated, kbRevision: kb.revision };
  const result = await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    bundle: true,
    metafile: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    define: { KUBEFERRET_BUILD: JSON.stringify(info), 'import.meta.url': 'kfMetaUrl' },
    // bin/kubeferret.js sets the same V8 flag for the npm build (see there why).
    banner: {
      js: "require('node:v8').setFlagsFromString('--liftoff-only'); const kfMetaUrl = require('node:url').pathToFileURL(process.execPath).href;",
    },
    plugins: [compiledKbPlugin(kb)],
    legalComments: 'none',
    logLevel: 'warning',
    outfile,
  });
  writeFileSync(join(dirname(outfile), 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(result.metafile));
  return info;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const args = process.argv.slice(2);
    const at = args.indexOf('--outdir');
    await buildDist({
      mode: args.includes('--dev') ? 'dev' : 'package',
      quiet: args.includes('--quiet'),
      ...(at >= 0 && args[at + 1] ? { outdir: resolve(args[at + 1]) } : {}),
    });
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
