import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { describeCondition } from '../kb/cve-conditions.js';
import {
  BUNDLED_CVE_FILE,
  cveDatabase,
  installCveFile,
  removeUserCveFile,
  useCveFile,
  userCveFile,
} from '../kb/cve-data.js';
import { DECIDES, describeRange, fixedVersions, matchCves, type VersionSource } from '../kb/cve-match.js';
import { cveEntry } from '../kb/index.js';
import { parseVersion } from '../kb/version.js';
import { formatEntry } from './explain.js';

const SOURCES = Object.keys(DECIDES) as VersionSource[];

function selectData(file: string | undefined): void {
  if (file !== undefined) useCveFile(file);
}

function describeData(): string {
  const db = cveDatabase();
  return `${db.file.cves.length} CVEs from ${db.path} (${db.origin}, updated ${db.file.updated})`;
}

export function registerCve(program: Command): void {
  const cve = program
    .command('cve')
    .description('inspect, check against and update the CVE data that version checks use');

  cve
    .command('list')
    .description('list the CVEs in the data in use')
    .option('--json', 'print the whole data file in use as JSON')
    .option('--cve-data <file>', 'use this CVE data instead of the installed one')
    .action((opts: { json?: boolean; cveData?: string }) => {
      selectData(opts.cveData);
      const { file } = cveDatabase();
      if (opts.json) {
        console.log(JSON.stringify(file, null, 2));
        return;
      }
      const width = Math.max(...file.cves.map((c) => c.id.length), 2);
      console.log(`${'ID'.padEnd(width)}  SEVERITY  COMPONENTS                TITLE`);
      for (const c of file.cves) {
        console.log(`${c.id.padEnd(width)}  ${c.severity.padEnd(8)}  ${c.components.join(',').padEnd(24)}  ${c.title}`);
      }
      console.log(`\n${describeData()}; ${file.excluded.length} left out on purpose (see --json)`);
    });

  cve
    .command('show')
    .description('print one CVE: what it is, affected and fixed versions, what to do')
    .argument('<id>', 'e.g. CVE-2018-1002105')
    .option('--cve-data <file>', 'use this CVE data instead of the installed one')
    .action((id: string, opts: { cveData?: string }) => {
      selectData(opts.cveData);
      const found = cveDatabase().file.cves.find((c) => c.id === id.trim().toUpperCase());
      if (!found) throw new UsageError(`${id} is not in the CVE data (${describeData()})`);
      console.log(formatEntry(cveEntry(found)));
    });

  cve
    .command('check')
    .description('list the CVEs that affect a version string, as the CVE hunter would match it')
    .argument('<version>', 'e.g. v1.27.3, v1.28.2+k3s1, 3.4.23')
    .option('--component <name>', `what the version is of: ${SOURCES.join(', ')}`, 'kubernetes')
    .option('--cve-data <file>', 'use this CVE data instead of the installed one')
    .action((text: string, opts: { component: string; cveData?: string }) => {
      if (!(SOURCES as string[]).includes(opts.component)) {
        throw new UsageError(`--component takes one of ${SOURCES.join(', ')}, not "${opts.component}"`);
      }
      const version = parseVersion(text);
      if (!version) throw new UsageError(`"${text.slice(0, 80)}" is not a version like v1.27.3 or 3.4.23`);
      selectData(opts.cveData);
      const matches = matchCves(version, opts.component as VersionSource, cveDatabase().file.cves);
      if (version.vendor) {
        console.log(
          `${version.raw} is a vendor build ("${version.vendor}") of ${version.base}: hunts hold these back ` +
            'unless --include-patched-versions, since vendors backport fixes',
        );
      }
      for (const m of matches) {
        console.log(`${m.cve.id}  ${m.cve.severity.padEnd(8)}  ${describeRange(m.range)}  ${m.cve.title}`);
        console.log(`  fixed in ${fixedVersions(m.cve).join(', ')}`);
        // A hunt checks these against what it observes; a version alone cannot.
        if (m.cve.conditions) console.log(`  only if ${m.cve.conditions.map(describeCondition).join('; ')}`);
      }
      console.log(`${matches.length} CVEs affect ${opts.component} ${version.comparable}; data: ${describeData()}`);
    });

  cve
    .command('update')
    .description(
      'install CVE data: a file of the same schema replaces the data in use; the official Kubernetes CVE feed (JSON Feed) or OSV records are merged into it',
    )
    .argument(
      '<file>',
      'a JSON file like `kubeferret cve list --json` prints, the Kubernetes CVE feed (index.json), or OSV records (one, or a list)',
    )
    .action((path: string) => {
      let installed: ReturnType<typeof installCveFile>;
      try {
        installed = installCveFile(path);
      } catch (err) {
        // Said as the command the user ran: what went wrong is about `cve update`, not a hunt.
        if (err instanceof UsageError) throw new UsageError(`cve update: ${err.message}`);
        throw err;
      }
      const merge = installed.merge;
      if (merge) {
        for (const line of merge.lines) console.log(line);
        const { added, changed, unchanged, leftOut } = merge.counts;
        const from = merge.format === 'osv' ? 'OSV records' : 'the Kubernetes CVE feed';
        console.log(
          `${from}: ${added} added, ${changed} changed, ${unchanged} unchanged, ${leftOut} left out; curated conditions kept`,
        );
      }
      console.log(
        `installed ${installed.file.cves.length} CVEs (updated ${installed.file.updated}) from ${path} to ${installed.path}`,
      );
      const active = cveDatabase();
      if (active.origin === 'bundled') {
        console.log(
          `note: the bundled data (${BUNDLED_CVE_FILE}, updated ${active.file.updated}) is newer, so it stays in use`,
        );
      }
    });

  cve
    .command('reset')
    .description('remove the CVE data installed by `cve update`; the bundled data is used again')
    .action(() => {
      const path = userCveFile();
      console.log(removeUserCveFile(path) ? `removed ${path}` : `no CVE data installed at ${path}`);
      console.log(describeData());
    });
}
