// Regenerates the tables in README.md and src/kb/README.md from the knowledge base and the hunters, then
// lets Biome align them. Run: npm run kb:catalog (test/kb/catalog.test.ts fails while they are stale).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { HUNTERS } from '../src/hunters/index.js';
import { catalogFiles, sameTables } from '../src/kb/catalog.js';
import { BUNDLED_CVE_FILE, useCveFile } from '../src/kb/cve-data.js';

useCveFile(BUNDLED_CVE_FILE);
const changed: string[] = [];
for (const [path, render] of catalogFiles(HUNTERS)) {
  const before = readFileSync(path, 'utf8');
  const after = render(before);
  if (!sameTables(after, before)) {
    writeFileSync(path, after);
    changed.push(path);
  }
}
if (changed.length > 0) {
  spawnSync('npx', ['biome', 'format', '--write', ...changed], { stdio: 'inherit' });
  for (const path of changed) console.log(`updated ${path}`);
}
