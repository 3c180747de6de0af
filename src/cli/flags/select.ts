import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { type EventType, type KfEvent, SEVERITIES, type Severity, severityRank } from '../../core/events.js';
import type { AnyHunter, Hunter } from '../../core/hunter.js';
import { NETWORK_FINDINGS } from '../../hunters/apiserver/network-start.js';
import { entryOf, knowledgeBase, severityOf } from '../../kb/index.js';
import type { HuntResult } from '../../run/hunt.js';
import { collect } from '../options.js';

/**
 * Choosing what runs: `--only` and `--skip` take hunter ids, knowledge-base ids (KF-…, CVE-…), kube-hunter
 * ids (KHV…) and tags (`kubelet`, `etcd`, `cve`, `active`, …; `kubeferret list` shows each hunter's), and
 * `--min-severity` keeps the hunters that can report at least that severity. A hunter that a chosen one
 * needs (the one that publishes the facts it listens for) is kept, and a run that left hunters out says so
 * in its report: a coverage gap with reason `skipped`.
 */
export interface SelectFlags {
  only?: string[];
  skip?: string[];
  minSeverity?: Severity;
}

export function registerSelectOptions(cmd: Command): Command {
  return cmd
    .option(
      '--only <list>',
      'run only these hunters: ids, KB ids, KHV ids or tags (comma-separated, repeatable; see `kubeferret list`)',
      collect,
    )
    .option(
      '--skip <list>',
      'do not run these hunters: ids, KB ids, KHV ids or tags (comma-separated, repeatable)',
      collect,
    )
    .option(
      '--min-severity <level>',
      `run only hunters that can report this severity or worse: ${SEVERITIES.join(', ')}`,
      severity,
    );
}

function severity(text: string): Severity {
  const v = text.trim().toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(v)) return v as Severity;
  throw new UsageError(`--min-severity takes one of ${SEVERITIES.join(', ')}, not "${text}"`);
}

/**
 * Facts hunters listen for that other hunters publish (the rest come from discovery itself). Hunters that
 * report nothing exist to publish facts (fingerprint, node discovery, credential binding) and are always
 * kept unless skipped by id; Finding listeners are matched through their own `when`.
 */
const VERSION_PUBLISHERS = [
  'fingerprint',
  'apiserver-version',
  'kubelet-access',
  'etcd-access',
  'local-kubectl-version',
  'proxy-active-access',
];
/** What the CVE conditions read: node OS, kubelet settings, control-plane flags, etcd's auth. */
const OBSERVATION_PUBLISHERS = [
  'kubelet-access',
  'kubelet-debug-handlers',
  'kubelet-pod-specs',
  'etcd-access',
  'discover-nodes',
  'apiserver-node-addresses',
];

/** Who names namespaces the API servers may not list (NamespaceSeen). */
const NAMESPACE_PUBLISHERS = ['kubelet-pod-specs', 'etcd-access', 'certificate-namespaces'];

export const FACT_PUBLISHERS: Partial<Record<EventType, readonly string[]>> = {
  ServiceFound: ['fingerprint'],
  ApiAccess: [
    'apiserver-anonymous-access',
    'apiserver-credential-access',
    'apiserver-insecure-port',
    'kubectl-proxy-exposed',
  ],
  Version: VERSION_PUBLISHERS,
  Observation: OBSERVATION_PUBLISHERS,
  // Namespaces named outside an API server's list: a kubelet's pods, etcd's key names, certificates.
  NamespaceSeen: NAMESPACE_PUBLISHERS,
  // Node addresses an API server lists.
  AddressLearned: ['apiserver-node-addresses', 'discover-nodes'],
  // Hunters that judge once the bus is idle read the versions and observations gathered by then.
  HuntSettled: [...new Set([...VERSION_PUBLISHERS, ...OBSERVATION_PUBLISHERS])],
};

/**
 * Hunters that judge on facts beyond the event they listen for (on HuntSettled: beyond versions and
 * observations): the publishers of those.
 */
const ALSO_READS: Record<string, readonly string[]> = {
  // Every identity's ApiAccess, surveyed again in every namespace, the namespaces the hunt named included.
  'apiserver-namespaces': [...(FACT_PUBLISHERS.ApiAccess ?? []), ...NAMESPACE_PUBLISHERS],
  // An identity that turns up late is surveyed in the same namespaces.
  'apiserver-namespaces-late': NAMESPACE_PUBLISHERS,
  // A found token's paths start from the identity that read it (its ApiAccess and its KF-API-008).
  'apiserver-attack-paths-late': FACT_PUBLISHERS.ApiAccess ?? [],
  // What the kube-proxies showed (kept by ops-kube-proxy-ipvs), judged with every identity's ApiAccess on
  // the API server whose Node list names the kube-proxy's host (AddressLearned).
  'ops-kube-proxy-ipvs-dns': [
    'ops-kube-proxy-ipvs',
    ...(FACT_PUBLISHERS.ApiAccess ?? []),
    ...(FACT_PUBLISHERS.AddressLearned ?? []),
  ],
  // The network caller's paths, on every identity's ApiAccess that may read RBAC.
  'apiserver-attack-paths-network': FACT_PUBLISHERS.ApiAccess ?? [],
};

