import type { Command } from 'commander';
import { HUNTERS } from '../hunters/index.js';
import { cveDatabase } from '../kb/cve-data.js';
import { knowledgeBase } from '../kb/index.js';
import { tagsOf } from './flags/select.js';

function listHunters(json: boolean): void {
  const rows = HUNTERS.map((h) => ({
    id: h.id,
    title: h.title,
    mode: h.mode,
    on: h.on,
    tags: tagsOf(h),
    reports: h.reports ?? [],
  }));
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const width = Math.max(2, ...rows.map((r) => r.id.length));
  const tags = rows.map((r) => r.tags.filter((t) => t !== r.mode).join(','));
  const tagWidth = Math.max(4, ...tags.map((t) => t.length));
  const onWidth = Math.max(11, ...rows.map((r) => r.on.length));
  console.log(`${'ID'.padEnd(width)}  MODE     ${'LISTENS FOR'.padEnd(onWidth)}  ${'TAGS'.padEnd(tagWidth)}  TITLE`);
  rows.forEach((r, i) => {
    console.log(
      `${r.id.padEnd(width)}  ${r.mode.padEnd(7)}  ${r.on.padEnd(onWidth)}  ${tags[i].padEnd(tagWidth)}  ${r.title}`,
    );
  });
  console.log(
    `\n${rows.length} hunters (${rows.filter((r) => r.mode === 'active').length} active, run only with --active); choose with \`hunt --only\` and \`--skip\` (ids, KB ids, KHV ids, tags)`,
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
    .description(
      'list every hunter (id, passive or active, the event it listens for, tags, title), or with --kb every entry',
    )
    .option('--kb', 'list the knowledge-base entries instead: id, kind, severity, kube-hunter id, title')
    .option('--json', 'print as JSON')
    .action((opts: { kb?: boolean; json?: boolean }) => {
      if (opts.kb) listEntries(opts.json ?? false);
      else listHunters(opts.json ?? false);
    });
}
