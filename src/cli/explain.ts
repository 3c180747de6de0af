import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { lookupEntry } from '../kb/index.js';
import type { KbEntry } from '../kb/schema.js';

export function formatEntry(e: KbEntry): string {
  const aliases = [...e.aliases.khv, ...e.aliases.mitre];
  return [
    `${e.id}  ${e.title}`,
    `component: ${e.component}    category: ${e.category}    severity: ${e.severity}`,
    `why this severity: ${e.severityRationale}`,
    aliases.length ? `aliases: ${aliases.join(', ')}` : '',
    '',
    e.description,
    '',
    `Remediation: ${e.remediation}`,
    ...(e.references.length ? ['', 'References:', ...e.references.map((r) => `  ${r}`)] : []),
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('print a knowledge-base entry by its KF id or a kube-hunter KHV id')
    .argument('<id>', 'e.g. KF-KUBELET-001 or KHV036')
    .action((id: string) => {
      const found = lookupEntry(id);
      if (found.length === 0) throw new UsageError(`no knowledge-base entry has the id or alias "${id}"`);
      console.log(found.map(formatEntry).join('\n\n---\n\n'));
    });
}
