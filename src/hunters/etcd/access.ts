import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { EVIDENCE } from '../../discovery/fingerprint/classify.js';
import type { HttpResponse } from '../../net/network.js';
import { quote, said, sample } from '../evidence.js';
import { publishVersion, ServiceProbe } from '../probe.js';
import { learnNamespaces } from './namespaces.js';

/** The v3 JSON gateway's prefixes, newest first: /v3 (3.4+), /v3beta (3.3, 3.4), /v3alpha (3.2, 3.3). */
export const GATEWAYS = ['/v3', '/v3beta', '/v3alpha'] as const;
const KEYS_SHOWN = 5;
const SECRETS = '/registry/secrets/';

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : '?');

/** The key after every key that starts with `prefix`: the range end of a prefix query. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

interface RangeAnswer {
  header?: unknown;
  kvs?: { key?: unknown }[];
  count?: unknown;
}

interface Keys {
  count: number;
  names: string[];
}

/** A range answer's key names and total count (etcd counts the whole range even when `limit` cuts the list). */
function keysOf(res: HttpResponse): Keys | undefined {
  const json = res.json<RangeAnswer>();
  if (res.status !== 200 || !json || typeof json !== 'object' || !('header' in json)) return undefined;
  const names = (Array.isArray(json.kvs) ? json.kvs : []).map((kv) => unb64(kv?.key));
  const count = Number(json.count ?? names.length);
  return { count: Number.isFinite(count) ? count : names.length, names };
}

/** The gateway's error body (`{"error":"etcdserver: user name is empty","code":3}`), when that is what came back. */
function gatewayError(res: HttpResponse): string | undefined {
  const json = res.json<{ error?: unknown; message?: unknown; code?: unknown }>();
  const message = json?.message ?? json?.error;
  return typeof message === 'string' && typeof json?.code === 'number' ? message : undefined;
}

/**
 * A keys-only range request: etcd answers with key names and revisions, never values. This POST reads
 * only; it is the one non-GET request the passive etcd hunter sends.
 */
function range(probe: ServiceProbe, gateway: string, key: string, rangeEnd: string): Promise<HttpResponse | undefined> {
  return probe.send(`${gateway}/kv/range`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: b64(key), range_end: b64(rangeEnd), keys_only: true, limit: KEYS_SHOWN }),
    maxBytes: 64 * 1024,
  });
}

/** The client API: the v3 gateway under whichever prefix this version serves, else the v2 keys API. */
async function readKeys(
  probe: ServiceProbe,
): Promise<{ res: HttpResponse; api: string; keys?: Keys; secrets?: Keys; refusal?: string } | undefined> {
  for (const gateway of GATEWAYS) {
    // Every key: from "\0" to the end of the key space.
    const res = await range(probe, gateway, '\0', '\0');
    if (!res) return undefined;
    if (res.status === 404 && !gatewayError(res)) continue;
    const keys = keysOf(res);
    if (!keys) {
      const refusal = gatewayError(res);
      return refusal ? { res, api: `${gateway}/kv/range`, refusal } : undefined;
    }
    const secretsRes = await range(probe, gateway, SECRETS, prefixEnd(SECRETS));
    return { res, api: `${gateway}/kv/range`, keys, secrets: secretsRes && keysOf(secretsRes) };
  }
  // etcd before 3.4, or started with --enable-v2: the v2 API lists a directory's children.
  const res = await probe.get('/v2/keys/', { maxBytes: 256 * 1024 });
  const node = res?.status === 200 ? res.json<{ node?: { nodes?: { key?: unknown }[] } }>()?.node : undefined;
  if (!res || !node || typeof node !== 'object') return undefined;
  const names = (Array.isArray(node.nodes) ? node.nodes : []).map((n) => String(n?.key ?? '?'));
  return { res, api: '/v2/keys/', keys: { count: names.length, names: names.slice(0, KEYS_SHOWN) } };
}

/** A refusal that says the server checks who asks: etcd's authentication (RBAC, users and passwords) is on. */
const AUTH_REFUSAL = /user name is empty|invalid auth token|permission denied/;

/**
 * What the hunt learned about etcd's authentication and debug endpoints, for the CVEs that depend on them
 * (CVE-2021-28235 needs both password authentication and reachable /debug/pprof).
 */
