import { z } from 'zod';
import { COVERAGE_REASONS, SEVERITIES } from '../core/events.js';

// The report model's shape, once: the TypeScript types are inferred from it, `kubeferret report`
// validates saved reports with it, and schema/report.schema.json is generated from it.

export const REPORT_VERSION = 1;
export const REPORT_SCHEMA_ID = `urn:kubeferret:report:${REPORT_VERSION}`;

const severity = z.enum(SEVERITIES);
const scheme = z.enum(['http', 'https']);
const counts = z.record(z.string(), z.number().int().min(0));

const cert = z
  .object({
    subject: z.string(),
    issuer: z.string(),
    sans: z.array(z.string()),
    emails: z.array(z.string()),
    validFrom: z.string(),
    validTo: z.string(),
    selfSigned: z.boolean(),
    fingerprint256: z.string(),
  })
  .strict()
  .meta({ description: 'What the TLS certificate served on the port says (no key material).' });

const service = z
  .object({
    port: z.number().int().min(1).max(65535),
    kind: z.string().meta({ description: 'apiserver, kubelet, etcd, dashboard, … or unknown' }),
    scheme,
    version: z.string().optional(),
    cert: cert.optional(),
    evidence: z.array(z.string()).meta({ description: 'Why the port was identified as this kind.' }),
  })
  .strict();

const host = z
  .object({
    address: z.string(),
    openPorts: z.array(z.number().int()),
    services: z.array(service),
    findings: counts.meta({ description: 'Findings on this host by severity.' }),
  })
  .strict();

const chainStep = z
  .object({
    kind: z.enum([
      'host',
      'port',
      'service',
      'credential',
      'version',
      'observation',
      'address',
      'access',
      'finding',
      'gap',
    ]),
    label: z.string(),
    node: z.string().meta({ description: 'The id of this step in graph.nodes.' }),
  })
  .strict();

const finding = z
  .object({
    fingerprint: z.string().meta({
      description:
        'Stable across runs: derived from the knowledge-base id and what the finding concerns, not from event ids, times or order.',
    }),
    kb: z.string().meta({ description: 'Knowledge-base id (KF-… or a CVE id).' }),
    aliases: z.object({ khv: z.array(z.string()), mitre: z.array(z.string()) }).strict(),
    title: z.string(),
    category: z.string(),
    severity,
    location: z.string().meta({ description: 'host:port/path or the object concerned, for display.' }),
    host: z.string().optional(),
    port: z.number().int().optional(),
    path: z.string().optional(),
    object: z.string().optional(),
    identity: z.string().optional(),
    file: z.string().optional().meta({ description: 'For a finding in a manifest (kubeferret check): its file.' }),
    line: z.number().int().min(1).optional().meta({ description: 'The 1-based line of the object in that file.' }),
    evidence: z.string().meta({ description: 'What was observed, secrets redacted.' }),
    description: z.string(),
    remediation: z.string(),
    references: z.array(z.string()),
    proof: z.boolean().meta({ description: 'True when an active hunter proved the impact.' }),
    defence: z.boolean().optional().meta({
      description: 'True for a defence seen to hold (knowledge-base kind defence): reported apart from weaknesses.',
    }),
    possible: z.string().optional().meta({
      description:
        'The conditions the weakness depends on that the hunt could not check: possible, not established. --fail-on ignores it unless --fail-on-possible.',
    }),
    hunter: z.string(),
    hunterTitle: z.string(),
    chain: z.array(chainStep).meta({ description: 'Provenance, from the open port to the finding.' }),
    baseline: z
      .enum(['new', 'suppressed'])
      .optional()
      .meta({ description: 'With --baseline: new, or accepted in the baseline and suppressed.' }),
  })
  .strict();

const graphNode = z
  .object({
    id: z.string(),
    kind: chainStep.shape.kind,
    label: z.string(),
    severity: severity.optional(),
    host: z.string().optional(),
  })
  .strict();

