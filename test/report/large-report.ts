import { createHash } from 'node:crypto';
import { VERSION } from '../../src/core/version.js';
import { knowledgeBase, severityOf } from '../../src/kb/index.js';
import {
  type ChainStep,
  type GraphNode,
  REPORT_SCHEMA_ID,
  REPORT_VERSION,
  type Report,
  type ReportFinding,
} from '../../src/report/schema.js';

// A large report shaped like a big real hunt, built in memory (no hunt runs): `hosts` kubelets on
// loopback addresses, each an old version with its CVEs, anonymous access that chains to one finding per
// risky pod, so most findings are leaves of a few kinds under few parents — what a kubelet listing
// thousands of privileged pods yields. Every section but findings, hosts and graph comes from `base` (the
// fixture hunt's report in the tests), or is empty. Used by the graph test and by bench/report.ts.

const POD_KBS = ['KF-POD-001', 'KF-POD-002', 'KF-POD-003'];
const ANONYMOUS_KB = 'KF-KUBELET-001';

function fingerprint(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

export interface LargeReportOptions {
  findings: number;
  /** Kubelets the findings spread over. */
  hosts?: number;
}

/** A report of nothing: the sections a large report does not fill. */
function emptyReport(): Report {
  const zero = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  return {
    $schema: REPORT_SCHEMA_ID,
    reportVersion: REPORT_VERSION,
    tool: { name: 'kubeferret', version: VERSION },
    scan: {
      startedAt: '2026-12-07T00:00:00.000Z',
      endedAt: '2026-12-07T00:01:00.000Z',
      durationMs: 60_000,
      interrupted: false,
      mode: 'passive',
      dryRun: false,
      vantagePoints: ['remote'],
      identities: [],
      targets: ['127.38.0.0/16'],
      scope: ['127.38.0.0/16'],
      options: {},
    },
    hosts: [],
    findings: [],
    graph: { nodes: [], edges: [] },
    access: { identities: [], rows: [] },
    changes: [],
    plan: [],
    notContacted: [],
    coverage: [],
    paths: [],
    problems: [],
    stats: {
      hosts: 0,
      openPorts: 0,
      services: 0,
      portsProbed: 0,
      requests: 0,
      refused: 0,
      durationMs: 60_000,
      huntersRun: [],
      hunterRuns: 0,
      events: 0,
      errors: 0,
      timeouts: 0,
      warnings: 0,
      gaps: 0,
      findings: zero,
    },
    trace: { requests: 0, refused: 0, byHost: {}, byHunter: {} },
  };
}

export function largeReport(
  { findings: total, hosts: hostCount = 40 }: LargeReportOptions,
  base: Report = emptyReport(),
): Report {
  const kb = knowledgeBase();
  const entry = (id: string) => {
    const e = kb.get(id);
    if (!e) throw new Error(`the knowledge base has no ${id}`);
    return e;
  };
  const cves = [...kb.values()].filter((e) => e.id.startsWith('CVE-')).slice(0, 12);
  const nodes: GraphNode[] = [];
  const edges: { from: string; to: string }[] = [];
  const findings: ReportFinding[] = [];
  const hosts: Report['hosts'] = [];

  const finding = (id: string, host: string, object: string | undefined, chain: ChainStep[]): ReportFinding => {
    const e = entry(id);
    const fp = fingerprint(JSON.stringify([id, host, 10250, object ?? '']));
    const severity = severityOf({ kb: id });
    const node = `finding:${fp}`;
    nodes.push({ id: node, kind: 'finding', label: `${id} ${e.title}`, severity, host });
    edges.push({ from: chain[chain.length - 1].node, to: node });
    const f: ReportFinding = {
      fingerprint: fp,
      kb: id,
      aliases: { khv: [...e.aliases.khv], mitre: [...e.aliases.mitre] },
      title: e.title,
      category: e.category,
      severity,
      location: `${host}:10250${object ? ` (${object})` : ''}`,
      host,
      port: 10250,
      ...(object !== undefined && { object }),
      evidence: object ? `${object} runs privileged: securityContext.privileged is true` : 'kubelet v1.16.0',
      description: e.description,
      remediation: e.remediation,
      references: [...e.references],
      proof: false,
      hunter: 'kubelet-pods',
      hunterTitle: 'Kubelet pods',
      chain: [...chain, { kind: 'finding', label: e.title, node }],
    };
    findings.push(f);
    return f;
  };

  let made = 0;
  for (let h = 0; h < hostCount && made < total; h++) {
    const host = `127.38.${Math.floor(h / 250)}.${(h % 250) + 1}`;
    const hostNode = `host:${host}`;
    const service = `service:${host}:10250`;
    const version = `version:${host}:10250:kubelet`;
    const access = `access:anonymous@${host}:10250`;
    nodes.push(
      { id: hostNode, kind: 'host', label: host, host },
      { id: service, kind: 'service', label: '10250 kubelet v1.16.0', host },
      { id: version, kind: 'version', label: 'kubelet v1.16.0', host },
    );
    edges.push({ from: hostNode, to: service }, { from: service, to: version });
    const serviceStep: ChainStep = { kind: 'service', label: 'kubelet', node: service };
    const counts = Object.fromEntries(['critical', 'high', 'medium', 'low', 'info'].map((s) => [s, 0]));
    const start = findings.length;
    for (const cve of cves) {
      if (made >= total) break;
      finding(cve.id, host, undefined, [serviceStep, { kind: 'version', label: 'kubelet v1.16.0', node: version }]);
      made++;
    }
    if (made < total) {
      const anonymous = finding(ANONYMOUS_KB, host, undefined, [serviceStep]);
      made++;
      const anonymousNode = anonymous.chain[anonymous.chain.length - 1].node;
      nodes.push({ id: access, kind: 'access', label: 'anonymous: list pods allowed', host });
      edges.push({ from: anonymousNode, to: access });
      const accessChain: ChainStep[] = [
        ...anonymous.chain,
        { kind: 'access', label: 'anonymous: list pods allowed', node: access },
      ];
      const perHost = Math.ceil((total - made) / (hostCount - h));
      for (let p = 0; p < perHost && made < total; p++, made++) {
        finding(POD_KBS[p % POD_KBS.length], host, `pod default/app-${h}-${p}`, accessChain);
      }
    }
    for (const f of findings.slice(start)) counts[f.severity]++;
    hosts.push({
      address: host,
      openPorts: [10250],
      services: [{ port: 10250, kind: 'kubelet', scheme: 'https', version: 'v1.16.0', evidence: ['/healthz says ok'] }],
      findings: counts,
    });
  }

  const bySeverity = Object.fromEntries(['critical', 'high', 'medium', 'low', 'info'].map((s) => [s, 0]));
  for (const f of findings) bySeverity[f.severity]++;
  return {
    ...base,
    hosts,
    findings,
    graph: { nodes, edges },
    stats: {
      ...base.stats,
      hosts: hosts.length,
      openPorts: hosts.length,
      services: hosts.length,
      findings: bySeverity,
    },
  };
}