async function observe(
  ctx: HuntContext,
  probe: ServiceProbe,
  service: { host: string; port: number },
  found: Awaited<ReturnType<typeof readKeys>>,
): Promise<void> {
  const where = { host: service.host, port: service.port };
  if (found && found.api !== '/v2/keys/') {
    const refusal = found.refusal;
    if (found.keys) {
      ctx.publish('Observation', {
        ...where,
        fact: 'auth',
        value: 'disabled',
        source: `${found.api} answered a request without credentials`,
      });
    } else if (refusal && AUTH_REFUSAL.test(refusal)) {
      ctx.publish('Observation', {
        ...where,
        fact: 'auth',
        value: 'enabled',
        source: `${found.api} refused a request without credentials: ${quote(refusal, 80)}`,
      });
    }
  }
  const pprof = await probe.get('/debug/pprof/', { maxBytes: 16 * 1024 });
  if (pprof) {
    const answering = pprof.status === 200 && /pprof|profile/i.test(pprof.text().slice(0, 4096));
    const value = answering ? 'answering' : pprof.status === 404 ? 'absent' : `refused (${pprof.status})`;
    ctx.publish('Observation', {
      ...where,
      fact: 'endpoint',
      name: '/debug/pprof',
      value,
      source: `GET /debug/pprof/ answered ${pprof.status}`,
    });
  }
}

/**
 * etcd without credentials: its version (/version), whether its client API answers a caller that shows
 * no client certificate, and whether that caller can list keys — through the v3 JSON gateway with
 * `keys_only` and a small limit (or the v2 API of old servers), so key names and counts are seen and
 * values never are. A port that demanded a client certificate is left alone.
 */
export const etcdAccessHunter = defineHunter({
  id: 'etcd-access',
  title: 'etcd answering without client certificates: version, client API, readable keys',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.kind === 'etcd' && !s.evidence.some((e) => e.includes(EVIDENCE.CLIENT_CERT_REQUIRED)),
  reports: ['KF-ETCD-001', 'KF-ETCD-002', 'KF-ETCD-003'],
  readOnlyRequests: GATEWAYS.map((gateway) => ({
    method: 'POST',
    path: `${gateway}/kv/range`,
    why: 'a range read with keys_only (limit 5; pages of 500 under /registry/namespaces/): etcd answers key names and a count, never values, and changes nothing',
  })),
  async hunt(service, ctx) {
    const probe = new ServiceProbe(ctx, service);
    const where = { host: service.host, port: service.port };
    const versionRes = await probe.get('/version');
    const version = versionRes?.json<{ etcdserver?: unknown; etcdcluster?: unknown }>();
    if (versionRes?.status === 200 && typeof version?.etcdserver === 'string') {
      const server = version.etcdserver.slice(0, 64);
      const cluster =
        typeof version.etcdcluster === 'string' ? `, etcdcluster ${version.etcdcluster.slice(0, 64)}` : '';
      ctx.report({
        ...where,
        kb: 'KF-ETCD-001',
        path: '/version',
        evidence: said(versionRes, `etcdserver ${server}${cluster}`),
      });
      publishVersion(ctx, service, 'etcd', server);
    }

    const found = await readKeys(probe);
    await observe(ctx, probe, service, found);
    if (!found) return;
    const how = service.scheme === 'http' ? 'plain HTTP, no TLS' : 'TLS without asking for a client certificate';
    const v2 = found.api === '/v2/keys/';
    const answer = found.refusal ? `refused: ${quote(found.refusal, 80)}` : v2 ? 'a key listing' : 'a key range';
    const open = ctx.report({
      ...where,
      kb: 'KF-ETCD-002',
      path: found.api,
      evidence: `the client API answers over ${how}: ${said(found.res, answer, v2 ? 'GET' : 'POST')}`,
    });
    if (!found.keys) return;
    const { keys, secrets } = found;
    const parts = [
      `${keys.count} keys (${sample(keys.names, KEYS_SHOWN)}${keys.count > keys.names.length ? ', …' : ''})`,
    ];
    if (secrets)
      parts.push(
        `${secrets.count} under ${SECRETS} (${sample(secrets.names, KEYS_SHOWN)}${secrets.count > secrets.names.length ? ', …' : ''})`,
      );
    const listed = ctx.report(
      {
        ...where,
        kb: 'KF-ETCD-003',
        path: found.api,
        evidence: `${said(found.res, parts.join('; '), v2 ? 'GET' : 'POST')}; key names only, no value was read`,
      },
      [open.id],
    );
    if (!v2) {
      const seen = [...keys.names, ...(secrets?.names ?? [])];
      await learnNamespaces(ctx, service, found.api.replace(/\/kv\/range$/, ''), seen, [listed.id]);
    }
  },
});
