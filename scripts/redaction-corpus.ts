// Writes test/fixtures/redaction/corpus.json: the evidence lines of real lab hunts (every profile; without
// credentials, with given identities, and active), as hunters wrote them before the report redacted them,
// with every secret the labs held and the secrets each run knew (its Credentials). The redaction corpus
// test replays them: nothing but the secrets may be redacted, and every secret must be.
//
// Run it where only loopback is reachable, as the tests run:
//   unshare -rn sh -c 'ip link set lo up; node --import tsx scripts/redaction-corpus.ts'
// The labs' secrets are random per run: regenerate the corpus as a whole, never edit it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/core/config.js';
import type { KfEvent } from '../src/core/events.js';
import { parseTarget } from '../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../src/discovery/vantage/identity.js';
import { kubeconfigIdentities } from '../src/discovery/vantage/kubeconfig.js';
import { podIdentity } from '../src/discovery/vantage/pod.js';
import { HUNTERS } from '../src/hunters/index.js';
import { type Lab, type LabSnapshot, PROFILES, startLab } from '../src/lab/index.js';
import { runHunt } from '../src/run/hunt.js';

const OUT = new URL('../test/fixtures/redaction/corpus.json', import.meta.url);

interface CorpusRun {
  profile: string;
  mode: string;
  /** The secret values of the run's Credentials: what its report's redactor knew. */
  runSecrets: string[];
  lines: string[];
}

/** Given identities as users give them: token files (one named like a bound token), kubeconfigs, a pod. */
async function identities(lab: Lab, dir: string): Promise<Identity[]> {
  const tokenFile = (name: 'admin' | 'reader' | 'nobody' | 'deployer', file: string) =>
    new Identity(`token-file:${join(dir, file)}`, 'token', undefined, {
      token: lab.credentials[name].token!,
      trust: { tls: 'unverified' },
    });
  const out = [tokenFile('reader', 'token'), tokenFile('deployer', 'bound.token'), tokenFile('nobody', 'nobody-token')];
  for (const name of ['jane', 'kubernetes-admin'] as const) {
    const file = join(dir, `${name}.kubeconfig`);
    lab.kubeconfig(name, file);
    out.push(...(await kubeconfigIdentities([file], [])));
  }
  const files = lab.podFiles(join(dir, 'pod'), 'dev/deployer');
  out.push(podIdentity(files.dir, files.env));
  return out;
}

function linesOf(events: readonly KfEvent[], problems: readonly { message: string }[]): string[] {
  const lines = new Set<string>();
  for (const e of events) {
    if (e.type === 'Finding') lines.add(e.evidence);
    if (e.type === 'CoverageGap') lines.add(e.detail);
    if (e.type === 'ServiceFound') for (const x of e.evidence) lines.add(x);
    if (e.type === 'Credential') lines.add(`identity ${e.name}`);
  }
  for (const p of problems) lines.add(p.message);
  return [...lines];
}

/** Keys of Secret data whose values are public: a CA certificate, a namespace, a bootstrap token's id. */
const PUBLIC_KEYS = /^(ca\.crt|namespace|token-id|auth-extra-groups|usage-bootstrap-.+|expiration|description)$/;

interface Stored {
  metadata?: { namespace?: string; name?: string };
  data?: Record<string, string>;
  spec?: { containers?: { env?: { name: string; value?: string }[] }[] };
}

/**
 * Values as the cluster keeps them, one line each as a careless hunter would quote them (a pod's
 * environment, a config map's data, a Secret's base64 data): the secrets among them must all be redacted
 * by the patterns alone, since no Credential of the run holds them.
 */
function storedLines(snapshot: LabSnapshot): string[] {
  const lines = new Set<string>();
  const name = (o: Stored) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  for (const pod of (snapshot.objects['v1/pods'] ?? []) as Stored[]) {
    for (const c of pod.spec?.containers ?? [])
      for (const e of c.env ?? []) if (e.value) lines.add(`pod ${name(pod)} env ${e.name}=${e.value}`);
  }
  for (const cm of (snapshot.objects['v1/configmaps'] ?? []) as Stored[]) {
    for (const [key, value] of Object.entries(cm.data ?? {}))
      if (key !== 'ca.crt') lines.add(`configmap ${name(cm)} ${key}: ${value.split('\n')[0]}`);
  }
  for (const secret of (snapshot.objects['v1/secrets'] ?? []) as Stored[]) {
    for (const [key, value] of Object.entries(secret.data ?? {}))
      if (!PUBLIC_KEYS.test(key)) lines.add(`secret ${name(secret)} data ${JSON.stringify({ [key]: value })}`);
  }
  return [...lines];
}

function runSecretsOf(events: readonly KfEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    if (e.type !== 'Credential') continue;
    const { username, trust: _trust, renewal: _renewal, ...rest } = e.secret;
    for (const v of Object.values(rest)) if (typeof v === 'string' && v) out.add(v);
    if (username !== undefined && e.secret.password !== undefined) out.add(`${username}:${e.secret.password}`);
  }
  return [...out].sort();
}

async function main(): Promise<void> {
  const runs: CorpusRun[] = [];
  const secrets = new Set<string>();
  let block = 0;
  for (const profile of PROFILES) {
    const base = `127.90.${++block}.2`;
    const lab = await startLab({ profile, base, nodes: 2, etcd: 'simulated' });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'kf-corpus-'));
      const given = await identities(lab, dir);
      const last = lab.hosts.at(-1)!.address;
      const ports = [...new Set(lab.hosts.flatMap((h) => h.services.map((s) => s.port)))].sort((a, b) => a - b);
      const modes: [string, Identity[], boolean][] = [
        ['passive, no credentials', [], false],
        ['passive, given identities', given, false],
        ['active, given identities', given, true],
      ];
      for (const [mode, ids, active] of modes) {
        const vantage: VantageSettings = { identities: ids, discoverNodes: false };
        const result = await runHunt(
          defaultConfig({
            targets: [parseTarget(`${base}-${last}`)],
            ports,
            connectTimeoutMs: 10_000,
            requestTimeoutMs: 20_000,
            active,
            yes: true,
            journalPath: join(dir, `journal-${runs.length}.jsonl`),
            extra: { [VANTAGE_KEY]: vantage },
          }),
          HUNTERS,
        );
        runs.push({
          profile,
          mode,
          runSecrets: runSecretsOf(result.events),
          lines: linesOf(result.events, result.problems),
        });
        process.stderr.write(`${profile}, ${mode}: ${runs.at(-1)!.lines.length} lines\n`);
      }
      runs.push({
        profile,
        mode: 'stored values, quoted as they are kept',
        runSecrets: [],
        lines: storedLines(await lab.snapshot()),
      });
      for (const s of lab.secretValues()) secrets.add(s);
    } finally {
      await lab.stop();
    }
  }
  mkdirSync(new URL('.', OUT), { recursive: true });
  const corpus = {
    about:
      'Generated by scripts/redaction-corpus.ts from real lab hunts; the secrets are the labs’ own random values. Regenerate, never edit.',
    secrets: [...secrets].sort(),
    runs,
  };
  writeFileSync(OUT, `${JSON.stringify(corpus, null, 1)}\n`);
  const total = runs.reduce((n, r) => n + r.lines.length, 0);
  process.stderr.write(`wrote ${total} lines from ${runs.length} runs\n`);
}

await main();
