import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type CveFile, cveFileSchema } from './cve-schema.js';
import { type KbFileEntry, kbFileSchema } from './schema.js';

/**
 * The knowledge base as the sources hold it: `data/*.yaml` and the bundled `data/cves.json`, read and
 * validated. Runs from sources only; the build runs it once and compiles the result into the bundle
 * (compiled.ts), so an installed kubeferret parses no YAML and validates nothing it shipped.
 */
export interface CompiledKb {
  entries: KbFileEntry[];
  cves: CveFile;
  /** A short hash of the entries and CVE data: two runs with the same revision judged with the same knowledge. */
  revision: string;
}

const DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));
const BUNDLED_CVE_PATH = join(DATA_DIR, 'cves.json');

/** Reads and validates every file; a broken file is a bug in the sources, so it throws. */
export function readKbSources(): CompiledKb {
  const entries: KbFileEntry[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(DATA_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const parsed = kbFileSchema.safeParse(parse(readFileSync(join(DATA_DIR, file), 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `knowledge base ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    for (const entry of parsed.data) {
      if (seen.has(entry.id)) throw new Error(`knowledge base ${file}: duplicate id ${entry.id}`);
      seen.add(entry.id);
      entries.push(entry);
    }
  }
  const cveParsed = cveFileSchema.safeParse(JSON.parse(readFileSync(BUNDLED_CVE_PATH, 'utf8')));
  if (!cveParsed.success) {
    const issue = cveParsed.error.issues[0];
    throw new Error(`bundled CVE data: ${issue.path.join('.')}: ${issue.message}`);
  }
  const cves = cveParsed.data;
  const revision = createHash('sha256').update(JSON.stringify({ entries, cves })).digest('hex').slice(0, 12);
  return { entries, cves, revision };
}
