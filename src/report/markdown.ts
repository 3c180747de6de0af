import type { Severity } from '../core/events.js';
import { type Report, toolLabel } from './schema.js';
import {
  COVERAGE_REASON_TEXT,
  chainText,
  countsText,
  gapWhere,
  pathText,
  printableDeep,
  SEVERITIES_DESC,
  seconds,
  statsLine,
  summaryLine,
} from './text.js';

// Markdown for pull-request comments and tickets. Everything a target said is escaped: it is shown,
// never interpreted as markup.

const BADGE: Record<Severity, string> = {
  critical: '🟥 critical',
  high: '🟧 high',
  medium: '🟨 medium',
  low: '🟦 low',
  info: '⬜ info',
};

/** Text safe inside a table cell or a paragraph: no markup, no HTML, one line. */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
}

/** Text shown verbatim in a fenced block; a fence inside it cannot close the block. */
function fenced(text: string): string {
  return `\`\`\`text\n${text.replace(/```/g, '`\u200b``')}\n\`\`\``;
}

/** What held: one line per defence with where it was seen and its evidence. */
function defencesSection(defences: Report['findings']): string[] {
  if (defences.length === 0) return [];
  const out = ['### Defences that held', ''];
  for (const f of defences) {
    out.push(`- **${mdText(f.title)}** (${mdText(f.kb)}) — ${mdText(f.location)}: ${mdText(f.evidence)}`);
  }
  out.push('');
  return out;
}

export function renderMarkdown(raw: Report): string {
  const report = printableDeep(raw);
  const { scan, stats, trace } = report;
  const out: string[] = [];
  out.push(`## kubeferret: ${mdText(summaryLine(report))}`);
  out.push('');
  out.push(
    `${scan.mode === 'active' ? 'Active' : 'Passive'} hunt of ${scan.targets.map((t) => `\`${t.replace(/`/g, '')}\``).join(', ') || 'no named target'} · ${mdText(scan.startedAt)} · ${seconds(scan.durationMs)} · kubeferret ${mdText(toolLabel(report.tool))}${scan.interrupted ? ' · **interrupted**' : ''}`,
  );
  out.push('');
  // Defences that held are findings too (info), but a reader looks for them apart from what failed.
  const weaknesses = report.findings.filter((f) => !f.defence);
  const defences = report.findings.filter((f) => f.defence);
  if (weaknesses.length > 0) {
    const withBaseline = report.baseline !== undefined;
    out.push(`| Severity | ID | Finding | Location |${withBaseline ? ' Baseline |' : ''}`);
    out.push(`| --- | --- | --- | --- |${withBaseline ? ' --- |' : ''}`);
    for (const f of weaknesses) {
      out.push(
        `| ${BADGE[f.severity]} | ${mdText(f.kb)} | ${mdText(f.title)}${f.proof ? ' (proven)' : f.possible ? ` (possible: not checked whether ${mdText(f.possible)})` : ''} | ${mdText(f.location)} |${withBaseline ? ` ${f.baseline} |` : ''}`,
      );
    }
    out.push('');
    for (const severity of SEVERITIES_DESC) {
      for (const f of weaknesses.filter((x) => x.severity === severity)) {
        out.push(`<details><summary>${mdText(`${f.kb} ${f.title} — ${f.location}`)}</summary>`);
        out.push('');
        out.push(`**Chain:** ${mdText(chainText(f))}`);
        out.push('');
        out.push('**Evidence:**');
        out.push('');
        out.push(fenced(f.evidence));
        out.push('');
        if (f.description) out.push(mdText(f.description), '');
        out.push(`**Remediation:** ${mdText(f.remediation)}`);
        const aliases = [...f.aliases.khv, ...f.aliases.mitre];
        if (aliases.length) out.push('', `**Aliases:** ${aliases.map(mdText).join(', ')}`);
        if (f.references.length) out.push('', ...f.references.map((r) => `- <${r.replace(/[<>\s]/g, '')}>`));
        out.push('', '</details>', '');
      }
    }
  } else {
    out.push('No findings.', '');
  }
  out.push(...defencesSection(defences));
  if (report.paths.length > 0) {
    out.push(
      '### Attack paths',
      '',
      'Computed from what was read, never walked: the shortest chain of escalation steps.',
      '',
    );
    for (const p of report.paths) {
      const { head, steps } = pathText(p);
      out.push(`**${mdText(head)}**`, '', ...steps.map((s) => mdText(s)), '');
    }
  }
  if (report.coverage.length > 0) {
    out.push('### Not fully examined', '');
    out.push('| Where | What | Reason | Hunter | Detail |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const g of report.coverage) {
      out.push(
        `| ${mdText(gapWhere(g))} | ${mdText(g.subject)} | ${mdText(`${g.reason}: ${COVERAGE_REASON_TEXT[g.reason]}`)} | ${mdText(g.hunterTitle)} | ${mdText(g.detail)} |`,
      );
    }
    out.push('');
  }
  if (report.baseline && report.baseline.fixed.length > 0) {
    out.push(`### Fixed since the baseline`, '');
    for (const f of report.baseline.fixed) out.push(`- ${mdText(`${f.kb} ${f.title} — ${f.location}`)}`);
    out.push('');
  }
  if (report.access.rows.length > 0) {
    const ids = report.access.identities;
    out.push('### Identities compared', '');
    out.push(`| Endpoint | Check | ${ids.map(mdText).join(' | ')} |`);
    out.push(`| --- | --- | ${ids.map(() => '---').join(' | ')} |`);
    for (const r of report.access.rows) {
      const cells = ids.map((i) => (r.allowed[i] === undefined ? '–' : r.allowed[i] ? '**yes**' : 'no'));
      out.push(`| ${mdText(r.endpoint)} | ${mdText(r.check)} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  if (report.changes.length > 0) {
    out.push('### Changes made by active hunters', '');
    for (const c of report.changes) {
      out.push(
        `- ${mdText(`${c.action} on ${c.target} (${c.hunter})`)}: ${c.undone ? 'undone' : `**not undone**${c.undoError ? ` (${mdText(c.undoError)})` : ''}`}`,
      );
    }
    out.push('');
  }
  if (report.plan.length > 0) {
    out.push('### Planned by active hunters (dry run: none of it was sent)', '');
    for (const p of report.plan)
      out.push(`- ${mdText(`${p.hunter} as ${p.identity}: ${p.action}`)}: \`${p.request.replace(/`/g, '')}\``);
    out.push('');
  }
  if (report.notContacted.length > 0) {
    out.push('### Seen, not contacted', '');
    for (const n of report.notContacted) out.push(`- ${mdText(`${n.address}: ${n.reason} (${n.origin})`)}`);
    out.push('');
  }
  if (report.problems.length > 0) {
    out.push('### Problems', '');
    for (const p of report.problems) out.push(`- ${mdText(`${p.kind}: ${p.hunter} on ${p.subject}: ${p.message}`)}`);
    out.push('');
  }
  out.push('### Audit trail', '');
  out.push(
    `${trace.path ? `Trace file \`${trace.path.replace(/`/g, '')}\`` : 'No trace file'} · ${trace.requests} requests, ${trace.refused} refused · by host: ${mdText(countsText(trace.byHost))} · by hunter: ${mdText(countsText(trace.byHunter))}`,
  );
  out.push('');
  out.push(`${statsLine(stats)}.`);
  return `${out.join('\n')}\n`;
}
