import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import type { Severity } from '../core/events.js';
import { defineHunter } from '../core/hunter.js';
import { OPS_KB, opsFindings, podSpecOf, whereOf } from '../hunters/ops/checks.js';
import { DNS_KB, dnsUnjudged } from '../hunters/ops/dns.js';
import { podSpecWeaknesses, SPEC_KB } from '../kubernetes/pod-spec.js';
import { type ManifestObject, readManifest } from '../manifests/read.js';
import { exitCodeOf, type OutputFlags, registerOutputOptions, writeOutputs } from './flags/output.js';
import { logHooks } from './logs.js';
import { severityOrNone } from './options.js';
import { runFromCli } from './run.js';

interface CheckFlags extends OutputFlags {
  failOn?: Severity | 'none';
  failOnPossible?: boolean;
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** The files a path names: a file as it is, a directory's YAML and JSON files (recursively, sorted), `-` stdin. */
function filesOf(path: string): string[] {
  if (path === '-') return ['-'];
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new UsageError(`check: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = join(path, e.name);
      if (e.isDirectory()) return filesOf(full);
      return MANIFEST.test(e.name) ? [full] : [];
    });
}

/** Every object of the files, and one line for each file or document that is not Kubernetes YAML. */
export function readManifests(paths: readonly string[]): { objects: ManifestObject[]; skipped: string[] } {
  const objects: ManifestObject[] = [];
  const skipped: string[] = [];
  for (const file of paths.flatMap(filesOf)) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      skipped.push(
        `${file === '-' ? 'standard input' : file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
      continue;
    }
    const read = readManifest(text, file === '-' ? 'stdin' : file);
    objects.push(...read.objects);
    skipped.push(...read.skipped);
  }
  return { objects, skipped };
}

/**
 * The checks that need no live cluster, as one hunter over the manifests: the pod-spec weaknesses of the
 * security hunters (KF-WORKLOAD-001…-005) and the operational risks (KF-OPS-*), each at its file and line.
 * What could not be read is a coverage gap (reason `skipped`), so the report says the check was partial.
 */
function manifestHunter(objects: readonly ManifestObject[], skipped: readonly string[]) {
  return defineHunter({
    id: 'manifest-checks',
    title: 'Pod-spec weaknesses and operational risks of manifests (no cluster)',
    mode: 'passive',
    on: 'HuntStarted',
    reports: [...new Set(Object.values(SPEC_KB)), ...Object.values(OPS_KB), ...Object.values(DNS_KB)],
    async hunt(_event, ctx) {
      for (const line of skipped) {
        const at = line.indexOf(': ');
        ctx.gap({ subject: line.slice(0, at), reason: 'skipped', detail: line.slice(at + 2) });
      }
      for (const o of objects) {
        const where = whereOf(o);
        for (const w of podSpecWeaknesses(podSpecOf(o))) {
          ctx.report({ kb: w.kb, object: where, file: o.file, line: o.line, evidence: `${where}: ${w.detail}` });
        }
      }
      for (const f of opsFindings(objects, 'manifest')) {
        const o = f.object as ManifestObject;
        const line = f.field ? o.lineOf(f.field, f.valueLine) : o.line;
        ctx.report({ kb: f.kb, object: f.where, file: o.file, line, evidence: `${f.where}: ${f.detail}` });
      }
      for (const u of dnsUnjudged(objects)) {
        const o = u.object as ManifestObject;
        ctx.gap({
          subject: `${o.file}:${o.lineOf(['data', 'Corefile'])}`,
          reason: 'skipped',
          detail: `${u.where}: ${u.detail}`,
        });
      }
    },
  });
}

export function registerCheck(program: Command): void {
  const cmd = program
    .command('check')
    .description('check manifests (YAML, JSON, List kinds, `kubectl kustomize` output on -) without a cluster')
    .argument('<paths...>', 'manifest files, directories (their .yaml, .yml and .json files), or - for stdin')
    .option(
      '--fail-on <severity>',
      'exit 1 when a finding is at or above: info|low|medium|high|critical|none (default high)',
      severityOrNone('--fail-on'),
    )
    .option('--fail-on-possible', 'possible findings count for --fail-on too; by default they do not')
    .option('--quiet', 'print only the summary');
  registerOutputOptions(cmd);
  cmd.action(async (paths: string[], flags: CheckFlags, command: Command) => {
    const { objects, skipped } = readManifests(paths);
    for (const line of skipped) console.error(`kubeferret: ${line}`);
    const debug = command.optsWithGlobals().debug === true;
    const config = defaultConfig({ failOn: flags.failOn, failOnPossible: flags.failOnPossible, debug });
    process.exitCode = await runFromCli(config, [manifestHunter(objects, skipped)], logHooks(debug), async (result) => {
      const report = await writeOutputs(result, flags);
      return exitCodeOf(report, config.failOn, {
        failOnIncomplete: flags.failOnIncomplete,
        failOnPossible: config.failOnPossible,
      });
    });
  });
}