/** Hunters that judge on findings of others (beyond the event they listen for): the findings' ids. */
const ALSO_FINDINGS: Record<string, readonly string[]> = {
  // An open etcd, anonymous kubelets and a Dashboard without a login are the network caller's steps.
  'apiserver-attack-paths-network': NETWORK_FINDINGS,
};

/** A hunter's tags: its mode, the components of the entries it reports, `cve`, or `discovery` for fact-only hunters. */
export function tagsOf(hunter: AnyHunter): string[] {
  const tags = new Set<string>([hunter.mode]);
  const reports = hunter.reports ?? [];
  if (reports.length === 0) tags.add('discovery');
  for (const id of reports) {
    const entry = entryOf(id);
    if (!entry) continue;
    if (entry.kind === 'cve') tags.add('cve');
    else for (const c of entry.component.split(/,\s*/)) tags.add(c);
  }
  return [...tags].sort();
}

function words(lists: string[] | undefined): string[] {
  return (lists ?? [])
    .flatMap((l) => l.split(','))
    .map((w) => w.trim().toLowerCase())
    .filter(Boolean);
}

/** The hunters a word names; empty when it names none. */
function named(word: string, hunters: readonly AnyHunter[]): AnyHunter[] {
  const upper = word.toUpperCase();
  const kbIds = new Set<string>([upper]);
  for (const e of knowledgeBase().values()) if (e.aliases.khv.includes(upper)) kbIds.add(e.id);
  return hunters.filter(
    (h) => h.id === word || (h.reports ?? []).some((id) => kbIds.has(id.toUpperCase())) || tagsOf(h).includes(word),
  );
}

function resolveWords(option: string, list: string[] | undefined, hunters: readonly AnyHunter[]): Set<AnyHunter> {
  const out = new Set<AnyHunter>();
  for (const word of words(list)) {
    const found = named(word, hunters);
    if (found.length === 0) {
      throw new UsageError(
        `${option}: "${word}" names no hunter, knowledge-base id, kube-hunter id or tag (see \`kubeferret list\`)`,
      );
    }
    for (const h of found) out.add(h);
  }
  return out;
}

/**
 * A token read from a token Secret, as apiserver-secrets publishes it: a Credential listener whose `when`
 * takes it follows the identities a hunt finds (their access, their namespaces, their attack paths).
 */
const FOUND_CREDENTIAL = {
  id: 'selection',
  type: 'Credential',
  parents: [],
  publisher: 'apiserver-secrets',
  time: '',
  name: 'found:namespace/secret',
  source: 'found',
  apiServer: { host: '127.0.0.1', port: 6443, scheme: 'https' },
  secret: { token: '' },
} as const satisfies KfEvent<'Credential'>;

/**
 * Who reads token Secrets and follows them as Credentials (those from the vantage points are discovery's):
 * the secrets hunter, and the namespace survey where an identity may read Secrets in some namespaces only.
 */
const FOUND_CREDENTIAL_PUBLISHERS = ['apiserver-secrets', 'apiserver-namespaces', 'apiserver-namespaces-late'];

/** The hunters `hunter` needs to hear anything: publishers of its event. */
function providersOf(hunter: AnyHunter, hunters: readonly AnyHunter[]): AnyHunter[] {
  if (hunter.on === 'Credential') {
    const when = (hunter as Hunter<'Credential'>).when;
    const ids = [...(when === undefined || when(FOUND_CREDENTIAL) ? FOUND_CREDENTIAL_PUBLISHERS : [])];
    ids.push(...(ALSO_READS[hunter.id] ?? []));
    return hunters.filter((p) => p !== hunter && ids.includes(p.id));
  }
  if (hunter.on === 'Finding') {
    const when = (hunter as Hunter<'Finding'>).when;
    return hunters.filter(
      (p) =>
        p !== hunter &&
        (p.reports ?? []).some((kb) => when === undefined || when({ kb } as Parameters<typeof when>[0])),
    );
  }
  const ids = [...(FACT_PUBLISHERS[hunter.on] ?? []), ...(ALSO_READS[hunter.id] ?? [])];
  return hunters.filter((p) => ids.includes(p.id));
}

/**
 * The hunters whose findings `hunter` judges on besides its event (ALSO_FINDINGS): wanted, not needed (it
 * judges on what there is), so one the user skipped stays out.
 */
function findingProvidersOf(hunter: AnyHunter, hunters: readonly AnyHunter[]): AnyHunter[] {
  const findings = ALSO_FINDINGS[hunter.id] ?? [];
  return hunters.filter((p) => p !== hunter && (p.reports ?? []).some((kb) => findings.includes(kb)));
}

