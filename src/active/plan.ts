import type { PlannedRequest } from '../core/changes.js';
import type { Redactor } from '../core/redact.js';

/**
 * The plan of a dry run, for people: each hunter, the identity, and the exact requests it would send, with
 * the run's secrets (the `redactor` of its events) and anything secret-shaped redacted.
 */
export function formatPlan(plan: readonly PlannedRequest[], redactor: Redactor): string {
  const sent = plan.filter((p) => p.undo).length;
  const head =
    plan.length === 0
      ? 'dry run: no active hunter had anything to change; nothing was sent that changes state'
      : `dry run: active hunters would send ${plan.length} request(s) that change state (${sent} to undo afterwards); none was sent`;
  const lines = [head];
  plan.forEach((p, i) => {
    lines.push(`  ${i + 1}. ${p.hunter} as ${p.identity}: ${p.action}`);
    lines.push(`     ${p.request.method} ${p.request.url}`);
    if (p.request.body !== undefined) lines.push(`     ${p.request.body}`);
    if (p.undo) lines.push(`     undo: ${p.undo.method} ${p.undo.url}${p.undo.body ? ` ${p.undo.body}` : ''}`);
  });
  return `${lines.map((line) => redactor.text(line)).join('\n')}\n`;
}
