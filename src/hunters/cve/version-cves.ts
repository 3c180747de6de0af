import type { EventPayloads } from '../../core/events.js';
import { defineHunter } from '../../core/hunter.js';
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

/**
 * Matches every disclosed version against the CVE data. A vendor build (`v1.27.3-eks-…`, `+k3s1`,
 * `-gke.1200`) is presumed to carry backported fixes: its matches are summed up in one KF-CVE-001 finding
 * unless --include-patched-versions asks for them one by one.
 */
export const versionCvesHunter = defineHunter({
  id: 'cve-versions',
  title: 'Known CVEs of the versions components disclose',
  mode: 'passive',
  on: 'Version',
  // One component version on one host is one set of CVEs, however many of its ports disclose it
  // (a kubelet's 10250 and 10255, an API server's 6443 and 8080): the first port seen is named.
  subject: (e) => e.binary ?? `${e.host}|${e.component}|${e.version}`,
  get reports() {
    return ['KF-CVE-001', ...cveDatabase().file.cves.map((c) => c.id)];
  },
  async hunt(event, ctx) {
    const version = parseVersion(event.version);
    if (!version) {
      ctx.log(`${LABEL[event.component]} version "${event.version.slice(0, 80)}" at ${seenAt(event)} is not X.Y.Z`);
      return;
    }
    const matches = matchCves(version, event.component, cveDatabase().file.cves);
    if (matches.length === 0) return;
    const location = locationOf(event, version);
    if (version.vendor && !ctx.options.includePatchedVersions) {
      ctx.report({
        kb: 'KF-CVE-001',
        ...location,
        evidence:
          `${version.raw} seen at ${seenAt(event)} is a vendor build ("${version.vendor}") of ${version.base}; ` +
          `${matches.length} CVE${matches.length === 1 ? '' : 's'} affect upstream ${version.base}: ` +
          `${matches.map((m) => m.cve.id).join(', ')}`,
      });
      return;
    }
    for (const m of matches) ctx.report({ kb: m.cve.id, ...location, evidence: matchEvidence(event, version, m) });
  },
});
