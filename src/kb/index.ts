import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SEVERITIES, type Severity } from '../core/events.js';
import { type KbEntry, kbFileSchema } from './schema.js';

const DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

let cache: Map<string, KbEntry> | undefined;

/** Loads every `src/kb/data/*.yaml` file once, validating each entry; a broken file is a bug, so it throws. */
export function knowledgeBase(): Map<string, KbEntry> {
  if (cache) return cache;
  const entries = new Map<string, KbEntry>();
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
      if (entries.has(entry.id)) throw new Error(`knowledge base ${file}: duplicate id ${entry.id}`);
      entries.set(entry.id, entry);
    }
  }
  cache = entries;
  return entries;
}

/** Finds an entry by its KF id or by a kube-hunter KHV alias (case-insensitive). */
export function lookupEntry(id: string): KbEntry[] {
  const wanted = id.trim().toUpperCase();
  const kb = knowledgeBase();
  const direct = kb.get(wanted);
  if (direct) return [direct];
  return [...kb.values()].filter((e) => e.aliases.khv.includes(wanted) || e.aliases.mitre.includes(wanted));
}

/** The severity a finding is reported with: its own when the hunter set one, else its entry's. */
export function severityOf(finding: { kb: string; severity?: Severity }): Severity {
  return finding.severity ?? knowledgeBase().get(finding.kb)?.severity ?? 'info';
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}
