import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { HuntConfig } from '../core/config.js';
import { type EventPayloads, type KfEvent, SEVERITIES, severityRank, USER_FACT } from '../core/events.js';
import { type Redactor, redactorFor, secretFingerprint } from '../core/redact.js';
import type { HuntResult } from '../core/result.js';
import { provenance, VERSION } from '../core/version.js';
import { cveDatabase } from '../kb/cve-data.js';
import { lookupEntry, severityOf } from '../kb/index.js';
import { hostLabel, hostOfUrl } from '../net/scope.js';
import {
  type ChainStep,
  type CoverageEntry,
  type GraphNode,
  REPORT_SCHEMA_ID,
  REPORT_VERSION,
  type Report,
  type ReportFinding,
  type ReportHost,
} from './schema.js';

// Builds the report model once from a finished hunt. Every rendering is made from the model, never from
// the events, so a saved JSON report renders exactly like the hunt that produced it.

type Finding = KfEvent<'Finding'>;

/** Where a finding is, for display: `host:port/path`, the object (with `file:line` for a manifest), or the identity. */
export function locationOf(f: EventPayloads['Finding']): string {
  const where = f.host ? `${hostLabel(f.host)}${f.port ? `:${f.port}` : ''}${f.path ?? ''}` : '';
  const what = f.object ?? (where ? '' : f.identity ? `identity ${f.identity}` : '');
  if (f.file) return `${what || '-'} (${f.file}:${f.line ?? 1})`;
  return [where, what && (where ? `(${what})` : what)].filter(Boolean).join(' ') || '-';
}

/** Stable across runs: what the finding is and what it concerns; never event ids, times or order. */
export function fingerprintOf(f: EventPayloads['Finding']): string {
  // A manifest's file is part of what it concerns (the same object in two files is two findings); the key
  // of every other finding stays as it was, so baselines keep matching.
  const parts = [f.kb, f.host ?? '', f.port ?? 0, f.path ?? '', f.object ?? '', f.identity ?? ''];
  const key = JSON.stringify(f.file ? [...parts, f.file] : parts);
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** Numeric address order (IPv4 before IPv6), names after addresses. */
export function compareHosts(a: string, b: string): number {
  const key = (h: string): string => {
    if (!ipaddr.isValid(h)) return `2${h}`;
    const bytes = ipaddr.parse(h).toByteArray();
    return `${bytes.length === 4 ? 0 : 1}${bytes.map((n) => n.toString(16).padStart(2, '0')).join('')}`;
  };
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function nodeIdOf(e: KfEvent, fingerprints: Map<string, string>): string {
  switch (e.type) {
    case 'PortOpen':
    case 'ServiceFound':
      return `service:${e.host}:${e.port}`;
    case 'Version':
      return `version:${e.host}:${e.port}:${e.component}`;
    case 'Credential':
      return `credential:${e.name}`;
    case 'AddressLearned':
      return `address:${e.address}`;
    case 'ApiAccess':
      return `access:${e.identity}@${e.host}:${e.port}`;
    case 'NamespaceAccess':
      return `access:${e.identity}@${e.host}:${e.port}:${e.namespace}`;
    case 'NamespaceSeen':
      return `namespace:${e.namespace}`;
    case 'Finding':
      return `finding:${fingerprints.get(e.id)}`;
    case 'CoverageGap':
      return `gap:${e.hunter}:${e.host ?? ''}:${e.port ?? ''}:${e.subject}`;
    case 'Observation':
      return `observation:${e.host}:${e.port ?? ''}:${e.fact}:${e.name ?? ''}`;
    case 'AttackPath':
      return `path:${e.from}→${e.to}@${e.host}:${e.port}`;
    case 'HuntStarted':
    case 'HuntSettled':
      return 'hunt';
  }
}

function kindOf(e: KfEvent): ChainStep['kind'] {
  switch (e.type) {
    case 'PortOpen':
      return 'port';
    case 'ServiceFound':
      return 'service';
    case 'Credential':
      return 'credential';
    case 'Version':
      return 'version';
    case 'AddressLearned':
      return 'address';
    case 'ApiAccess':
    case 'NamespaceAccess':
      return 'access';
    case 'NamespaceSeen':
      return 'observation';
    case 'Finding':
      return 'finding';
    case 'CoverageGap':
      return 'gap';
    case 'Observation':
      return 'observation';
    // A path is never a finding's parent; should one appear in a chain, it is a fact about access.
    case 'AttackPath':
      return 'access';
    case 'HuntStarted':
    case 'HuntSettled':
      return 'host';
  }
}

function allowedChecks(can: Record<string, boolean>): string {
  const yes = Object.keys(can)
    .filter((k) => can[k])
    .sort();
  if (yes.length === 0) return 'nothing allowed';
  return `${yes.slice(0, 3).join(', ')}${yes.length > 3 ? ` +${yes.length - 3}` : ''} allowed`;
}

function stepLabel(e: KfEvent, title: (f: Finding) => string): string {
  switch (e.type) {
    case 'PortOpen':
      return `open ${e.port}`;
    case 'ServiceFound':
      return `${e.kind}${e.version ? ` ${e.version}` : ''}`;
    case 'Credential':
      return `identity ${e.name}`;
    case 'Version':
      return `${e.component} ${e.version}`;
    case 'AddressLearned':
      return `learned ${e.address}`;
    case 'ApiAccess':
      return `${e.identity}: ${allowedChecks(e.can)}`;
    case 'NamespaceAccess':
      return `${e.identity} in namespace ${e.namespace}: ${allowedChecks(e.can)}`;
    case 'NamespaceSeen':
      return `namespace ${e.namespace} (${e.source})`;
    case 'Finding':
      return title(e);
    case 'CoverageGap':
      return `not fully examined: ${e.subject} (${e.reason})`;
    case 'Observation':
      return `${e.fact}${e.name ? ` ${e.name}` : ''}: ${e.value}`;
    case 'AttackPath':
      return `path ${e.from} → ${e.to}`;
    case 'HuntStarted':
      return 'hunt started';
    case 'HuntSettled':
      return 'every fact gathered';
  }
}

/** Runs of one service: the service's own node label. */
function serviceLabel(port: number, kind: string, version?: string): string {
  return `${port} ${kind}${version ? ` ${version}` : ''}`;
}

function compressPorts(ports: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && ports[j + 1] === ports[j] + 1) j++;
    parts.push(j > i ? `${ports[i]}-${ports[j]}` : String(ports[i]));
    i = j + 1;
  }
  return parts.join(',');
}

