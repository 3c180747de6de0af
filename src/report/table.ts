import pc from 'picocolors';
import type { Severity } from '../core/events.js';
import { type Report, toolLabel } from './schema.js';
import {
  certText,
  chainText,
  countsText,
  gapLine,
  groupByHost,
  NO_HOST,
  pathText,
  printableDeep,
  SEVERITIES_DESC,
  seconds,
  statsLine,
  summaryLine,
} from './text.js';

export interface TableOptions {
  color: boolean;
  /** Only the summary line. */
  quiet: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

function paint(c: Colors): Record<Severity, (s: string) => string> {
  return {
    critical: (s) => c.bold(c.red(s)),
    high: c.red,
    medium: c.yellow,
    low: c.cyan,
    info: c.dim,
  };
}

/** The terminal report: findings grouped by host and severity, each with its chain; the summary last. */
export function renderTable(raw: Report, options: TableOptions): string {
  const report = printableDeep(raw);
  const c = pc.createColors(options.color);
  const sev = paint(c);
  const summary = `${summaryLine(report)}\n`;
  if (options.quiet) return summary;

  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const { scan } = report;
  line(
    c.bold(
      `kubeferret ${toolLabel(report.tool)} · ${scan.mode} hunt${scan.dryRun ? ' (dry run)' : ''} · ${scan.startedAt} · ${seconds(scan.durationMs)}${scan.interrupted ? ' · interrupted' : ''}`,
    ),
  );
  line(
    `targets: ${scan.targets.join(' ') || '-'} · vantage: ${scan.vantagePoints.join(', ') || '-'} · identities: ${
      scan.identities
        .map(
          (i) =>
            `${i.name} (${i.source}${i.tls ? `, sent ${i.tls === 'unverified' ? 'unverified' : 'with insecure-skip-tls-verify'}` : ''}${i.also ? `; also as ${i.also.join(', ')}` : ''})`,
        )
        .join(', ') || 'none'
    }`,
  );

  const groups = groupByHost(report.findings);
  const hostNames = [...report.hosts.map((h) => h.address), ...(groups.has(NO_HOST) ? [NO_HOST] : [])];
  for (const address of hostNames) {
    const host = report.hosts.find((h) => h.address === address);
    line();
    line(c.bold(address) + (host ? c.dim(`  open: ${host.openPorts.join(', ') || '-'}`) : ''));
    for (const s of host?.services ?? []) {
      const cert = s.cert ? c.dim(` · ${certText(s.cert)}`) : '';
      line(`  ${s.port} ${s.kind} ${s.scheme}${s.version ? ` ${s.version}` : ''}${cert}`);
    }
    const findings = groups.get(address) ?? [];
    for (const severity of SEVERITIES_DESC) {
      const list = findings.filter((f) => f.severity === severity && !f.defence);
      if (list.length === 0) continue;
      line(`  ${sev[severity](severity.toUpperCase())}`);
      for (const f of list) {
        const tag = f.baseline ? c.dim(` [${f.baseline}]`) : '';
        const proof = f.proof ? c.bold(' [proven]') : f.possible ? ' [possible]' : '';
        const head = `    ${sev[severity](f.kb)} ${f.title}  ${c.dim(f.location)}${proof}${tag}`;
        line(f.baseline === 'suppressed' ? c.dim(head) : head);
        line(c.dim(`      ${chainText(f)}`));
        if (f.evidence) line(`      evidence: ${f.evidence}`);
        if (f.possible) line(`      possible: not checked whether ${f.possible}`);
      }
    }
    // Defences that held, apart from the weaknesses: what a defender checks is still in place.
    const held = findings.filter((f) => f.defence);
    if (held.length > 0) line(`  ${c.green('HELD')}`);
    for (const f of held) {
      line(`    ${c.green(f.kb)} ${f.title}  ${c.dim(f.location)}`);
      if (f.evidence) line(`      evidence: ${f.evidence}`);
    }
  }

  if (report.paths.length > 0) {
    line();
    line(c.bold(`attack paths (${report.paths.length}), computed, not walked`));
    for (const p of report.paths) {
      const { head, steps } = pathText(p);
      line(`  ${head}`);
      for (const s of steps) line(`    ${s}`);
    }
  }

  if (report.coverage.length > 0) {
    line();
    line(c.bold(c.yellow(`not fully examined (${report.coverage.length})`)));
    for (const g of report.coverage) line(`  ${gapLine(g)}`);
  }

  if (report.access.rows.length > 0) {
    line();
    line(c.bold('identities compared'));
    const ids = report.access.identities;
    const w0 = Math.max(8, ...report.access.rows.map((r) => r.endpoint.length));
    const w1 = Math.max(5, ...report.access.rows.map((r) => r.check.length));
    const widths = ids.map((i) => Math.max(3, i.length));
    line(`  ${'endpoint'.padEnd(w0)}  ${'check'.padEnd(w1)}  ${ids.map((i, n) => i.padEnd(widths[n])).join('  ')}`);
    for (const r of report.access.rows) {
      const cells = ids.map((i, n) => {
        const v = r.allowed[i];
        const t = (v === undefined ? '-' : v ? 'yes' : 'no').padEnd(widths[n]);
        return v ? c.red(t) : t;
      });
      line(`  ${r.endpoint.padEnd(w0)}  ${r.check.padEnd(w1)}  ${cells.join('  ')}`);
    }
  }
  if (report.changes.length > 0) {
    line();
    line(c.bold('changes made by active hunters'));
    for (const ch of report.changes) {
      const state = ch.undone ? c.green('undone') : c.red(`NOT undone${ch.undoError ? `: ${ch.undoError}` : ''}`);
      line(`  ${ch.action} on ${ch.target} (${ch.hunter}${ch.identity ? ` as ${ch.identity}` : ''}) → ${state}`);
    }
  }
  if (report.plan.length > 0) {
    line();
    line(c.bold('planned by active hunters (dry run: none of it was sent)'));
    for (const p of report.plan) line(`  ${p.hunter} as ${p.identity}: ${p.action} · ${p.request}`);
  }
  if (report.notContacted.length > 0) {
    line();
    line(c.bold('seen, not contacted'));
    for (const n of report.notContacted) line(`  ${n.address}  ${n.reason} · ${n.origin}`);
  }
  if (report.problems.length > 0) {
    line();
    line(c.bold('problems'));
    for (const p of report.problems) line(`  ${p.kind}  ${p.hunter} on ${p.subject}: ${p.message}`);
  }
  if (report.baseline && report.baseline.fixed.length > 0) {
    line();
    line(c.bold(`fixed since the baseline ${report.baseline.path}`));
    for (const f of report.baseline.fixed) line(`  ${c.green(f.kb)} ${f.title}  ${c.dim(f.location)}`);
  }
  const { stats, trace } = report;
  line();
  line(
    `audit trail: ${trace.path ? `trace ${trace.path}` : 'no trace file (--trace FILE writes one)'} · ${trace.requests} requests, ${trace.refused} refused`,
  );
  line(c.dim(`  by host: ${countsText(trace.byHost)}`));
  line(c.dim(`  by hunter: ${countsText(trace.byHunter)}`));
  line(statsLine(stats));
  line();
  const counts = SEVERITIES_DESC.filter((s) => (report.stats.findings[s] ?? 0) > 0);
  line(
    counts.length === 0
      ? c.green(summary.trimEnd())
      : c.bold(summary.trimEnd().replace(/(\d+) (critical|high|medium|low|info)/g, (m, _n, s: Severity) => sev[s](m))),
  );
  return `${out.join('\n')}\n`;
}
