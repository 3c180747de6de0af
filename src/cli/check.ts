import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultConfig } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import type { Severity } from '../core/events.js';
import { type AnyHunter, defineHunter, type HuntContext } from '../core/hunter.js';
import { sample } from '../hunters/evidence.js';
import { opsFindings } from '../hunters/ops/checks.js';
import { dnsUnjudged } from '../hunters/ops/dns.js';
import { DNS_KB, OPS_KB, podSpecOf, whereOf } from '../hunters/ops/objects.js';
import { manifestUnjudged, unjudgedLine, unjudgedOf } from '../hunters/ops/unjudged.js';
import { entryOf } from '../kb/index.js';
import { podSpecWeaknesses, SPEC_KB } from '../kubernetes/pod-spec.js';
import { type ManifestObject, readManifest } from '../manifests/read.js';
import { exitCodeOf, type OutputFlags, registerOutputOptions, writeOutputs } from './flags/output.js';
import { chooseHunters, registerSelectOptions, type SelectFlags, withoutMilderFindings } from './flags/select.js';
import { logHooks } from './logs.js';
import { kubernetesMinor, severityOrNone } from './options.js';
import { runFromCli } from './run.js';

interface CheckFlags extends OutputFlags, SelectFlags {
  failOn?: Severity | 'none';
  failOnPossible?: boolean;
  /** The minor version of `--kubernetes-version`, for the version-aware checks. */
  kubernetesVersion?: number;
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

/** A finding of the manifests, ready to report, with its KB id (which of the check hunters reports it). */
type ManifestFinding = Parameters<HuntContext['report']>[0] & { kb: string };

/**
 * What a check could not judge in one object of the manifests (a Corefile's imports), and why: a coverage
 * gap of the hunter that reports `kb`, as the live hunt publishes it. What the checks could not judge for
 * want of objects the manifests lack is one line for the run (`manifestOpsGap`).
 */
interface Unjudged {
  kb: string;
  subject: string;
  detail: string;
}

/** What the checks find in the manifests, and what they could not judge on them. */
function checkManifests(objects: readonly ManifestObject[], minor: number | undefined) {
  const findings: ManifestFinding[] = [];
  for (const o of objects) {
    const where = whereOf(o);
    for (const w of podSpecWeaknesses(podSpecOf(o))) {
      findings.push({ kb: w.kb, object: where, file: o.file, line: o.line, evidence: `${where}: ${w.detail}` });
    }
  }
  for (const f of opsFindings(objects, 'manifest', { minor })) {
    const o = f.object as ManifestObject;
    const line = f.field ? o.lineOf(f.field, f.valueLine) : o.line;
    findings.push({ kb: f.kb, object: f.where, file: o.file, line, evidence: `${f.where}: ${f.detail}` });
  }
  const unjudged: Unjudged[] = [];
  for (const u of dnsUnjudged(objects)) {
    const o = u.object as ManifestObject;
    const subject = `${o.file}:${o.lineOf(['data', 'Corefile'])}`;
    unjudged.push({ kb: DNS_KB.corefile, subject, detail: `${u.where}: ${u.detail}` });
  }
  return { findings, unjudged };
}

/**
 * The checks that need no live cluster, as hunters over the manifests: one per knowledge-base id (the
 * pod-spec weaknesses of the security hunters, KF-WORKLOAD-001…-005, and the operational risks, KF-OPS-*),
 * so `--only`, `--skip` and `--min-severity` choose among them as they choose among hunt's hunters; each
 * finding at its file and line. The manifests are checked once, when the first check runs. What could not
 * be read, or judged, is a coverage gap (reason `skipped`), so the report says the check was partial.
 */
function manifestHunters(
  objects: readonly ManifestObject[],
  skipped: readonly string[],
  inputs: readonly string[],
  minor?: number,
): AnyHunter[] {
  let checked: ReturnType<typeof checkManifests> | undefined;
  const checks = () => {
    checked ??= checkManifests(objects, minor);
    return checked;
  };
  const reading = defineHunter({
    id: 'manifest-read',
    title: 'Manifests read: what is not Kubernetes YAML',
    mode: 'passive',
    on: 'HuntStarted',
    async hunt(_event, ctx) {
      for (const line of skipped) {
        const at = line.indexOf(': ');
        ctx.gap({ subject: line.slice(0, at), reason: 'skipped', detail: line.slice(at + 2) });
      }
    },
  });
  const ids = [...new Set(Object.values(SPEC_KB)), ...Object.values(OPS_KB), ...Object.values(DNS_KB)];
  return [
    reading,
    manifestOpsGap(objects, inputs, new Set(ids)),
    ...ids.map((kb) =>
      defineHunter({
        id: `manifest-${kb.toLowerCase()}`,
        title: `${entryOf(kb)?.title ?? kb} (manifests)`,
        mode: 'passive',
        on: 'HuntStarted',
        reports: [kb],
        async hunt(_event, ctx) {
          const { findings, unjudged } = checks();
          for (const { kb: id, ...finding } of findings) if (id === kb) ctx.report({ kb, ...finding });
          for (const u of unjudged)
            if (u.kb === kb) ctx.gap({ subject: u.subject, reason: 'skipped', detail: u.detail });
        },
      }),
    ),
  ];
}

const OPS_GAP = 'manifest-operational-checks';

/**
 * What the operational checks could not judge for want of objects the manifests do not hold (no Node, no
 * RBAC object), as the live hunt says it for an identity: one `skipped` gap, subject `operational checks
 * (<inputs>)`, naming each missing thing and every check of `kbs` (those the run makes) it kept from being
 * judged. It reports nothing itself, so a selection keeps it (it runs unless skipped by its id).
 */
function manifestOpsGap(objects: readonly ManifestObject[], inputs: readonly string[], kbs: ReadonlySet<string>) {
  return defineHunter({
    id: OPS_GAP,
    title: 'What the operational checks could not judge on the manifests',
    mode: 'passive',
    on: 'HuntStarted',
    async hunt(_event, ctx) {
      const unjudged = unjudgedOf(manifestUnjudged(objects), kbs);
      if (unjudged.length === 0) return;
      const named = inputs.map((p) => (p === '-' ? 'standard input' : p));
      ctx.gap({
        subject: `operational checks (${sample(named, 3)})`,
        reason: 'skipped',
        detail: unjudgedLine(unjudged),
      });
    },
  });
}

/** The hunters chosen, the operational-checks gap made to name only the checks among them. */
function withOpsGapOf(
  hunters: readonly AnyHunter[],
  objects: readonly ManifestObject[],
  inputs: readonly string[],
): AnyHunter[] {
  const kbs = new Set(hunters.flatMap((h) => (h.id.startsWith('manifest-kf-') ? (h.reports ?? []) : [])));
  return hunters.map((h) => (h.id === OPS_GAP ? manifestOpsGap(objects, inputs, kbs) : h));
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
    .option(
      '--kubernetes-version <X.Y>',
      'the version the manifests are for (1.19, v1.28.3), for the version-aware checks (exec probe timeouts before 1.20)',
      kubernetesMinor('--kubernetes-version'),
    )
    .option('--quiet', 'print only the summary');
  registerSelectOptions(cmd);
  registerOutputOptions(cmd);
  cmd.action(async (paths: string[], flags: CheckFlags, command: Command) => {
    // Every flag is checked before a file is read, so a bad one is one line and nothing else.
    const choose = (objects: readonly ManifestObject[], skipped: readonly string[]) =>
      chooseHunters(manifestHunters(objects, skipped, paths, flags.kubernetesVersion), flags);
    choose([], []);
    const { objects, skipped } = readManifests(paths);
    for (const line of skipped) console.error(`kubeferret: ${line}`);
    const chosen = choose(objects, skipped);
    const { selection, partial } = chosen;
    const hunters = withOpsGapOf(chosen.hunters, objects, paths);
    if (partial) console.error(`kubeferret: partial run: ${partial}`);
    const debug = command.optsWithGlobals().debug === true;
    const config = defaultConfig({ failOn: flags.failOn, failOnPossible: flags.failOnPossible, debug });
    process.exitCode = await runFromCli(config, hunters, logHooks(debug), async (hunted) => {
      const result = withoutMilderFindings(hunted, selection?.minSeverity);
      const report = await writeOutputs(result, flags);
      return exitCodeOf(report, config.failOn, {
        failOnIncomplete: flags.failOnIncomplete,
        failOnPossible: config.failOnPossible,
      });
    });
  });
}
