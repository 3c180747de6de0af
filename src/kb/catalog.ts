import { fileURLToPath } from 'node:url';
import type { AnyHunter } from '../core/hunter.js';
import { cveDatabase } from './cve-data.js';
import { fixedVersions } from './cve-match.js';
import { knowledgeBase } from './index.js';
import type { KbEntry } from './schema.js';

/**
 * The Markdown tables the READMEs carry, generated from the data so they cannot drift:
 * `npm run kb:catalog` rewrites them and a test fails when they are stale.
 */

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function kfEntries(): KbEntry[] {
  return [...knowledgeBase().values()].filter((e) => e.kind !== 'cve');
}

/** Every knowledge-base entry, for src/kb/README.md. */
export function entryCatalog(): string {
  return table(
    ['Id', 'Kind', 'Severity', 'Title', 'kube-hunter', 'ATT&CK'],
    kfEntries().map((e) => [
      `\`${e.id}\``,
      e.kind,
      e.severity,
      e.title,
      e.aliases.khv.join(', ') || '–',
      e.aliases.mitre.join(', ') || '–',
    ]),
  );
}

/** Every CVE in the bundled data, for src/kb/README.md. */
export function cveCatalog(): string {
  return table(
    ['CVE', 'Components', 'Severity', 'Fixed in', 'Title'],
    cveDatabase().file.cves.map((c) => [
      `[${c.id}](${c.source})`,
      c.components.join(', '),
      c.severity,
      fixedVersions(c).join(', '),
      c.aliases.khv.length ? `${c.title} (${c.aliases.khv.join(', ')})` : c.title,
    ]),
  );
}

/** The CVEs deliberately left out of the data, with the reason. */
export function excludedCatalog(): string {
  return table(
    ['CVE', 'Why it is not a version check here'],
    cveDatabase().file.excluded.map((x) => [x.id, x.reason]),
  );
}

/** Every check with its kube-hunter id and the hunter that reports it, for the project README. */
export function checksTable(hunters: readonly AnyHunter[]): string {
  const reporters = new Map<string, string[]>();
  for (const h of hunters) for (const id of h.reports ?? []) reporters.set(id, [...(reporters.get(id) ?? []), h.id]);
  const rows = kfEntries().map((e) => [
    `\`${e.id}\``,
    e.title,
    e.kind,
    e.severity,
    e.aliases.khv.join(', ') || '–',
    reporters
      .get(e.id)
      ?.map((h) => `\`${h}\``)
      .join(', ') ?? 'not yet',
  ]);
  const cves = cveDatabase().file.cves;
  const cveReporters = [...new Set(cves.flatMap((c) => reporters.get(c.id) ?? []))];
  rows.push([
    '`CVE-…`',
    `${cves.length} Kubernetes and etcd CVEs decided by a disclosed version (\`kubeferret cve list\`)`,
    'cve',
    'per CVE',
    [...new Set(cves.flatMap((c) => c.aliases.khv))].sort().join(', '),
    cveReporters.map((h) => `\`${h}\``).join(', ') || 'not yet',
  ]);
  return table(['Id', 'Check', 'Kind', 'Severity', 'kube-hunter', 'Reported by'], rows);
}

/** Replaces the text between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function replaceSection(text: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`no ${start} … ${end} section`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

/** Each generated file and how to bring its tables up to date. */
export function catalogFiles(hunters: readonly AnyHunter[]): Array<[path: string, render: (text: string) => string]> {
  const projectReadme = fileURLToPath(new URL('../../README.md', import.meta.url));
  const kbReadme = fileURLToPath(new URL('./README.md', import.meta.url));
  return [
    [projectReadme, (text) => replaceSection(text, 'kb:checks', checksTable(hunters))],
    [
      kbReadme,
      (text) =>
        [
          ['kb:entries', entryCatalog()],
          ['kb:cves', cveCatalog()],
          ['kb:excluded', excludedCatalog()],
        ].reduce((t, [name, body]) => replaceSection(t, name, body), text),
    ],
  ];
}

/** Equal up to the column alignment Biome adds to Markdown tables. */
export function sameTables(a: string, b: string): boolean {
  const normalize = (text: string) => text.replace(/ *\| */g, '|').replace(/\|-+(?=\|)/g, '|-');
  return normalize(a) === normalize(b);
}