const gap = z
  .object({
    hunter: z.string().meta({ description: 'The hunter or discovery stage that could not finish.' }),
    hunterTitle: z.string(),
    host: z.string().optional(),
    port: z.number().int().min(1).max(65535).optional(),
    subject: z.string().meta({ description: 'What was not examined fully, e.g. `/pods`, `port 10250`.' }),
    reason: z.enum(COVERAGE_REASONS),
    detail: z.string().meta({ description: 'What was cut, and how much was examined before it; secrets redacted.' }),
  })
  .strict();

const attackPath = z
  .object({
    host: z.string(),
    port: z.number().int().min(1).max(65535),
    from: z.string().meta({ description: 'The identity the path starts from, as the hunt names it.' }),
    to: z.string().meta({ description: '`cluster-admin`, `root on a node` or `every Secret`.' }),
    steps: z.array(
      z
        .object({
          action: z.string().meta({ description: 'The escalation step (src/paths/steps.ts), e.g. `read-token`.' }),
          subject: z.string().meta({ description: 'What the step reaches, e.g. `service account dev/ci-bot`.' }),
          evidence: z.string().meta({ description: 'The right used and the rules, bindings or objects it rests on.' }),
          findings: z.array(z.string()).meta({ description: 'Fingerprints of the findings that showed the step.' }),
        })
        .strict(),
    ),
  })
  .strict();

const fixed = z
  .object({
    fingerprint: z.string(),
    kb: z.string(),
    title: z.string(),
    severity,
    location: z.string(),
  })
  .strict();

