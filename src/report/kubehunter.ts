import type { Severity } from '../core/events.js';
import { activeFindings } from './baseline.js';
import type { Report } from './schema.js';

// The JSON kube-hunter printed with `--report json`, so tools built on it keep working: nodes, services
// and vulnerabilities with kube-hunter's own field names and value spelling.

/** kube-hunter's service names. */
const SERVICE_NAMES: Record<string, string> = {
  apiserver: 'API Server',
  kubelet: 'Kubelet API',
  'kubelet-readonly': 'Kubelet API (readonly)',
  etcd: 'Etcd',
  dashboard: 'Kubernetes Dashboard',
  'kubectl-proxy': 'Kubernetes Proxy',
  'kube-proxy': 'Kube Proxy',
  metrics: 'Metrics Server',
};

/** kube-hunter knew only low, medium and high. */
const SEVERITY: Record<Severity, string> = {
  info: 'low',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'high',
};

/** kube-hunter's category names: "Information Disclosure", "Denial of Service", … */
function categoryName(category: string): string {
  return category
    .split(' ')
    .map((w) => (w === 'of' ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
}

function titleCase(kind: string): string {
  return kind
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

export function renderKubeHunter(report: Report): string {
  const nodes = report.hosts
    .filter((h) => h.services.length > 0)
    .map((h) => ({ type: 'Node/Master', location: h.address }));
  const services = report.hosts.flatMap((h) =>
    h.services.map((s) => ({
      service: SERVICE_NAMES[s.kind] ?? titleCase(s.kind),
      location: `${h.address}:${s.port}`,
    })),
  );
  // kube-hunter listed only what failed: a defence that held is no vulnerability.
  const vulnerabilities = activeFindings(report)
    .filter((f) => !f.defence)
    .map((f) => {
      const vid = f.aliases.khv[0] ?? 'None';
      return {
        location: f.host ? `${f.host}${f.port ? `:${f.port}` : ''}` : f.location,
        vid,
        category: categoryName(f.category),
        severity: SEVERITY[f.severity],
        vulnerability: f.title,
        description: f.description,
        evidence: f.evidence,
        avd_reference:
          vid !== 'None'
            ? `https://avd.aquasec.com/kube-hunter/${vid.toLowerCase()}/`
            : (f.references[0] ?? 'https://avd.aquasec.com/kube-hunter/none/'),
        hunter: f.hunterTitle,
      };
    });
  return `${JSON.stringify({ nodes, services, vulnerabilities })}\n`;
}
