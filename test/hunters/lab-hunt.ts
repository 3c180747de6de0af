import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import type { EventPayloads, KfEvent } from '../../src/core/events.js';
import { type HuntResult, runHunt } from '../../src/core/hunt.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { parseTarget } from '../../src/discovery/targets.js';
import type { Lab } from '../../src/lab/index.js';

// Passive hunts of the lab for the hunter tests: the lab's addresses and ports as targets, the hunters
// under test, and what a test then asserts on (findings, requests the lab received, secrets).

/**
 * Stands in for discovery's fingerprint, which is not on this branch yet: names each open port of the lab
 * by the lab's own ground truth (`lab.hosts`), as the fingerprint's contract says it will.
 */
function labFingerprint(lab: Lab): AnyHunter {
  return defineHunter({
    id: 'test-lab-fingerprint',
    title: 'names lab ports from the lab ground truth',
    mode: 'passive',
    on: 'PortOpen',
    async hunt(event, ctx) {
      const host = lab.hosts.find((h) => h.address === event.host);
      const service = host?.services.find((s) => s.port === event.port);
      if (!service) return;
      ctx.publish('ServiceFound', {
        host: event.host,
        port: event.port,
        kind: service.kind,
        scheme: service.scheme,
        evidence: [service.what],
      });
    },
  }) as AnyHunter;
}

/** Stands in for discovery's vantage points: publishes the given Credentials when the hunt starts. */
export function credentialSource(credentials: EventPayloads['Credential'][]): AnyHunter {
  return defineHunter({
    id: 'test-vantage',
    title: 'presents the credentials of the test',
    mode: 'passive',
    on: 'HuntStarted',
    async hunt(_event, ctx) {
      for (const c of credentials) ctx.publish('Credential', c);
    },
  }) as AnyHunter;
}

/** A lab identity as a bare token (`--token`): no API server named. */
export function tokenOf(lab: Lab, name: 'admin' | 'reader' | 'nobody' | 'deployer'): EventPayloads['Credential'] {
  const token = lab.credentials[name].token;
  assert.ok(token, `${name} has a token`);
  return { name, source: 'token', secret: { token } };
}

/** A lab identity from its kubeconfig (`--kubeconfig`): bound to the lab's API server. */
export function kubeconfigOf(lab: Lab, name: 'kubernetes-admin' | 'jane' | 'reader'): EventPayloads['Credential'] {
  const c = lab.credentials[name];
  const url = new URL(lab.apiServer);
  return {
    name,
    source: 'kubeconfig',
    apiServer: { host: url.hostname, port: Number(url.port), scheme: 'https' },
    secret: c.token ? { token: c.token } : { clientCert: c.clientCert, clientKey: c.clientKey },
  };
}

/**
 * The pod vantage as `--pod` presents it: the service-account files the lab writes for a pod of
 * `serviceAccount` (`ns/name`), as a Credential bound to the lab's API server.
 */
export function podCredential(lab: Lab, dir: string, serviceAccount: string): EventPayloads['Credential'] {
  const files = lab.podFiles(dir, serviceAccount);
  return {
    name: `pod:${serviceAccount}`,
    source: 'pod',
    apiServer: {
      host: files.env.KUBERNETES_SERVICE_HOST,
      port: Number(files.env.KUBERNETES_SERVICE_PORT),
      scheme: 'https',
    },
    secret: { token: files.token, ca: readFileSync(join(files.dir, 'ca.crt'), 'utf8') },
  };
}

export interface LabHuntOptions {
  hunters: readonly AnyHunter[];
  credentials?: EventPayloads['Credential'][];
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
    }),
    [labFingerprint(lab), credentialSource(options.credentials ?? []), ...options.hunters],
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
