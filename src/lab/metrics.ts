import { versionInfo } from './version.js';

/** A few Prometheus text-format families, like a component's /metrics. */
export function prometheusText(
  component: string,
  gitVersion: string,
  families: Record<string, [string, number][]> = {},
  platform = 'linux/amd64',
): string {
  const v = versionInfo(gitVersion);
  const lines = [
    "# HELP kubernetes_build_info [ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.",
    '# TYPE kubernetes_build_info gauge',
    `kubernetes_build_info{build_date="${v.buildDate}",compiler="gc",git_commit="${v.gitCommit}",git_tree_state="clean",git_version="${gitVersion}",go_version="${v.goVersion}",major="${v.major}",minor="${v.minor}",platform="${platform}"} 1`,
    '# HELP process_start_time_seconds [ALPHA] Start time of the process since unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.floor(Date.now() / 1000) - 3600}`,
  ];
  for (const [name, samples] of Object.entries(families)) {
    lines.push(`# HELP ${name} [ALPHA] ${component} metric.`, `# TYPE ${name} counter`);
    for (const [labels, value] of samples) lines.push(`${name}${labels ? `{${labels}}` : ''} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
