import type { Severity } from '../core/events.js';
import { severityRank } from '../core/events.js';
import type { Report, ReportFinding } from './schema.js';
import { COVERAGE_REASON_TEXT, chainText, gapLine, gapWhere } from './text.js';

// SARIF 2.1.0 for code scanning. A network finding has no source file, so each result gets a stable
// repository-relative pseudo-path (GitHub requires one location with a relative artifact URI; URL schemes
// are rejected) and a logical location holding the real endpoint or object.

const SARIF_SCHEMA = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json';

/** GitHub's scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low. */
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: undefined,
};

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

const segment = (s: string) => encodeURIComponent(s);

/**
 * `kubeferret/127.0.0.2/10250/run`, `kubeferret/127.0.0.3/objects/pod%20default%2Fweb`,
 * `kubeferret/objects/pod%20kube-system%2Fetcd`: stable across runs.
 */
export function artifactUri(f: ReportFinding): string {
  if (f.host) {
    const path = (f.path ?? '').split(/[?#]/)[0].split('/').filter(Boolean).map(segment);
    // The object a finding concerns is part of where it is (a pod on a node, a container behind /run).
    const object = f.object ? ['objects', segment(f.object)] : [];
    return ['kubeferret', segment(f.host), ...(f.port ? [String(f.port)] : []), ...path, ...object].join('/');
  }
  if (f.object) return `kubeferret/objects/${segment(f.object)}`;
  return `kubeferret/identities/${segment(f.identity ?? 'unknown')}`;
}

/** A manifest's path as a relative URI reference (forward slashes, each segment escaped). */
export function manifestUri(file: string): string {
  return file.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}

function helpText(f: ReportFinding): { text: string; markdown: string } {
  const refs = f.references;
  const aliases = [...f.aliases.khv, ...f.aliases.mitre];
  return {
    text: [
      f.description,
      `Remediation: ${f.remediation}`,
      aliases.length ? `Aliases: ${aliases.join(', ')}` : '',
      refs.length ? `References:\n${refs.map((r) => `- ${r}`).join('\n')}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
    markdown: [
      f.description,
      `**Remediation:** ${f.remediation}`,
      aliases.length ? `**Aliases:** ${aliases.join(', ')}` : '',
      refs.length ? `**References:**\n${refs.map((r) => `- <${r}>`).join('\n')}` : '',
    ]
      .filter(Boolean)
      .join('\n\n'),
  };
}

export function renderSarif(report: Report): string {
  // One rule per knowledge-base entry that has a result; its severity is the worst of its results.
  const rules = new Map<string, { finding: ReportFinding; severity: Severity }>();
  for (const f of report.findings) {
    const r = rules.get(f.kb);
    if (!r) rules.set(f.kb, { finding: f, severity: f.severity });
    else if (severityRank(f.severity) > severityRank(r.severity)) r.severity = f.severity;
  }
  const ruleIds = [...rules.keys()];
  const sarifRules = ruleIds.map((id) => {
    const { finding: f, severity } = rules.get(id)!;
    const securitySeverity = SECURITY_SEVERITY[severity];
    return {
      id,
      name: id.replace(/[^A-Za-z0-9]/g, ''),
      shortDescription: { text: f.title },
      fullDescription: { text: f.description || f.title },
      ...(f.references[0] && { helpUri: f.references[0] }),
      help: helpText(f),
      defaultConfiguration: { level: LEVEL[severity] },
      properties: {
        tags: ['security', 'kubernetes', f.category, ...f.aliases.khv, ...f.aliases.mitre],
        precision: 'high',
        ...(securitySeverity && { 'security-severity': securitySeverity }),
      },
    };
  });

  const results = report.findings.map((f) => ({
    ruleId: f.kb,
    ruleIndex: ruleIds.indexOf(f.kb),
    // A defence that held is a check that passed: SARIF's kind `pass`, whose level is always `none`.
    kind: f.defence ? 'pass' : 'fail',
    level: f.defence ? 'none' : LEVEL[f.severity],
    message: { text: `${f.title} at ${f.location}.${f.evidence ? ` Evidence: ${f.evidence}` : ''}` },
    locations: [
      {
        // A manifest's finding points at its file and line, so code scanning annotates that line.
        physicalLocation: f.file
          ? { artifactLocation: { uri: manifestUri(f.file) }, region: { startLine: f.line ?? 1 } }
          : { artifactLocation: { uri: artifactUri(f) }, region: { startLine: 1 } },
        logicalLocations: [{ name: f.location, fullyQualifiedName: f.location, kind: 'resource' }],
      },
    ],
    partialFingerprints: { 'kubeferret/v1': f.fingerprint },
    ...(f.baseline && { baselineState: f.baseline === 'new' ? 'new' : 'unchanged' }),
    ...(f.baseline === 'suppressed' && {
      suppressions: [
        { kind: 'external', state: 'accepted', justification: `accepted in the baseline ${report.baseline?.path}` },
      ],
    }),
    properties: {
      severity: f.severity,
      chain: chainText(f),
      proof: f.proof,
      ...(f.possible && { possible: f.possible }),
      hunter: f.hunter,
      ...(f.identity && { identity: f.identity }),
    },
  }));

  const problems = report.problems.map((p) => ({
    level: p.kind === 'warning' ? 'warning' : 'error',
    message: { text: `${p.hunter} on ${p.subject}: ${p.message}` },
  }));
  // What was not examined fully: one notification per gap, its descriptor naming the reason, so a
  // consumer can tell "clean" from "incomplete" without parsing the message.
  const reasons = [...new Set(report.coverage.map((g) => g.reason))].sort();
  const notificationDescriptors = reasons.map((reason) => ({
    id: `coverage/${reason}`,
    shortDescription: { text: `Not fully examined: ${COVERAGE_REASON_TEXT[reason]}` },
    defaultConfiguration: { level: 'warning' },
  }));
  const gaps = report.coverage.map((g) => ({
    level: 'warning',
    message: { text: `Not fully examined: ${gapLine(g)}` },
    descriptor: { id: `coverage/${g.reason}`, index: reasons.indexOf(g.reason) },
    ...(g.host && { locations: [{ logicalLocations: [{ name: gapWhere(g), kind: 'resource' }] }] }),
    properties: {
      hunter: g.hunter,
      subject: g.subject,
      reason: g.reason,
      ...(g.host && { host: g.host }),
      ...(g.port && { port: g.port }),
    },
  }));

  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kubeferret',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            properties: { cveData: report.tool.cveData, kbRevision: report.tool.kbRevision },
            rules: sarifRules,
            ...(notificationDescriptors.length > 0 && { notifications: notificationDescriptors }),
          },
        },
        invocations: [
          {
            executionSuccessful: !report.scan.interrupted,
            startTimeUtc: report.scan.startedAt,
            endTimeUtc: report.scan.endedAt,
            toolExecutionNotifications: [...gaps, ...problems],
          },
        ],
        results,
        properties: {
          mode: report.scan.mode,
          targets: report.scan.targets,
          scope: report.scan.scope,
          complete: report.coverage.length === 0,
          ...(report.trace.path && { trace: report.trace.path }),
        },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
