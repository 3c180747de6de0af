import { z } from 'zod';
import { UsageError } from '../core/errors.js';
import { SEVERITIES } from '../core/events.js';
import type { FixedFinding, Report } from './schema.js';

// A baseline is the list of findings a team has accepted, by stable fingerprint. A run against it
// suppresses those, and tells what is new and what was fixed since.

const baselineSchema = z
  .object({
    kubeferretBaseline: z.literal(1),
    createdAt: z.string(),
    findings: z.array(
      z.object({
        fingerprint: z.string().min(1),
        kb: z.string(),
        title: z.string(),
        severity: z.enum(SEVERITIES),
        location: z.string(),
      }),
    ),
  })
  .strict();

export type Baseline = z.infer<typeof baselineSchema>;

/** Every finding of a report, accepted. */
export function baselineOf(report: Report): Baseline {
  return {
    kubeferretBaseline: 1,
    createdAt: report.scan.endedAt,
    findings: report.findings.map((f) => ({
      fingerprint: f.fingerprint,
      kb: f.kb,
      title: f.title,
      severity: f.severity,
      location: f.location,
    })),
  };
}

/** Parses a baseline file's text; a foreign or broken file is a UsageError naming it. */
export function parseBaseline(text: string, path: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`baseline ${path} is not JSON (write one with --write-baseline FILE)`);
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `baseline ${path} is not a kubeferret baseline (${issue.path.join('.') || 'top level'}: ${issue.message})`,
    );
  }
  return parsed.data;
}

/** The report with accepted findings marked suppressed, the rest marked new, and what was fixed. */
export function applyBaseline(report: Report, baseline: Baseline, path: string): Report {
  const accepted = new Map(baseline.findings.map((f) => [f.fingerprint, f]));
  const current = new Set(report.findings.map((f) => f.fingerprint));
  const findings = report.findings.map((f) => ({
    ...f,
    baseline: accepted.has(f.fingerprint) ? ('suppressed' as const) : ('new' as const),
  }));
  const fixed: FixedFinding[] = baseline.findings
    .filter((f) => !current.has(f.fingerprint))
    .map(({ fingerprint, kb, title, severity, location }) => ({ fingerprint, kb, title, severity, location }));
  return {
    ...report,
    findings,
    baseline: {
      path,
      new: findings.filter((f) => f.baseline === 'new').length,
      suppressed: findings.filter((f) => f.baseline === 'suppressed').length,
      fixed,
    },
  };
}

/** Findings that count: those not suppressed by a baseline. */
export function activeFindings(report: Report): Report['findings'] {
  return report.findings.filter((f) => f.baseline !== 'suppressed');
}
