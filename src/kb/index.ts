import { type Severity, severityRank } from '../core/events.js';
import { compiledKb } from './compiled.js';
import { cveDatabase } from './cve-data.js';
import { describeRange, fixedVersions } from './cve-match.js';
import type { CveRecord } from './cve-schema.js';
import type { KbEntry, KbFileEntry } from './schema.js';

let fileEntries: Map<string, KbFileEntry> | undefined;
let merged: { cves: readonly CveRecord[]; entries: Map<string, KbEntry> } | undefined;

/** The entries of `src/kb/data/*.yaml` by id (validated when read from sources, or at build time). */
function loadFileEntries(): Map<string, KbFileEntry> {
  fileEntries ??= new Map(compiledKb().entries.map((e) => [e.id, e]));
  return fileEntries;
}

/** A CVE seen as a knowledge-base entry, so findings named by a CVE id render like any other. */
export function cveEntry(cve: CveRecord): KbEntry {
  const score = cve.cvss
    ? `CVSS ${cve.cvss.version} base score ${cve.cvss.score} (${cve.cvss.vector}) as published in the advisory.`
    : 'Severity as rated in the advisory, which published no CVSS score.';
  const fixed = `Upgrade ${cve.components.join(', ')} to a fixed release: ${fixedVersions(cve).join(', ')} (affected: ${cve.affected.map(describeRange).join(', ')}).`;
  return {
    id: cve.id,
    title: cve.title,
    component: cve.components.join(', '),
    kind: 'cve',
    category: cve.category,
    severity: cve.severity,
    severityRationale: score,
    description: cve.condition ? `${cve.description} ${cve.condition}` : cve.description,
    remediation: `${fixed} ${cve.remediation}`,
    references: cve.references,
    aliases: cve.aliases,
    follows: [],
    cve,
  };
}

/**
 * Every entry by id: the knowledge-base entries and the CVEs of the CVE data in use (see cve-data.ts).
 * Reports, `explain` and `--fail-on` all read this one map.
 */
export function knowledgeBase(): Map<string, KbEntry> {
  const cves = cveDatabase().file.cves;
  if (merged?.cves === cves) return merged.entries;
  const entries = new Map<string, KbEntry>(loadFileEntries());
  for (const cve of cves) entries.set(cve.id, cveEntry(cve));
  merged = { cves, entries };
  return entries;
}

/** The entry a finding names: a KF id or a CVE id, case-insensitive. */
export function entryOf(id: string): KbEntry | undefined {
  return knowledgeBase().get(id.trim().toUpperCase());
}

/** The ids (exact spelling) that name no entry: a hunter may declare only ids the knowledge base holds. */
export function unknownKbIds(ids: readonly string[]): string[] {
  const kb = knowledgeBase();
  return ids.filter((id) => !kb.has(id));
}

/**
 * Finds entries by a KF id, a CVE id, a kube-hunter KHV alias or a MITRE ATT&CK technique id
 * (case-insensitive). An alias may name several entries.
 */
export function lookupEntry(id: string): KbEntry[] {
  const wanted = id.trim().toUpperCase();
  const direct = entryOf(wanted);
  if (direct) return [direct];
  return [...knowledgeBase().values()].filter(
    (e) => e.aliases.khv.includes(wanted) || e.aliases.mitre.includes(wanted),
  );
}

/** The severity a finding is reported with: its own when the hunter set one, else its entry's. */
export function severityOf(finding: { kb: string; severity?: Severity }): Severity {
  return finding.severity ?? entryOf(finding.kb)?.severity ?? 'info';
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}