export interface Selection {
  hunters: AnyHunter[];
  /** Hunters added back because a chosen one needs them, by id, with who needs each. */
  kept: Map<string, string[]>;
  /** Hunters that will not run, by id. */
  left: string[];
  /** The flags as given, for the report's note. */
  describe: string;
  minSeverity?: Severity;
}

/** Applies --only, --skip and --min-severity; undefined when none is given (every hunter runs). */
export function selectHunters(hunters: readonly AnyHunter[], flags: SelectFlags): Selection | undefined {
  if (!flags.only?.length && !flags.skip?.length && !flags.minSeverity) return undefined;
  const only = flags.only?.length ? resolveWords('--only', flags.only, hunters) : undefined;
  const skip = resolveWords('--skip', flags.skip, hunters);
  const skippedById = new Set(words(flags.skip).filter((w) => hunters.some((h) => h.id === w)));
  const min = flags.minSeverity;
  const factOnly = (h: AnyHunter) => (h.reports ?? []).length === 0;
  const severe = (h: AnyHunter) =>
    min === undefined ||
    factOnly(h) ||
    (h.reports ?? []).some((id) => {
      const e = entryOf(id);
      return e !== undefined && severityRank(e.severity) >= severityRank(min);
    });
  const initial = hunters.filter(
    (h) => (factOnly(h) ? !skippedById.has(h.id) : (only === undefined || only.has(h)) && !skip.has(h)) && severe(h),
  );
  const chosen = new Set(initial);
  const kept = new Map<string, string[]>();
  // Fact-only hunters run when their facts come; what they would listen to never pulls hunters in.
  const queue = initial.filter((h) => !factOnly(h));
  while (queue.length > 0) {
    const h = queue.pop()!;
    const wanted = findingProvidersOf(h, hunters).filter((p) => !skip.has(p));
    for (const p of [...providersOf(h, hunters), ...wanted]) {
      if (initial.includes(p)) continue;
      if (!chosen.has(p)) {
        chosen.add(p);
        queue.push(p);
      }
      kept.set(p.id, [...(kept.get(p.id) ?? []), h.id]);
    }
  }
  const list = hunters.filter((h) => chosen.has(h));
  const given = [
    ...(flags.only ?? []).map((o) => `--only ${o}`),
    ...(flags.skip ?? []).map((s) => `--skip ${s}`),
    ...(min ? [`--min-severity ${min}`] : []),
  ].join(' ');
  return {
    hunters: list,
    kept,
    left: hunters.filter((h) => !chosen.has(h)).map((h) => h.id),
    describe: given,
    minSeverity: min,
  };
}

/**
 * The hunters a command runs under --only, --skip and --min-severity: the chosen ones and the recorder of
 * what was left out, the selection (for `withoutMilderFindings`), and the line that says the run is partial
 * (the command prints it once its other flags are known to be good).
 */
export function chooseHunters(
  hunters: readonly AnyHunter[],
  flags: SelectFlags,
): { hunters: readonly AnyHunter[]; selection?: Selection; partial?: string } {
  const selection = selectHunters(hunters, flags);
  if (!selection) return { hunters };
  const partial = selection.left.length > 0 || selection.minSeverity ? selectionNote(selection) : undefined;
  return { hunters: [...selection.hunters, selectionRecorder(selection)], selection, partial };
}

/**
 * With --min-severity, the findings below it are left out of the report (hunters chosen for their severe
 * findings also find milder ones), except those a kept event was derived from, so every chain stays whole.
 */
export function withoutMilderFindings(result: HuntResult, min: Severity | undefined): HuntResult {
  if (min === undefined) return result;
  const parents = new Set(result.events.flatMap((e) => e.parents));
  const events = result.events.filter(
    (e) => e.type !== 'Finding' || parents.has(e.id) || severityRank(severityOf(e)) >= severityRank(min),
  );
  return { ...result, events };
}

/** One line for the report and the log: what the selection left out and what it kept for others. */
export function selectionNote(s: Selection): string {
  const kept = [...s.kept].map(([id, by]) => `${id} (needed by ${[...new Set(by)].join(', ')})`);
  const milder = s.minSeverity ? `; findings below ${s.minSeverity} left out of the report` : '';
  return `${s.describe}: ${s.left.length} hunter(s) not run: ${s.left.join(', ') || 'none'}${kept.length ? `; kept because others need them: ${kept.join(', ')}` : ''}${milder}`;
}

/**
 * A hunter that records, once the run starts, that the selection left hunters out: the report then shows
 * the run as partial, in every format, like any other coverage gap.
 */
export function selectionRecorder(s: Selection): Hunter<'HuntStarted'> {
  return {
    id: 'selection',
    title: 'Record the hunters --only, --skip and --min-severity left out',
    mode: 'passive',
    on: 'HuntStarted',
    async hunt(_event, ctx) {
      if (s.left.length === 0 && !s.minSeverity) return;
      ctx.gap({ subject: 'hunters', reason: 'skipped', detail: selectionNote(s) });
    },
  };
}