/** Publishers of coverage gaps that are stages of the run rather than hunters. */
const STAGE_TITLES: Record<string, string> = { discovery: 'Discovery', hunt: 'The hunt' };

const SECRET_KEY = /token|password|passwd|secret|key|cert|credential/i;

/** The options of a run, fit to print: no secret values, nested values as short JSON. */
function optionsOf(config: HuntConfig, redactor: Redactor): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {
    ports: compressPorts(config.ports),
    concurrency: config.concurrency,
    rate: config.rate,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    hunterTimeoutMs: config.hunterTimeoutMs,
    hunterConcurrency: config.hunterConcurrency,
    perHostConcurrency: config.perHostConcurrency,
    maxBodyBytes: config.maxBodyBytes,
    active: config.active,
    dryRun: config.dryRun,
    failOn: config.failOn,
    includePatchedVersions: config.includePatchedVersions,
    cloud: config.cloud,
    allowLarge: config.allowLarge,
  };
  if (config.tracePath) out.trace = config.tracePath;
  if (config.dnsServers.length > 0) out.dnsServers = config.dnsServers.join(', ');
  for (const [key, value] of Object.entries(config.extra)) {
    if (value === undefined || value === null) continue;
    let v: string | number | boolean =
      typeof value === 'number' || typeof value === 'boolean' ? value : typeof value === 'string' ? value : '';
    if (typeof value === 'object') v = JSON.stringify(value).slice(0, 300);
    // A value under a secret-sounding key is redacted unless it is plainly a file path or a flag.
    if (typeof v === 'string' && SECRET_KEY.test(key) && !/path|file/i.test(key) && v !== '') v = secretFingerprint(v);
    out[`extra.${key}`] = v;
  }
  return redactor.deep(out);
}

