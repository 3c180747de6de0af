import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from 'undici';
import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import { NetError } from '../../src/core/errors.js';
import type { EventPayloads, KfEvent, ServiceKind } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { EVIDENCE } from '../../src/discovery/fingerprint/classify.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { kubeconfigIdentities } from '../../src/discovery/vantage/kubeconfig.js';
import { podIdentity } from '../../src/discovery/vantage/pod.js';
import { apiserverHunters } from '../../src/hunters/apiserver/index.js';
import { type IdentityName, type Lab, PORTS } from '../../src/lab/index.js';
import { type HuntHooks, type HuntResult, runHunt } from '../../src/run/hunt.js';

// Real hunts for the hunter tests, as `kubeferret hunt` runs them (port scan, engine, network layer): of
// the lab, with discovery's fingerprint and vantage points; of servers a test starts, fingerprinted by
// discovery or announced as the test says they are; and what a test then asserts on (findings, requests
// the lab received, secrets).

/**
 * Creates an object through the lab's API as its admin (a test's set-up of the cluster's state, before
 * and outside any hunt); anything but 201 Created fails the test with the server's answer.
 */
export async function createAsAdmin(lab: Lab, path: string, body: object): Promise<void> {
  const res = await fetch(`${lab.apiServer}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${lab.credentials.admin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    // @ts-expect-error undici's dispatcher option: the lab's certificate is its own CA's.
    dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
  });
  assert.equal(res.status, 201, `POST ${path}: ${await res.text()}`);
}

/** A lab identity as a bare token (`--token`): no API server named, bound to the ones found. */
export function tokenIdentity(lab: Lab, name: 'admin' | 'reader' | 'nobody' | 'deployer'): Identity {
  const token = lab.credentials[name].token;
  assert.ok(token, `${name} has a token`);
  // As --token gives it: no CA to check the server with, so sent unverified.
  return new Identity(name, 'token', undefined, { token, trust: { tls: 'unverified' } });
}

/** A hunt of the lab's API server by the API hunters, as one of its token identities: what they read and report. */
export function huntApiAs(lab: Lab, name: 'admin' | 'reader' | 'nobody' | 'deployer'): Promise<LabHunt> {
  return huntLab(lab, { hunters: apiserverHunters, ports: [PORTS.apiserver], identities: [tokenIdentity(lab, name)] });
}

/** A lab identity from a kubeconfig file (`--kubeconfig`), loaded as the CLI loads it: named `<name>@lab`. */
export async function kubeconfigIdentity(lab: Lab, name: IdentityName, dir: string): Promise<Identity> {
  const file = join(dir, `${name}.kubeconfig`);
  lab.kubeconfig(name, file);
  const [identity] = await kubeconfigIdentities([file], []);
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

/** One service a stand-in fingerprint announces: where, what, and how it speaks. */
export interface KnownService {
  host: string;
  port: number;
  kind: ServiceKind;
  scheme: 'http' | 'https';
}

/** Every service of a lab, from its ground truth (`lab.hosts`). */
export function labServices(lab: Lab): KnownService[] {
  return lab.hosts.flatMap((h) =>
    h.services.map((s) => ({ host: h.address, port: s.port, kind: s.kind, scheme: s.scheme })),
  );
}

/**
 * Stands in for discovery's fingerprint hunter: announces each open port as the service the test says it
 * is, with the certificate the port really serves when it speaks TLS (read through the hunt's network
 * layer), and the evidence phrase the fingerprint uses for a client-certificate demand.
 */
function knownServices(services: readonly KnownService[]): AnyHunter {
  return defineHunter({
    id: 'test-known-services',
    title: 'announces the services a test names',
    mode: 'passive',
    on: 'PortOpen',
    async hunt(event, ctx) {
      const service = services.find((s) => s.host === event.host && s.port === event.port);
      if (!service) return;
      const found: EventPayloads['ServiceFound'] = { ...service, evidence: ['named by the test'] };
      if (service.scheme === 'https') {
        try {
          found.cert = (await ctx.net.http({ url: `https://${service.host}:${service.port}/`, timeoutMs: 3000 })).cert;
        } catch (err) {
          if (!(err instanceof NetError)) throw err;
          if (service.kind === 'etcd') found.evidence.push(EVIDENCE.CLIENT_CERT_REQUIRED);
        }
      }
      ctx.publish('ServiceFound', found);
    },
  });
}

export interface HuntOptions {
  hunters: readonly AnyHunter[];
  /** Vantage points, as the CLI builds them from --token, --kubeconfig and --pod. */
  identities?: Identity[];
  config?: Partial<HuntConfig>;
  /** The run's hooks (its debug lines, say). */
  hooks?: HuntHooks;
}

export interface LabHuntOptions extends HuntOptions {
  ports?: number[];
  /** Only these lab addresses (default: every host of the lab). */
  addresses?: string[];
}

export interface Hunt {
  result: HuntResult;
  /** Every hunter that ran: discovery's (or the stand-in fingerprint) and the ones under test. */
  hunters: readonly AnyHunter[];
  findings: KfEvent<'Finding'>[];
  /** Finding ids, sorted, without duplicates. */
  ids: string[];
  /** `kb host:port` of every finding, sorted: what a golden list compares. */
  keys: string[];
  /** The findings of one id, optionally for one identity. */
  of(kb: string, identity?: string): KfEvent<'Finding'>[];
  access: KfEvent<'ApiAccess'>[];
  /** What the hunters could not examine fully (CoverageGap events). */
  gaps: KfEvent<'CoverageGap'>[];
}

