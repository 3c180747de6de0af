import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { lookupEntry } from '../kb/index.js';
import type { KbEntry } from '../kb/schema.js';

export function formatEntry(e: KbEntry): string {
  const aliases = [...e.aliases.khv, ...e.aliases.mitre];
  return [
    `${e.id}  ${e.title}`,
    `component: ${e.component}    kind: ${e.kind}    category: ${e.category}    severity: ${e.severity}`,
    `why this severity: ${e.severityRationale}`,
    aliases.length ? `aliases: ${aliases.join(', ')}` : '',
    e.follows.length ? `proves: ${e.follows.join(', ')}` : '',
    '',
    e.description,
    '',
    `Remediation: ${e.remediation}`,
    ...(e.references.length ? ['', 'References:', ...e.references.map((r) => `  ${r}`)] : []),
    ...(e.cve ? ['', `Affected and fixed versions from: ${e.cve.source}`] : []),
  ]
    .filter((l, i, all) => l !== '' || all[i - 1] !== '')
    .join('\n');
}

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('print a knowledge-base entry by its KF id, a CVE id, a kube-hunter KHV id or an ATT&CK id')
    .argument('<id>', 'e.g. KF-KUBELET-001, CVE-2018-1002105, KHV036 or T1609')
    .action((id: string) => {
      const found = lookupEntry(id);
      if (found.length === 0) {
        throw new UsageError(
          `no knowledge-base entry or CVE has the id or alias "${id.slice(0, 80)}" (see \`kubeferret list --kb\` and \`kubeferret cve list\`)`,
        );
      }
      console.log(found.map(formatEntry).join('\n\n---\n\n'));
    });
}
