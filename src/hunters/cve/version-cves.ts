import type { EventPayloads, KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { type Applicability, applicability, type Observed, oneLower } from '../../kb/cve-conditions.js';
import { cveDatabase } from '../../kb/cve-data.js';
import { type CveMatch, describeRange, matchCves, type VersionSource } from '../../kb/cve-match.js';
import { type ParsedVersion, parseVersion } from '../../kb/version.js';

const LABEL: Record<VersionSource, string> = {
  kubernetes: 'Kubernetes',
  kubelet: 'kubelet',
  etcd: 'etcd',
  kubectl: 'kubectl',
};

/** Where a finding points: the endpoint that disclosed the version, or the local binary. */
function locationOf(event: EventPayloads['Version'], version: ParsedVersion) {
  const object = `${LABEL[event.component]} ${version.raw}`;
  return event.binary ? { object: `${object} (${event.binary})` } : { host: event.host, port: event.port, object };
}

function seenAt(event: EventPayloads['Version']): string {
  return event.binary ?? `${event.host}:${event.port}`;
}

function matchEvidence(event: EventPayloads['Version'], version: ParsedVersion, m: CveMatch): string {
  const notes = [
    version.prerelease ? `pre-release ${version.prerelease} counts as older than ${version.base}` : '',
    version.vendor
      ? `vendor build "${version.vendor}" of ${version.base}, reported because of --include-patched-versions`
      : '',
  ].filter(Boolean);
  return (
    `${LABEL[event.component]} ${version.raw} seen at ${seenAt(event)} is in the affected range ` +
    `${describeRange(m.range)} of ${m.components.join(', ')}; fixed in ${m.fixedIn.join(', ')}` +
    (notes.length ? ` (${notes.join('; ')})` : '')
  );
}

interface Judged {
  match: CveMatch;
  applicability: Applicability;
}

/** Why the CVE is reported: the range, and for a CVE with conditions what held and what was not checked. */
function conditionNotes(a: Applicability): string {
  const notes = [
    a.met.length ? `conditions seen: ${a.met.join('; ')}` : '',
    a.unchecked.length ? `possible: not checked whether ${a.unchecked.join('; ')}` : '',
  ].filter(Boolean);
  return notes.length ? `; ${notes.join('; ')}` : '';
}

function judge(
  event: KfEvent<'Version'>,
  ports: readonly number[],
  version: ParsedVersion,
  observations: readonly Observed[],
  ctx: HuntContext,
): Judged[] {
  const judged: Judged[] = [];
  for (const match of matchCves(version, event.component, cveDatabase().file.cves)) {
    const where = { host: event.host, ports: event.binary ? undefined : ports, components: match.components };
    const a = applicability(match.cve, where, observations);
    if (a.outcome === 'not-applicable') {
      ctx.log(
        `${match.cve.id} does not apply to ${LABEL[event.component]} ${version.raw} at ${seenAt(event)}: ${a.unmet}`,
      );
      continue;
    }
    judged.push({ match, applicability: a });
  }
  return judged;
}

/**
 * Matches every disclosed version against the CVE data once the hunt has settled, so every fact other
 * hunters observed (a node's operating system, etcd's authentication, an endpoint that answers) is in
 * when a CVE's conditions are checked: a CVE whose condition was seen not to hold is only a debug line; one
 * whose condition could not be checked is reported as possible, one severity lower, naming the condition.
 * A vendor build (`v1.27.3-eks-…`, `+k3s1`, `-gke.1200`) is presumed to carry backported fixes: its
 * matches are summed up in one KF-CVE-001 finding unless --include-patched-versions asks for them one by
 * one.
 */
export const versionCvesHunter = defineHunter({
  id: 'cve-versions',
  title: 'Known CVEs of the versions components disclose',
  mode: 'passive',
  on: 'HuntSettled',
  get reports() {
    return ['KF-CVE-001', ...cveDatabase().file.cves.map((c) => c.id)];
  },
  async hunt(_settled, ctx) {
    const observations = ctx.known('Observation');
    // One component version on one host is one set of CVEs, however many of its ports disclose it (a
    // kubelet's 10250 and 10255, an etcd's 2379 and 2380): the lowest port is named (not the first to
    // answer, which changes from run to run and with it the findings' fingerprints), and what was observed
    // on any of them counts.
    const groups = new Map<string, { first: KfEvent<'Version'>; ports: number[] }>();
    for (const event of ctx.known('Version')) {
      const key = event.binary ?? `${event.host}|${event.component}|${event.version}`;
      const group = groups.get(key);
      if (!group) groups.set(key, { first: event, ports: [event.port] });
      else {
        group.ports.push(event.port);
        group.ports.sort((a, b) => a - b);
        if (event.port < group.first.port) group.first = event;
      }
    }
    for (const { first, ports } of groups.values()) huntVersion(first, ports, observations, ctx);
  },
});

function huntVersion(
  event: KfEvent<'Version'>,
  ports: readonly number[],
  observations: readonly Observed[],
  ctx: HuntContext,
): void {
  const version = parseVersion(event.version);
  if (!version) {
    ctx.log(`${LABEL[event.component]} version "${event.version.slice(0, 80)}" at ${seenAt(event)} is not X.Y.Z`);
    return;
  }
  const judged = judge(event, ports, version, observations, ctx);
  if (judged.length === 0) return;
  const location = locationOf(event, version);
  if (version.vendor && !ctx.options.includePatchedVersions) {
    ctx.report(
      {
        kb: 'KF-CVE-001',
        ...location,
        evidence:
          `${version.raw} seen at ${seenAt(event)} is a vendor build ("${version.vendor}") of ${version.base}; ` +
          `${judged.length} CVE${judged.length === 1 ? '' : 's'} affect upstream ${version.base}: ` +
          `${judged.map((j) => `${j.match.cve.id}${j.applicability.outcome === 'possible' ? ' (possible)' : ''}`).join(', ')}`,
      },
      [event.id],
    );
    return;
  }
  for (const { match, applicability: a } of judged) {
    const possible = a.outcome === 'possible';
    ctx.report(
      {
        kb: match.cve.id,
        ...location,
        evidence: matchEvidence(event, version, match) + conditionNotes(a),
        ...(possible && { possible: a.unchecked.join('; '), severity: oneLower(match.cve.severity) }),
      },
      [event.id, ...a.used.flatMap((o) => (o.id ? [o.id] : []))],
    );
  }
}
