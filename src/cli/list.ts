import type { Command } from 'commander';
import { HUNTERS } from '../hunters/index.js';
import { cveDatabase } from '../kb/cve-data.js';
import { knowledgeBase } from '../kb/index.js';

function listHunters(json: boolean): void {
  const rows = HUNTERS.map((h) => ({ id: h.id, title: h.title, mode: h.mode, on: h.on, reports: h.reports ?? [] }));
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const width = Math.max(2, ...rows.map((r) => r.id.length));
  console.log(`${'ID'.padEnd(width)}  MODE     LISTENS FOR   TITLE`);
  for (const r of rows) console.log(`${r.id.padEnd(width)}  ${r.mode.padEnd(7)}  ${r.on.padEnd(12)}  ${r.title}`);
  console.log(
    `\n${rows.length} hunters (${rows.filter((r) => r.mode === 'active').length} active, run only with --active)`,
  );
}

/** The knowledge-base entries (CVEs have their own listing: `kubeferret cve list`). */
function listEntries(json: boolean): void {
  const entries = [...knowledgeBase().values()].filter((e) => e.kind !== 'cve');
  if (json) {
    console.log(JSON.stringify(entries, null, 2));
    return;
  }
  const width = Math.max(...entries.map((e) => e.id.length));
  console.log(`${'ID'.padEnd(width)}  KIND      SEVERITY  KUBE-HUNTER    TITLE`);
  for (const e of entries) {
    console.log(
      `${e.id.padEnd(width)}  ${e.kind.padEnd(8)}  ${e.severity.padEnd(8)}  ${(e.aliases.khv.join(',') || '-').padEnd(13)}  ${e.title}`,
    );
  }
  console.log(
    `\n${entries.length} entries; ${cveDatabase().file.cves.length} CVEs in \`kubeferret cve list\`; details: \`kubeferret explain ID\``,
  );
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list every hunter (id, title, passive or active, the event it listens for), or with --kb every entry')
    .option('--kb', 'list the knowledge-base entries instead: id, kind, severity, kube-hunter id, title')
    .option('--json', 'print as JSON')
    .action((opts: { kb?: boolean; json?: boolean }) => {
      if (opts.kb) listEntries(opts.json ?? false);
      else listHunters(opts.json ?? false);
    });
}
