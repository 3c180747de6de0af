import { type CoverageReason, SEVERITIES, type Severity } from '../core/events.js';
import { mapStrings } from '../core/redact.js';
import { hostLabel } from '../net/scope.js';
import type { AttackPathEntry, CoverageEntry, Report, ReportFinding } from './schema.js';

// Small pieces of wording shared by the text renderings (table, markdown, HTML).

/** Most severe first. */
export const SEVERITIES_DESC: readonly Severity[] = [...SEVERITIES].reverse();

/** The provenance chain in one line: "open 10250 → kubelet (anonymous) → …". */
export function chainText(f: ReportFinding): string {
  return f.chain.map((s) => s.label).join(' → ');
}

/** Removes terminal control sequences and control characters a hostile target may have put in its answers. */
export function printable(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}

/** Every string of a value made printable, the shape kept. */
export function printableDeep<T>(value: T): T {
  return mapStrings(value, printable);
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The run's statistics in one line, the same in every text rendering. */
export function statsLine(stats: Report['stats']): string {
  return `${stats.hosts} hosts, ${stats.openPorts} open ports, ${stats.services} services, ${stats.portsProbed} ports probed, ${stats.requests} requests, ${stats.huntersRun.length} hunters run, ${stats.errors} errors, ${stats.timeouts} timeouts, ${stats.gaps} not fully examined, ${seconds(stats.durationMs)}`;
}

/** "4 findings: 1 critical, 2 high, 1 medium, 0 low, 0 info", plus the baseline's counts when one was used. */
export function summaryLine(report: Report): string {
  const n = report.findings.length;
  const bySeverity = SEVERITIES_DESC.map((s) => `${report.stats.findings[s] ?? 0} ${s}`).join(', ');
  const base = report.baseline
    ? ` · baseline: ${report.baseline.new} new, ${report.baseline.suppressed} suppressed, ${report.baseline.fixed.length} fixed`
    : '';
  // A CI log that shows only this line must still tell a clean run from an incomplete one.
  const gaps = report.coverage.length > 0 ? ` · incomplete: ${report.coverage.length} not fully examined` : '';
  return `${n} finding${n === 1 ? '' : 's'}: ${bySeverity}${base}${gaps}`;
}

/** What each coverage reason means, in a few words, for the "Not fully examined" sections. */
export const COVERAGE_REASON_TEXT: Record<CoverageReason, string> = {
  cap: 'an answer was cut at its size cap',
  deadline: 'the hunter ran out of time',
  timeout: 'a request timed out',
  'retry-budget': 'retries were spent',
  unanswered: 'nothing answered',
  'page-failed': 'a page of a list failed',
  budget: 'the run budget was spent',
  error: 'it failed',
  skipped: 'it was not run to the end',
};

/** Where a gap is: `host:port`, the host, or "cluster-wide". */
export function gapWhere(g: CoverageEntry): string {
  if (!g.host) return NO_HOST;
  return `${hostLabel(g.host)}${g.port ? `:${g.port}` : ''}`;
}

/** One gap in one line: "127.0.0.2:10250 /pods (cap, kubelet-pods): cut at 8 MiB after 1,200 pods". */
export function gapLine(g: CoverageEntry): string {
  const what = g.port !== undefined && g.subject === `port ${g.port}` ? '' : ` ${g.subject}`;
  return `${gapWhere(g)}${what} (${g.reason}, ${g.hunter}): ${g.detail}`;
}

/** "by host: a 3, b 2", largest first. */
export function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}

export function certText(cert: NonNullable<Report['hosts'][number]['services'][number]['cert']>): string {
  const until = cert.validTo.slice(0, 10);
  return `${cert.subject || '(no subject)'}${cert.selfSigned ? ', self-signed' : ''}, valid until ${until}`;
}

/** The findings without a host (objects, identities) are grouped under this name. */
export const NO_HOST = 'cluster-wide';

export function groupByHost(findings: readonly ReportFinding[]): Map<string, ReportFinding[]> {
  const groups = new Map<string, ReportFinding[]>();
  for (const f of findings) {
    const key = f.host ?? NO_HOST;
    const list = groups.get(key) ?? [];
    list.push(f);
    groups.set(key, list);
  }
  return groups;
}

/** An attack path as a heading and numbered steps, the same in every text format. */
export function pathText(p: AttackPathEntry): { head: string; steps: string[] } {
  const n = p.steps.length;
  return {
    head: `${p.from} → ${p.to} (${n} ${n === 1 ? 'step' : 'steps'}, ${p.host}:${p.port})`,
    steps: p.steps.map(
      (s, i) =>
        `${i + 1}. ${s.action} → ${s.subject}: ${s.evidence}${s.findings.length > 0 ? ` [${s.findings.join(', ')}]` : ''}`,
    ),
  };
}