export const reportSchema = z
  .object({
    $schema: z.literal(REPORT_SCHEMA_ID),
    reportVersion: z.literal(REPORT_VERSION),
    tool: z
      .object({
        name: z.literal('kubeferret'),
        version: z.string(),
        /** The `updated` day of the CVE data the run used. */
        cveData: z.string().optional(),
        /** The knowledge-base revision (a hash of the entries and the bundled CVE data). */
        kbRevision: z.string().optional(),
      })
      .strict(),
    scan: z
      .object({
        startedAt: z.string(),
        endedAt: z.string(),
        durationMs: z.number().min(0),
        interrupted: z.boolean(),
        mode: z.enum(['passive', 'active']),
        dryRun: z.boolean(),
        vantagePoints: z.array(z.enum(['remote', 'pod', 'identity', 'local'])),
        identities: z
          .array(
            z
              .object({
                name: z.string(),
                source: z.string(),
                also: z.array(z.string()).optional().meta({
                  description:
                    'Other ways the same user was obtained (e.g. the token Secret of the same service account): surveyed once, under this name.',
                }),
                tls: z.enum(['insecure-skip-tls-verify', 'unverified']).optional().meta({
                  description:
                    "Set when the identity's credential was sent without verifying the server's certificate: the kubeconfig said insecure-skip-tls-verify, or its source (a bare --token) had no CA.",
                }),
              })
              .strict(),
          )
          .meta({ description: 'Identities used or found, by name only: never their secrets.' }),
        targets: z.array(z.string()),
        scope: z.array(z.string()),
        options: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .meta({ description: 'The options of the run, secrets redacted.' }),
      })
      .strict(),
    hosts: z.array(host),
    findings: z.array(finding),
    graph: z
      .object({
        nodes: z.array(graphNode),
        edges: z.array(z.object({ from: z.string(), to: z.string() }).strict()),
      })
      .strict()
      .meta({
        description: 'The attack graph: hosts, services, intermediate facts and findings, linked by provenance.',
      }),
    access: z
      .object({
        identities: z.array(z.string()),
        rows: z.array(
          z
            .object({
              endpoint: z.string(),
              check: z.string(),
              allowed: z.record(z.string(), z.boolean()),
            })
            .strict(),
        ),
      })
      .strict()
      .meta({ description: 'What each identity could do, side by side: endpoint × check → allowed, per identity.' }),
    changes: z.array(
      z
        .object({
          hunter: z.string(),
          identity: z.string().optional(),
          action: z.string(),
          target: z.string(),
          time: z.string(),
          undo: z.string(),
          undone: z.boolean(),
          undoError: z.string().optional(),
        })
        .strict(),
    ),
    plan: z
      .array(
        z
          .object({
            hunter: z.string(),
            identity: z.string(),
            action: z.string(),
            request: z.string().meta({ description: 'Method and URL, then the body when there is one.' }),
            undo: z.string().optional(),
          })
          .strict(),
      )
      .default([])
      .meta({ description: 'With --dry-run: each request active hunting would have sent to change state.' }),
    notContacted: z
      .array(
        z
          .object({
            address: z.string(),
            reason: z.enum(['out of scope', 'refused by scope']),
            origin: z.string(),
            hunter: z.string().optional(),
          })
          .strict(),
      )
      .meta({ description: 'Addresses seen during the hunt but never contacted.' }),
    paths: z.array(attackPath).default([]).meta({
      description:
        'Attack paths computed (never walked) from each identity to cluster-admin, root on a node and every Secret: the shortest chain of escalation steps.',
    }),
    coverage: z.array(gap).default([]).meta({
      description:
        'What was not examined fully, and why (a cap, a deadline, an unanswered port, a hunter that failed or was stopped): a report without gaps is complete.',
    }),
    problems: z.array(
      z
        .object({
          hunter: z.string(),
          subject: z.string(),
          kind: z.enum(['error', 'timeout', 'warning']),
          message: z.string(),
        })
        .strict(),
    ),
    stats: z
      .object({
        hosts: z.number().int().min(0),
        openPorts: z.number().int().min(0),
        services: z.number().int().min(0),
        portsProbed: z.number().int().min(0),
        requests: z.number().int().min(0),
        refused: z.number().int().min(0),
        durationMs: z.number().min(0),
        huntersRun: z.array(z.string()),
        hunterRuns: z.number().int().min(0),
        events: z.number().int().min(0),
        errors: z.number().int().min(0),
        timeouts: z.number().int().min(0),
        warnings: z.number().int().min(0),
        gaps: z.number().int().min(0).default(0).meta({ description: 'Entries in coverage.' }),
        findings: counts,
      })
      .strict(),
    trace: z
      .object({
        path: z.string().optional(),
        requests: z.number().int().min(0),
        retries: z.number().int().min(0).optional().meta({
          description: 'Of the requests, those sent again after a transient failure (timeout, reset, 429, 5xx).',
        }),
        refused: z.number().int().min(0),
        byHost: counts,
        byHunter: counts,
      })
      .strict()
      .meta({
        description: 'The audit trail: the trace file written with --trace and what was sent, by host and hunter.',
      }),
    baseline: z
      .object({
        path: z.string(),
        new: z.number().int().min(0),
        suppressed: z.number().int().min(0),
        fixed: z.array(fixed).meta({ description: 'Accepted in the baseline, not found this time.' }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .meta({
    title: 'kubeferret report',
    description: 'The result of one kubeferret hunt: every rendering (table, SARIF, HTML, …) is made from this.',
  });

export type Report = z.infer<typeof reportSchema>;
export type ReportFinding = Report['findings'][number];
export type ReportHost = Report['hosts'][number];
export type ChainStep = ReportFinding['chain'][number];
export type GraphNode = Report['graph']['nodes'][number];
export type FixedFinding = z.infer<typeof fixed>;
export type CoverageEntry = z.infer<typeof gap>;
export type AttackPathEntry = z.infer<typeof attackPath>;

/** The JSON Schema published as schema/report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(reportSchema, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: REPORT_SCHEMA_ID, ...rest };
}

/** `0.1.0 (CVE data 2026-11-25, knowledge base 94546d01fbe3)`: what judged the run, for every format's header. */
export function toolLabel(tool: Report['tool']): string {
  const about = [tool.cveData && `CVE data ${tool.cveData}`, tool.kbRevision && `knowledge base ${tool.kbRevision}`];
  const known = about.filter(Boolean);
  return known.length > 0 ? `${tool.version} (${known.join(', ')})` : tool.version;
}
