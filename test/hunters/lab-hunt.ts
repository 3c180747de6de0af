import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import type { EventPayloads, KfEvent } from '../../src/core/events.js';
import { type HuntResult, runHunt } from '../../src/core/hunt.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { kubeconfigIdentities } from '../../src/discovery/vantage/kubeconfig.js';
import { podIdentity } from '../../src/discovery/vantage/pod.js';
import type { IdentityName, Lab } from '../../src/lab/index.js';

// Passive hunts of the lab for the hunter tests, as `kubeferret hunt` runs them: the lab's addresses and
// ports as targets, discovery's scan, fingerprint and vantage points, the hunters under test; and what a
// test then asserts on (findings, requests the lab received, secrets).

/** A lab identity as a bare token (`--token`): no API server named, bound to the ones found. */
export function tokenIdentity(lab: Lab, name: 'admin' | 'reader' | 'nobody' | 'deployer'): Identity {
  const token = lab.credentials[name].token;
  assert.ok(token, `${name} has a token`);
  return new Identity(name, 'token', undefined, { token });
}

/** A lab identity from a kubeconfig file (`--kubeconfig`), loaded as the CLI loads it: named `<name>@lab`. */
export async function kubeconfigIdentity(lab: Lab, name: IdentityName, dir: string): Promise<Identity> {
  const file = join(dir, `${name}.kubeconfig`);
  lab.kubeconfig(name, file);
  const [identity] = await kubeconfigIdentities(file, []);
  return identity;
}

/**
 * The pod vantage as `--pod` loads it: the service-account files the lab writes for a pod of
 * `serviceAccount` (`ns/name`) and the environment pointing at its API server. Named `pod:<ns>/<name>`.
 */
export function podVantage(lab: Lab, dir: string, serviceAccount: string): Identity {
  const files = lab.podFiles(dir, serviceAccount);
  return podIdentity(files.dir, files.env);
}

/** A test hunter publishing Credentials when `on` an event: for orders discovery itself never produces. */
export function lateCredentials(credentials: EventPayloads['Credential'][]): AnyHunter {
  return defineHunter({
    id: 'test-late-credentials',
    title: 'presents credentials once an API server is known',
    mode: 'passive',
    on: 'ServiceFound',
    when: (s) => s.kind === 'apiserver',
    async hunt(_event, ctx) {
      for (const c of credentials) ctx.publish('Credential', c);
    },
  }) as AnyHunter;
}

export interface LabHuntOptions {
  hunters: readonly AnyHunter[];
  /** Vantage points, as the CLI builds them from --token, --kubeconfig and --pod. */
  identities?: Identity[];
  ports?: number[];
  /** Only these lab addresses (default: every host of the lab). */
  addresses?: string[];
  config?: Partial<HuntConfig>;
}

export interface LabHunt {
  result: HuntResult;
  findings: KfEvent<'Finding'>[];
  /** Finding ids, sorted, without duplicates. */
  ids: string[];
  access: KfEvent<'ApiAccess'>[];
  /** The lab's requests made during this hunt. */
  requests: Lab['requests'];
}

/** The lab's service ports, deduplicated and sorted. */
export function labPorts(lab: Lab): number[] {
  return [...new Set(lab.hosts.flatMap((h) => h.services.map((s) => s.port)))].sort((a, b) => a - b);
}

export async function huntLab(lab: Lab, options: LabHuntOptions): Promise<LabHunt> {
  const before = lab.requests.length;
  const addresses = options.addresses ?? lab.hosts.map((h) => h.address);
  const result = await runHunt(
    defaultConfig({
      targets: addresses.map(parseTarget),
      ports: options.ports ?? labPorts(lab),
      // Generous: TLS handshakes to a lab in the same process are slow on a loaded 2-core machine.
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      hunterTimeoutMs: 90_000,
      ...options.config,
      extra: {
        ...options.config?.extra,
        [VANTAGE_KEY]: { identities: options.identities ?? [], discoverNodes: false } satisfies VantageSettings,
      },
    }),
    [...discoveryHunters, ...options.hunters],
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  return {
    result,
    findings,
    ids: [...new Set(findings.map((f) => f.kb))].sort(),
    access: result.events.filter((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess'),
    requests: lab.requests.slice(before),
  };
}

/** The findings of one id, optionally for one identity. */
export function findingsOf(hunt: LabHunt, kb: string, identity?: string): KfEvent<'Finding'>[] {
  return hunt.findings.filter((f) => f.kb === kb && (identity === undefined || f.identity === identity));
}

const REVIEWS = /^\/apis\/authorization\.k8s\.io\/v1\/selfsubject(access|rules)reviews$/;

/** Every request the lab received was a GET or HEAD, or a self review POST: nothing that changes state. */
export function assertReadOnly(requests: Lab['requests']): void {
  const writes = requests.filter(
    (r) => !(r.method === 'GET' || r.method === 'HEAD' || (r.method === 'POST' && REVIEWS.test(r.path))),
  );
  assert.deepEqual(
    writes.map((r) => `${r.method} ${r.path}`),
    [],
    'only GET, HEAD and self reviews were sent',
  );
}

/**
 * No secret the lab holds appears in any event but the Credentials themselves (whose secret is where it
 * belongs): findings, access, learned addresses, warnings. Checked on the raw events, before any redaction.
 */
export function assertNoSecrets(lab: Lab, result: HuntResult): void {
  const shown = JSON.stringify([
    result.events.filter((e) => e.type !== 'Credential'),
    result.events.filter((e) => e.type === 'Credential').map((e) => ({ ...e, secret: undefined })),
    result.problems,
  ]);
  const leaked = lab.secretValues().filter((s) => shown.includes(s));
  assert.deepEqual(
    leaked.map((s) => `${s.slice(0, 6)}…`),
    [],
    'no secret value in the events',
  );
}
