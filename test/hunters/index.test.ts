import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HUNTERS } from '../../src/hunters/index.js';
import { BUNDLED_CVE_FILE, useCveFile } from '../../src/kb/cve-data.js';
import { unknownKbIds } from '../../src/kb/index.js';

useCveFile(BUNDLED_CVE_FILE);

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('hunter registry against the knowledge base', () => {
  it('every id a hunter declares in `reports` is in the knowledge base, spelled exactly', () => {
    const wrong = HUNTERS.flatMap((h) => unknownKbIds(h.reports ?? []).map((id) => `${h.id}: ${id}`));
    assert.deepEqual(wrong, []);
  });

  it('every KF id written in a hunter source file is declared by a hunter', () => {
    // A typo in `ctx.report({ kb })` is caught here, before a run refuses the report.
    const declared = new Set(HUNTERS.flatMap((h) => h.reports ?? []));
    const files = [...sourceFiles(join(SRC, 'hunters')), ...sourceFiles(join(SRC, 'discovery'))];
    const stray: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/'(KF-[A-Z]+-\d{3})'/g)) {
        seen++;
        if (!declared.has(m[1])) stray.push(`${file.slice(SRC.length)}: ${m[1]}`);
      }
    }
    assert.ok(seen > 50, `the hunters' sources name KF ids (${seen} found)`);
    assert.deepEqual(stray, []);
  });
});
