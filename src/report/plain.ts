import type { HuntResult } from '../core/hunt.js';
import { knowledgeBase, severityOf } from '../kb/index.js';

/** A plain-text summary of a hunt: services found, findings, statistics. */
export function renderPlain(result: HuntResult): string {
  const kb = knowledgeBase();
  const lines: string[] = [];
  for (const e of result.events) {
    if (e.type === 'ServiceFound')
      lines.push(`service  ${e.host}:${e.port}  ${e.kind} (${e.scheme})${e.version ? ` ${e.version}` : ''}`);
  }
  const findings = result.events.filter((e) => e.type === 'Finding');
  for (const f of findings) {
    const where = [f.host && `${f.host}${f.port ? `:${f.port}` : ''}${f.path ?? ''}`, f.object]
      .filter(Boolean)
      .join(' ');
    lines.push(`finding  [${severityOf(f)}] ${f.kb} ${kb.get(f.kb)?.title ?? ''}  ${where}`);
    lines.push(`         ${f.evidence}`);
  }
  const open = result.events.filter((e) => e.type === 'PortOpen').length;
  lines.push(
    `${findings.length} findings, ${open} open ports, ${result.trace.connects} connects, ${result.trace.counts.requests} requests, ${result.problems.length} problems, ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}