function vantagePointsOf(config: HuntConfig, credentials: KfEvent<'Credential'>[]): Report['scan']['vantagePoints'] {
  const points = new Set<Report['scan']['vantagePoints'][number]>();
  if (config.targets.length > 0) points.add('remote');
  if (credentials.some((c) => c.source === 'pod')) points.add('pod');
  if (credentials.some((c) => c.source === 'kubeconfig' || c.source === 'token')) points.add('identity');
  if (config.local) points.add('local');
  return [...points];
}

/** The host a traced request went to; a refusal before any URL (an address, a hostname) names it as is. */
function addressOfUrl(url: string): string {
  try {
    return hostOfUrl(url);
  } catch {
    return url;
  }
}

function emptyCounts(): Record<string, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
}

/**
 * The report model of one hunt. Secrets of the run, and anything that looks like one, are redacted here,
 * by `redactor` (pass the one the caller also renders with; by default one holding the run's secrets).
 */
export function buildReport(result: HuntResult, redactor: Redactor = redactorFor(result.events)): Report {
  const text = (s: string) => redactor.text(s);
  const byId = new Map(result.events.map((e) => [e.id, e]));
  const findings = result.events.filter((e): e is Finding => e.type === 'Finding');
  const fingerprints = new Map(findings.map((f) => [f.id, fingerprintOf(f)]));
  const hunterTitles = new Map((result.hunters ?? []).map((h) => [h.id, h.title]));
  const entryOf = (kb: string) => lookupEntry(kb)[0];
  const titleOf = (f: Finding) => entryOf(f.kb)?.title ?? f.kb;

  // Graph: every ancestor of a finding, every service, and the hosts they sit on.
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, { from: string; to: string }>();
  const addEdge = (from: string, to: string) => {
    if (from !== to) edges.set(`${from}\0${to}`, { from, to });
  };
  const hostNode = (host: string) => {
    const id = `host:${host}`;
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'host', label: host, host });
    return id;
  };
  const services = result.events.filter((e): e is KfEvent<'ServiceFound'> => e.type === 'ServiceFound');
  const serviceAt = new Map(services.map((s) => [`${s.host}:${s.port}`, s]));
  const nodeFor = (e: KfEvent): string => {
    const id = nodeIdOf(e, fingerprints);
    if (nodes.has(id)) return id;
    const host = 'host' in e && typeof e.host === 'string' ? e.host : undefined;
    let node: GraphNode;
    if (e.type === 'PortOpen' || e.type === 'ServiceFound') {
      const s = serviceAt.get(`${e.host}:${e.port}`);
      node = {
        id,
        kind: s ? 'service' : 'port',
        label: s ? serviceLabel(s.port, s.kind, s.version) : `${e.port} open`,
        host,
      };
    } else if (e.type === 'Finding') {
      node = { id, kind: 'finding', label: `${e.kb} ${titleOf(e)}`, severity: severityOf(e), host };
    } else {
      node = { id, kind: kindOf(e), label: text(stepLabel(e, titleOf)), host };
    }
    nodes.set(id, node);
    return id;
  };
  const visited = new Set<string>();
  const visit = (e: KfEvent) => {
    if (visited.has(e.id)) return;
    visited.add(e.id);
    const id = nodeFor(e);
    // The hunt's start is everything's root, not a step an attacker took: it stays out of the graph.
    const parents = e.parents
      .map((p) => byId.get(p))
      .filter((p): p is KfEvent => p !== undefined && p.type !== 'HuntStarted');
    for (const p of parents) {
      addEdge(nodeFor(p), id);
      visit(p);
    }
    if (parents.length === 0 && 'host' in e && typeof e.host === 'string') addEdge(hostNode(e.host), id);
  };
  for (const s of services) visit(s);
  for (const f of findings) visit(f);

  const chainOf = (f: Finding): ChainStep[] => {
    const steps: KfEvent[] = [];
    const seen = new Set<string>();
    for (
      let e: KfEvent | undefined = f;
      e && !seen.has(e.id) && e.type !== 'HuntStarted';
      e = byId.get(e.parents[0] ?? '')
    ) {
      seen.add(e.id);
      steps.unshift(e);
    }
    const viaIdentity = steps.some((s) => s.type === 'ApiAccess' || s.type === 'Credential');
    const chain = steps.map((e) => {
      let label = stepLabel(e, titleOf);
      if (e.type === 'ServiceFound' && f.identity && !viaIdentity) label += ` (${f.identity})`;
      return { kind: kindOf(e), label: text(label), node: nodeIdOf(e, fingerprints) };
    });
    // A service that disclosed its version reads "kubelet v1.16.0", and so does the Version event after
    // it: one step says it.
    return chain.filter((step, i) => i === 0 || step.label !== chain[i - 1].label);
  };

  const reportFindings: ReportFinding[] = findings.map((f) => {
    const entry = entryOf(f.kb);
    return {
      fingerprint: fingerprints.get(f.id)!,
      kb: f.kb,
      aliases: { khv: [...(entry?.aliases.khv ?? [])], mitre: [...(entry?.aliases.mitre ?? [])] },
      title: titleOf(f),
      category: entry?.category ?? 'unknown',
      severity: severityOf(f),
      location: text(locationOf(f)),
      ...(f.host !== undefined && { host: f.host }),
      ...(f.port !== undefined && { port: f.port }),
      ...(f.path !== undefined && { path: text(f.path) }),
      ...(f.object !== undefined && { object: text(f.object) }),
      ...(f.identity !== undefined && { identity: text(f.identity) }),
      ...(f.file !== undefined && { file: text(f.file) }),
      ...(f.line !== undefined && { line: f.line }),
      evidence: text(f.evidence),
      description: entry?.description ?? '',
      remediation: entry?.remediation ?? '',
      references: [...(entry?.references ?? [])],
      proof: f.proof ?? false,
      ...(entry?.kind === 'defence' && { defence: true }),
      ...(f.possible !== undefined && { possible: text(f.possible) }),
      hunter: f.publisher,
      hunterTitle: hunterTitles.get(f.publisher) ?? f.publisher,
      chain: chainOf(f),
    };
  });
  reportFindings.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      compareHosts(a.host ?? '~', b.host ?? '~') ||
      (a.port ?? 0) - (b.port ?? 0) ||
      a.kb.localeCompare(b.kb) ||
      a.fingerprint.localeCompare(b.fingerprint),
  );

  // Hosts and their services.
  const hosts = new Map<string, ReportHost>();
  const hostEntry = (address: string) => {
    let h = hosts.get(address);
    if (!h) {
      h = { address, openPorts: [], services: [], findings: emptyCounts() };
      hosts.set(address, h);
    }
    return h;
  };
  for (const e of result.events) {
    if (e.type === 'PortOpen') hostEntry(e.host).openPorts.push(e.port);
  }
  for (const s of services) {
    hostEntry(s.host).services.push({
      port: s.port,
      kind: s.kind,
      scheme: s.scheme,
      ...(s.version !== undefined && { version: text(s.version) }),
      ...(s.cert && { cert: redactor.deep({ ...s.cert }) }),
      evidence: s.evidence.map(text),
    });
  }
  for (const f of reportFindings) if (f.host) hostEntry(f.host).findings[f.severity]++;
  for (const h of hosts.values()) {
    h.openPorts = [...new Set(h.openPorts)].sort((a, b) => a - b);
    h.services.sort((a, b) => a.port - b.port);
  }

  // Identities side by side.
  const access = result.events.filter((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess');
  const rows = new Map<string, Report['access']['rows'][number]>();
  for (const a of access) {
    const endpoint = `${a.scheme}://${hostLabel(a.host)}:${a.port}`;
    for (const [check, allowed] of Object.entries(a.can)) {
      const key = `${endpoint}\0${check}`;
      let row = rows.get(key);
      if (!row) {
        row = { endpoint, check, allowed: {} };
        rows.set(key, row);
      }
      row.allowed[text(a.identity)] = allowed;
    }
  }
  // Rights found in one namespace only (the namespace survey) where the identity's own checks said no:
  // a row each, `create pods in namespace ops`, so the table shows who may do what where.
  const canOf = new Map(access.map((a) => [`${a.identity}@${a.host}:${a.port}`, a]));
  for (const n of result.events) {
    if (n.type !== 'NamespaceAccess') continue;
    const a = canOf.get(`${n.identity}@${n.host}:${n.port}`);
    if (!a) continue;
    const endpoint = `${a.scheme}://${hostLabel(a.host)}:${a.port}`;
    for (const [check, allowed] of Object.entries(n.can)) {
      if (!allowed || a.can[check] === true) continue;
      const key = `${endpoint}\0${check} in namespace ${n.namespace}`;
      const row = rows.get(key) ?? { endpoint, check: `${check} in namespace ${n.namespace}`, allowed: {} };
      rows.set(key, row);
      row.allowed[text(n.identity)] = true;
    }
  }

  const notContacted = new Map<string, Report['notContacted'][number]>();
  for (const e of result.events) {
    if (e.type === 'AddressLearned' && !e.inScope && !notContacted.has(e.address)) {
      notContacted.set(e.address, {
        address: e.address,
        reason: 'out of scope',
        origin: text(e.origin),
        hunter: e.publisher,
      });
    }
  }
  for (const r of result.trace.refusals) {
    const address = addressOfUrl(r.url);
    if (notContacted.has(address)) continue;
    notContacted.set(address, {
      address,
      reason: 'refused by scope',
      origin: text(`${r.method} ${r.url}`),
      hunter: r.hunter,
    });
  }

  const paths = result.events
    .filter((e): e is KfEvent<'AttackPath'> => e.type === 'AttackPath')
    .map((p) => ({
      host: p.host,
      port: p.port,
      from: text(p.from),
      to: p.to,
      steps: p.steps.map((s) => ({
        action: s.action,
        subject: text(s.subject),
        evidence: text(s.evidence),
        findings: s.findings.flatMap((id) => fingerprints.get(id) ?? []),
      })),
    }))
    .sort(
      (a, b) =>
        compareHosts(a.host, b.host) || a.port - b.port || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
    );

  const coverage: CoverageEntry[] = result.events
    .filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap')
    .map((g) => ({
      hunter: g.hunter,
      hunterTitle: hunterTitles.get(g.hunter) ?? STAGE_TITLES[g.hunter] ?? g.hunter,
      ...(g.host !== undefined && { host: g.host }),
      ...(g.port !== undefined && { port: g.port }),
      subject: text(g.subject),
      reason: g.reason,
      detail: text(g.detail),
    }))
    .sort(
      (a, b) =>
        compareHosts(a.host ?? '~', b.host ?? '~') ||
        (a.port ?? 0) - (b.port ?? 0) ||
        a.hunter.localeCompare(b.hunter) ||
        a.subject.localeCompare(b.subject),
    );

  const credentials = result.events.filter((e): e is KfEvent<'Credential'> => e.type === 'Credential');
  // One entry per user: a credential that is the same user as another (sameAs) is listed under it.
  const identities = new Map<string, Report['scan']['identities'][number]>();
  const identityOf = (c: (typeof credentials)[number]): Report['scan']['identities'][number] => {
    const tls = c.secret.trust?.tls;
    return { name: text(c.name), source: c.source, ...(tls && tls !== 'verify' ? { tls } : {}) };
  };
  // Given identities the server said are one user (whoami.ts): each is the first Credential's on that
  // server with that user, in publish order, as the credential hunter chose the one to survey.
  const userOf = new Map<string, string>();
  for (const o of result.events) {
    if (o.type === 'Observation' && o.fact === USER_FACT && o.name !== undefined && o.value !== '')
      userOf.set(`${o.host}:${o.port}|${o.name}`, o.value);
  }
  const firstOfUser = new Map<string, string>();
  const sameUser = new Map<string, string>();
  for (const c of credentials) {
    if (!c.apiServer || c.sameAs !== undefined) continue;
    const server = `${c.apiServer.host}:${c.apiServer.port}`;
    const user = userOf.get(`${server}|${c.name}`);
    if (user === undefined) continue;
    const first = firstOfUser.get(`${server}|${user}`);
    if (first === undefined) firstOfUser.set(`${server}|${user}`, c.name);
    else if (first !== c.name && !sameUser.has(c.name)) sameUser.set(c.name, first);
  }
  const sameAsOf = (c: (typeof credentials)[number]) => c.sameAs ?? sameUser.get(c.name);
  for (const c of credentials) {
    if (sameAsOf(c) === undefined && !identities.has(c.name)) identities.set(c.name, identityOf(c));
  }
  for (const c of credentials) {
    const primary = sameAsOf(c);
    const first = primary === undefined ? undefined : identities.get(primary);
    if (!first) {
      if (!identities.has(c.name)) identities.set(c.name, identityOf(c));
      continue;
    }
    const also = `${text(c.name)} (${c.source})`;
    if (!first.also?.includes(also)) first.also = [...(first.also ?? []), also];
  }
  const findingCounts = emptyCounts();
  for (const f of reportFindings) findingCounts[f.severity]++;
  const problemCount = (kind: string) => result.problems.filter((p) => p.kind === kind).length;
  const hostList = [...hosts.values()].sort((a, b) => compareHosts(a.address, b.address));

  return {
    $schema: REPORT_SCHEMA_ID,
    reportVersion: REPORT_VERSION,
    tool: {
      name: 'kubeferret',
      version: VERSION,
      cveData: cveDatabase().file.updated,
      kbRevision: provenance().kbRevision,
    },
    scan: {
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      durationMs: result.durationMs,
      interrupted: result.interrupted,
      mode: result.config.active ? 'active' : 'passive',
      dryRun: result.config.dryRun,
      vantagePoints: vantagePointsOf(result.config, credentials),
      identities: [...identities.values()],
      targets: result.config.targets.map((t) => text(t.label)),
      scope: result.scope,
      options: optionsOf(result.config, redactor),
    },
    hosts: hostList,
    findings: reportFindings,
    graph: {
      nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
      edges: [...edges.values()].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    },
    access: {
      identities: [...new Set(access.map((a) => text(a.identity)))].sort(),
      rows: [...rows.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint) || a.check.localeCompare(b.check)),
    },
    changes: result.changes.map(({ id: _id, ...c }) => redactor.deep(c)),
    plan: (result.plan ?? []).map((p) =>
      redactor.deep({
        hunter: p.hunter,
        identity: p.identity,
        action: p.action,
        request: `${p.request.method} ${p.request.url}${p.request.body !== undefined ? ` ${p.request.body}` : ''}`,
        ...(p.undo && { undo: `${p.undo.method} ${p.undo.url}${p.undo.body ? ` ${p.undo.body}` : ''}` }),
      }),
    ),
    notContacted: [...notContacted.values()].sort((a, b) => compareHosts(a.address, b.address)),
    paths,
    coverage,
    problems: result.problems.map((p) => redactor.deep({ ...p })),
    stats: {
      hosts: hostList.length,
      openPorts: hostList.reduce((n, h) => n + h.openPorts.length, 0),
      services: services.length,
      portsProbed: result.trace.connects,
      requests: result.trace.counts.requests,
      refused: result.trace.counts.refused,
      durationMs: result.durationMs,
      huntersRun: [...result.engine.huntersRun],
      hunterRuns: result.engine.hunterRuns,
      events: result.events.length,
      errors: problemCount('error'),
      timeouts: problemCount('timeout'),
      warnings: problemCount('warning'),
      gaps: coverage.length,
      findings: findingCounts,
    },
    trace: {
      ...(result.trace.path && { path: result.trace.path }),
      requests: result.trace.counts.requests,
      ...(result.trace.counts.retries > 0 && { retries: result.trace.counts.retries }),
      refused: result.trace.counts.refused,
      byHost: { ...result.trace.counts.byHost },
      byHunter: { ...result.trace.counts.byHunter },
    },
  };
}