export interface LabHunt extends Hunt {
  /** The lab's requests made during this hunt. */
  requests: Lab['requests'];
}

/** The lab's service ports, deduplicated and sorted. */
export function labPorts(lab: Lab): number[] {
  return [...new Set(lab.hosts.flatMap((h) => h.services.map((s) => s.port)))].sort((a, b) => a - b);
}

// Generous for the lab: TLS handshakes to a lab in the same process are slow on a loaded 2-core machine.
const LAB_TIMEOUTS = { connectTimeoutMs: 10_000, requestTimeoutMs: 15_000, hunterTimeoutMs: 90_000 };
// Short for servers a test starts: some of them hang on purpose.
const SERVER_TIMEOUTS = { connectTimeoutMs: 2000, requestTimeoutMs: 4000, hunterTimeoutMs: 60_000 };

async function hunt(
  addresses: readonly string[],
  ports: readonly number[],
  hunters: readonly AnyHunter[],
  timeouts: typeof LAB_TIMEOUTS,
  options: HuntOptions,
): Promise<Hunt> {
  const result = await runHunt(
    defaultConfig({
      targets: addresses.map(parseTarget),
      ports: [...ports],
      ...timeouts,
      ...options.config,
      extra: {
        ...options.config?.extra,
        [VANTAGE_KEY]: { identities: options.identities ?? [], discoverNodes: false } satisfies VantageSettings,
      },
    }),
    hunters,
    options.hooks,
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  return {
    result,
    hunters,
    findings,
    ids: [...new Set(findings.map((f) => f.kb))].sort(),
    keys: findings.map((f) => `${f.kb} ${f.host}:${f.port}`).sort(),
    of: (kb, identity) => findings.filter((f) => f.kb === kb && (identity === undefined || f.identity === identity)),
    access: result.events.filter((e): e is KfEvent<'ApiAccess'> => e.type === 'ApiAccess'),
    gaps: result.events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap'),
  };
}

/** A real hunt of the lab (every host and service port unless narrowed), discovery's fingerprint deciding. */
export async function huntLab(lab: Lab, options: LabHuntOptions): Promise<LabHunt> {
  const before = lab.requests.length;
  const addresses = options.addresses ?? lab.hosts.map((h) => h.address);
  const hunters = [...discoveryHunters, ...options.hunters];
  const done = await hunt(addresses, options.ports ?? labPorts(lab), hunters, LAB_TIMEOUTS, options);
  return { ...done, requests: lab.requests.slice(before) };
}

const hostsOf = (servers: readonly { host: string }[]) => [...new Set(servers.map((s) => s.host))];
const portsOf = (servers: readonly { port: number }[]) => [...new Set(servers.map((s) => s.port))];

/** A real hunt of these servers, discovery's fingerprint deciding what each is. */
export function huntDiscovered(
  servers: readonly { host: string; port: number }[],
  options: HuntOptions,
): Promise<Hunt> {
  const hunters = [...discoveryHunters, ...options.hunters];
  return hunt(hostsOf(servers), portsOf(servers), hunters, SERVER_TIMEOUTS, options);
}

/**
 * Hunts services announced as the test says they are (a fooled fingerprint): for servers that are not
 * what they claim, to check the hunters survive them.
 */
export function huntServices(services: readonly KnownService[], options: HuntOptions): Promise<Hunt> {
  const hunters = [knownServices(services), ...options.hunters];
  return hunt(hostsOf(services), portsOf(services), hunters, SERVER_TIMEOUTS, options);
}

/**
 * The lab's request log from this hunt shows nothing that changes state: GET and HEAD (and bare TCP
 * connects), plus the non-GET requests the hunters that ran declare in `readOnlyRequests` (such as the
 * self reviews and the etcd v3 gateway's range reads).
 */
export function assertOnlyReads(hunt: LabHunt): void {
  const allowed = hunt.hunters.flatMap((h) => h.readOnlyRequests ?? []);
  const writes = hunt.requests.filter((r) => {
    if (r.method === 'GET' || r.method === 'HEAD' || r.method === 'TCP') return false;
    const path = r.path.split('?')[0];
    return !allowed.some((a) => a.method === r.method && path.startsWith(a.path));
  });
  assert.deepEqual(
    writes.map((r) => `${r.method} ${r.path} to ${r.component}`),
    [],
    'only reads and declared read-only requests were sent',
  );
}

/**
 * No secret the lab holds appears in any event but the Credentials themselves (whose secret is where it
 * belongs): findings, access, learned addresses, warnings. Checked on the raw events, before any redaction.
 */
export function assertNoSecrets(lab: Lab, result: HuntResult): void {
  const secrets = lab.secretValues();
  assert.ok(secrets.length > 10, 'the lab holds secrets to look for');
  const shown = JSON.stringify([
    result.events.filter((e) => e.type !== 'Credential'),
    result.events.filter((e) => e.type === 'Credential').map((e) => ({ ...e, secret: undefined })),
    result.problems,
  ]);
  const leaked = secrets.filter((s) => shown.includes(s));
  assert.deepEqual(
    leaked.map((s) => `${s.slice(0, 6)}…`),
    [],
    'no secret value in the events',
  );
}
