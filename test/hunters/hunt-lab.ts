import assert from 'node:assert/strict';
import { defaultConfig } from '../../src/core/config.js';
import { NetError } from '../../src/core/errors.js';
import type { EventPayloads, KfEvent, ServiceKind } from '../../src/core/events.js';
import { type HuntResult, runHunt } from '../../src/core/hunt.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { EVIDENCE } from '../../src/discovery/fingerprint/classify.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { parseTarget } from '../../src/discovery/targets.js';
import type { Lab } from '../../src/lab/index.js';

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
 * Stands in for discovery's fingerprint hunter (not this area's): announces each open port as the service
 * the test says it is, with the certificate the port really serves when it speaks TLS (read through the
 * hunt's network layer), and the evidence phrase the fingerprint uses for a client-certificate demand.
 */
export function knownServices(services: readonly KnownService[]): AnyHunter {
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

export interface LabHunt {
  result: HuntResult;
  findings: KfEvent<'Finding'>[];
  /** `kb host:port` of every finding, sorted: what a golden list compares. */
  keys: string[];
  of(kb: string): KfEvent<'Finding'>[];
}

export interface HuntOptions {
  hunterTimeoutMs?: number;
  extra?: Record<string, unknown>;
  tracePath?: string;
}

/** A real hunt (port scan, engine, network layer) of the given hosts and ports with the given hunters. */
async function hunt(
  hosts: readonly string[],
  ports: readonly number[],
  hunters: readonly AnyHunter[],
  options: HuntOptions,
): Promise<LabHunt> {
  const result = await runHunt(
    defaultConfig({
      targets: hosts.map(parseTarget),
      ports: [...ports],
      connectTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      hunterTimeoutMs: options.hunterTimeoutMs ?? 60_000,
      extra: options.extra ?? {},
      tracePath: options.tracePath,
    }),
    hunters,
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  return {
    result,
    findings,
    keys: findings.map((f) => `${f.kb} ${f.host}:${f.port}`).sort(),
    of: (kb) => findings.filter((f) => f.kb === kb),
  };
}

const hostsOf = (servers: readonly { host: string }[]) => [...new Set(servers.map((s) => s.host))];
const portsOf = (servers: readonly { port: number }[]) => [...new Set(servers.map((s) => s.port))];

/**
 * Hunts services announced as the test says they are (a fooled fingerprint): for servers that are not
 * what they claim, to check the hunters survive them.
 */
export function huntServices(
  services: readonly KnownService[],
  hunters: readonly AnyHunter[],
  options: HuntOptions = {},
): Promise<LabHunt> {
  return hunt(hostsOf(services), portsOf(services), [knownServices(services), ...hunters], options);
}

/** A real hunt of these servers, discovery's fingerprint deciding what each is, with the given hunters. */
export function huntDiscovered(
  servers: readonly { host: string; port: number }[],
  hunters: readonly AnyHunter[],
  options: HuntOptions = {},
): Promise<LabHunt> {
  return hunt(hostsOf(servers), portsOf(servers), [...discoveryHunters, ...hunters], options);
}

/** A real hunt of the whole lab, discovery's fingerprint included, with the given hunters. */
export function huntLab(lab: Lab, hunters: readonly AnyHunter[], options: HuntOptions = {}): Promise<LabHunt> {
  return huntDiscovered(labServices(lab), hunters, options);
}

/** No finding's evidence (or object, path) carries any secret the lab holds. */
export function assertNoSecrets(lab: Lab, findings: readonly KfEvent<'Finding'>[]): void {
  const secrets = lab.secretValues();
  assert.ok(secrets.length > 10, 'the lab holds secrets to look for');
  for (const f of findings) {
    const text = JSON.stringify([f.evidence, f.object, f.path]);
    for (const s of secrets) assert.ok(!text.includes(s), `${f.kb} at ${f.host}:${f.port} shows a secret value`);
  }
}

/**
 * The lab's request log from this run shows nothing but reads: GET and HEAD, plus the non-GET requests the
 * hunters declare in `readOnlyRequests` (path prefixes).
 */
export function assertOnlyReads(lab: Lab, hunters: readonly AnyHunter[], since = 0): void {
  const allowed = hunters.flatMap((h) => h.readOnlyRequests ?? []);
  for (const r of lab.requests.slice(since)) {
    if (r.method === 'GET' || r.method === 'HEAD' || r.method === 'TCP') continue;
    const path = r.path.split('?')[0];
    assert.ok(
      allowed.some((a) => a.method === r.method && path.startsWith(a.path)),
      `${r.method} ${r.path} to ${r.component} is not a declared read`,
    );
  }
}
