import { SEVERITIES, severityRank } from '../core/events.js';
import { compareHosts } from './model.js';
import type { GraphNode, Report, ReportFinding, ReportHost } from './schema.js';

/**
 * Combines the reports of several runs (the shards of a sweep, or hunts from several places) into one,
 * as if one run had done all of it: findings deduplicated by fingerprint, hosts and their services joined,
 * the attack graph joined (node ids are content, so the same fact is one node), access rows joined,
 * statistics and the audit trail summed. An address one run only saw is dropped from "not contacted"
 * when another run did contact it.
 */
export function mergeReports(reports: readonly Report[]): Report {
  if (reports.length === 0) throw new Error('nothing to merge');
  const [first] = reports;
  const findings = uniqueBy(
    reports.flatMap((r) => r.findings),
    (f) => f.fingerprint,
  ).sort(compareFindings);
  const hosts = mergeHosts(reports.flatMap((r) => r.hosts));
  for (const h of hosts) h.findings = countBySeverity(findings.filter((f) => f.host === h.address));
  const contacted = new Set(hosts.map((h) => h.address));
  const started = reports.map((r) => r.scan.startedAt).sort()[0];
  const ended = reports
    .map((r) => r.scan.endedAt)
    .sort()
    .at(-1)!;
  const sum = (pick: (r: Report) => number) => reports.reduce((n, r) => n + pick(r), 0);
  const identities = uniqueBy(
    reports.flatMap((r) => r.scan.identities),
    (i) => `${i.name}\n${i.source}`,
  );
  const accessRows = new Map<string, Report['access']['rows'][number]>();
  for (const row of reports.flatMap((r) => r.access.rows)) {
    const key = `${row.endpoint}\n${row.check}`;
    const seen = accessRows.get(key);
    accessRows.set(key, seen ? { ...seen, allowed: { ...seen.allowed, ...row.allowed } } : { ...row });
  }
  const problems = uniqueBy(
    reports.flatMap((r) => r.problems),
    (p) => JSON.stringify(p),
  );
  const versions = new Set(reports.map((r) => JSON.stringify(r.tool)));
  if (versions.size > 1) {
    problems.push({
      hunter: 'merge',
      subject: 'reports',
      kind: 'warning',
      message: `merged reports of different kubeferret versions or knowledge: ${[...versions].join(' ')}`,
    });
  }
  // What one shard could not examine stays a gap of the merged report: no shard saw it fully.
  const coverage = uniqueBy(
    reports.flatMap((r) => r.coverage),
    (g) => JSON.stringify([g.hunter, g.host ?? '', g.port ?? 0, g.subject, g.reason]),
  );
  return {
    $schema: first.$schema,
    reportVersion: first.reportVersion,
    tool: first.tool,
    scan: {
      startedAt: started,
      endedAt: ended,
      durationMs: Math.max(0, Date.parse(ended) - Date.parse(started)),
      interrupted: reports.some((r) => r.scan.interrupted),
      mode: reports.some((r) => r.scan.mode === 'active') ? 'active' : 'passive',
      dryRun: reports.some((r) => r.scan.dryRun),
      vantagePoints: union(reports.map((r) => r.scan.vantagePoints)),
      identities,
      targets: union(reports.map((r) => r.scan.targets)),
      scope: union(reports.map((r) => r.scan.scope)),
      options: first.scan.options,
    },
    hosts,
    findings,
    graph: {
      nodes: uniqueBy(
        reports.flatMap((r) => r.graph.nodes),
        (n) => n.id,
      ).sort((a: GraphNode, b: GraphNode) => a.id.localeCompare(b.id)),
      edges: uniqueBy(
        reports.flatMap((r) => r.graph.edges),
        (e) => `${e.from}\n${e.to}`,
      ).sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    },
    access: {
      identities: union(reports.map((r) => r.access.identities)).sort(),
      rows: [...accessRows.values()].sort(
        (a, b) => a.endpoint.localeCompare(b.endpoint) || a.check.localeCompare(b.check),
      ),
    },
    changes: reports.flatMap((r) => r.changes),
    plan: reports.flatMap((r) => r.plan),
    notContacted: uniqueBy(
      reports.flatMap((r) => r.notContacted).filter((n) => !contacted.has(n.address)),
      (n) => `${n.address}\n${n.reason}`,
    ).sort((a, b) => compareHosts(a.address, b.address)),
    problems,
    coverage,
    // A path one shard computed stands: each rests on what that shard read.
    paths: uniqueBy(
      reports.flatMap((r) => r.paths),
      (p) => JSON.stringify(p),
    ),
    stats: {
      hosts: hosts.length,
      openPorts: hosts.reduce((n, h) => n + h.openPorts.length, 0),
      services: hosts.reduce((n, h) => n + h.services.length, 0),
      portsProbed: sum((r) => r.stats.portsProbed),
      requests: sum((r) => r.stats.requests),
      refused: sum((r) => r.stats.refused),
      durationMs: sum((r) => r.stats.durationMs),
      huntersRun: union(reports.map((r) => r.stats.huntersRun)).sort(),
      hunterRuns: sum((r) => r.stats.hunterRuns),
      events: sum((r) => r.stats.events),
      errors: sum((r) => r.stats.errors),
      timeouts: sum((r) => r.stats.timeouts),
      warnings: sum((r) => r.stats.warnings),
      gaps: coverage.length,
      findings: countBySeverity(findings),
    },
    trace: {
      requests: sum((r) => r.trace.requests),
      refused: sum((r) => r.trace.refused),
      ...(reports.some((r) => r.trace.retries !== undefined) && { retries: sum((r) => r.trace.retries ?? 0) }),
      byHost: sumCounts(reports.map((r) => r.trace.byHost)),
      byHunter: sumCounts(reports.map((r) => r.trace.byHunter)),
    },
  };
}

function compareFindings(a: ReportFinding, b: ReportFinding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    compareHosts(a.host ?? '~', b.host ?? '~') ||
    (a.port ?? 0) - (b.port ?? 0) ||
    a.kb.localeCompare(b.kb) ||
    a.fingerprint.localeCompare(b.fingerprint)
  );
}

function mergeHosts(all: ReportHost[]): ReportHost[] {
  const hosts = new Map<string, ReportHost>();
  for (const h of all) {
    const seen = hosts.get(h.address);
    if (!seen) {
      hosts.set(h.address, { ...h, openPorts: [...h.openPorts], services: [...h.services] });
      continue;
    }
    seen.openPorts = [...new Set([...seen.openPorts, ...h.openPorts])].sort((a, b) => a - b);
    seen.services = uniqueBy([...seen.services, ...h.services], (s) => String(s.port)).sort((a, b) => a.port - b.port);
  }
  return [...hosts.values()].sort((a, b) => compareHosts(a.address, b.address));
}

function countBySeverity(findings: readonly ReportFinding[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function sumCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, n] of Object.entries(counts)) out[k] = (out[k] ?? 0) + n;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

function union<T>(lists: readonly (readonly T[])[]): T[] {
  return [...new Set(lists.flat())];
}
