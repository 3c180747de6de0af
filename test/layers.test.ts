import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

// The layers of src/ (documented in src/README.md), highest first: a module may import its own layer and
// the layers below it, never one above. Folders on one line form one layer.
const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['run'],
  ['discovery', 'hunters', 'active', 'manifests', 'paths', 'lab'],
  ['kubernetes'],
  ['report'],
  ['core', 'kb'],
  ['net'],
];

// Core's vocabulary sits below net: the typed errors every layer throws, the events every layer speaks,
// and redaction (the trace redacts what it writes). They import nothing of the project but each other.
const VOCABULARY = ['core/errors.ts', 'core/events.ts', 'core/redact.ts'];
const BOTTOM = LAYERS.length;

const SRC = resolve(import.meta.dirname, '../src');

function rankOf(file: string): number | undefined {
  if (VOCABULARY.includes(file)) return BOTTOM;
  const folder = file.split('/')[0]!;
  const rank = LAYERS.findIndex((layer) => layer.includes(folder));
  return rank < 0 ? undefined : rank;
}

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

/** Every relative module a file names: static imports and re-exports (types too), bare and dynamic imports. */
function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const pattern of [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]) {
    for (const m of text.matchAll(pattern)) if (m[1]!.startsWith('.')) out.push(m[1]!);
  }
  return out;
}

interface Edge {
  from: string;
  to: string;
}

/** Every import under `root` (a src/ tree) that goes up the layers, or names a folder with no layer. */
export function layerViolations(root: string): { upward: Edge[]; unplaced: string[]; edges: number } {
  const upward: Edge[] = [];
  const unplaced = new Set<string>();
  let edges = 0;
  for (const path of sources(root)) {
    const from = relative(root, path);
    const fromRank = rankOf(from);
    if (fromRank === undefined) {
      unplaced.add(from);
      continue;
    }
    for (const spec of importsOf(readFileSync(path, 'utf8'))) {
      const to = relative(root, resolve(dirname(path), spec)).replace(/\.js$/, '.ts');
      if (to.startsWith('..')) continue; // outside src/ (package.json for the version): no layer of ours
      edges++;
      const toRank = rankOf(to);
      if (toRank === undefined) unplaced.add(to);
      else if (toRank < fromRank) upward.push({ from, to });
    }
  }
  return { upward, unplaced: [...unplaced].sort(), edges };
}

describe('layers of src/', () => {
  it('read one way: nothing imports a layer above its own, and every folder has a layer', () => {
    const { upward, unplaced, edges } = layerViolations(SRC);
    assert.ok(edges > 500, `only ${edges} imports found: the import parser no longer reads src/`);
    assert.deepEqual(unplaced, [], 'folders of src/ with no layer: add them to LAYERS and src/README.md');
    assert.deepEqual(
      upward.map((e) => `${e.from} imports ${e.to}`),
      [],
      'a lower layer imports a higher one (see src/README.md)',
    );
  });

  describe('the checker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-layers-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (file: string, text: string) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    };
    write('net/a.ts', "import { x } from '../core/errors.js';\nimport type { Y } from '../report/model.js';\n");
    write('core/b.ts', "export { run } from '../run/hunt.js';\nconst m = await import('../cli/main.js');\n");
    write('core/errors.ts', "import { Scope } from '../net/scope.js';\n");
    write('report/c.ts', "import '../core/events.js';\nimport { z } from 'node:fs';\n");
    write('cli/d.ts', "import { a } from '../net/a.js';\nimport { q } from '../odd/q.js';\n");
    write('odd/q.ts', "import { a } from '../cli/d.js';\n");

    it('finds upward imports of every form, with the vocabulary below net', () => {
      const { upward, unplaced } = layerViolations(dir);
      assert.deepEqual(upward.map((e) => `${e.from} → ${e.to}`).sort(), [
        'core/b.ts → cli/main.ts',
        'core/b.ts → run/hunt.ts',
        'core/errors.ts → net/scope.ts',
        'net/a.ts → report/model.ts',
      ]);
      assert.deepEqual(unplaced, ['odd/q.ts']);
    });
  });
});
