import protobuf from 'protobufjs';
import type { Endpoint, KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { tokenSubject } from '../../discovery/vantage/jwt.js';
import { FOUND_TOKENS_MAX } from '../apiserver/secrets.js';
import { ServiceProbe, serviceOf } from '../probe.js';
import { b64, GATEWAYS } from './access.js';

// The service-account tokens an open etcd holds: every Secret is a key under /registry/secrets/, its value
// the object as kube-apiserver stored it (JSON, or Kubernetes protobuf, or encrypted at rest). The tokens
// are published as `found` Credentials (`etcd:NAMESPACE/NAME`), so the hunt surveys what each may do, read
// only, as it does with the tokens an identity reads through the API; their values go nowhere else.

const PREFIX = '/registry/secrets/';
/** Secrets per page: a Secret may hold up to 1 MiB, so pages stay small and their answers bounded. */
const PAGE = 20;
const PAGE_BYTES = 8 * 1024 * 1024;
/** Pages read at most (1,000 Secrets): what is left is a `cap` gap. */
const MAX_PAGES = 50;
const SA_TOKEN = 'kubernetes.io/service-account-token';
/** Kubernetes protobuf's magic (`k8s\0`) and the prefix of a value encrypted at rest (`k8s:enc:`). */
const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const ENCRYPTED = Buffer.from('k8s:enc:');

const prefixEnd = (prefix: string) =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/** A stored Secret as far as the hunt needs it: its type and its token, if any. */
type Stored = { type?: string; token?: string } | 'encrypted' | undefined;

/** Length-delimited fields of a protobuf message, by field number (the wire format needs no schema). */
function fields(buf: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const reader = protobuf.Reader.create(buf);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const [field, wire] = [tag >>> 3, tag & 7];
    if (wire !== 2) {
      reader.skipType(wire);
      continue;
    }
    const bytes = reader.bytes();
    out.set(field, [...(out.get(field) ?? []), bytes]);
  }
  return out;
}

const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * A Secret as stored: JSON, or protobuf (runtime.Unknown{typeMeta 1, raw 2} around v1.Secret{data 2 as map
 * entries {key 1, value 2}, type 3}). Undefined when it is neither (the value is counted, not guessed at).
 */
export function storedSecret(value: Buffer): Stored {
  if (value.subarray(0, ENCRYPTED.length).equals(ENCRYPTED)) return 'encrypted';
  if (value.subarray(0, 4).equals(PROTOBUF_MAGIC)) {
    try {
      const raw = fields(value.subarray(4)).get(2)?.[0];
      if (!raw) return undefined;
      const secret = fields(raw);
      let token: string | undefined;
      for (const entry of secret.get(2) ?? []) {
        const kv = fields(entry);
        if (text(kv.get(1)?.[0]) === 'token') token = text(kv.get(2)?.[0]);
      }
      return { type: text(secret.get(3)?.[0]), token };
    } catch {
      return undefined;
    }
  }
  try {
    const json = JSON.parse(value.toString('utf8')) as { type?: unknown; data?: { token?: unknown } };
    const encoded = json?.data?.token;
    return {
      type: typeof json?.type === 'string' ? json.type : undefined,
      token: typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8') : undefined,
    };
  } catch {
    return undefined;
  }
}

interface RangePage {
  kvs?: { key?: unknown; value?: unknown }[];
  more?: unknown;
}

/**
 * A token already known as another Credential on the same API server (a pod's, a given one, of the same
 * service account): the same identity, not surveyed again. A different API server is a different cluster,
 * whatever the names; a token bound to none yet is compared with nothing.
 */
function sameAs(ctx: HuntContext, token: string, server: Endpoint | undefined): string | undefined {
  if (!server) return undefined;
  const subject = tokenSubject(token);
  return ctx.known('Credential', (c) => {
    if (c.sameAs !== undefined || c.secret.token === undefined) return false;
    if (c.apiServer?.host !== server.host || c.apiServer.port !== server.port) return false;
    if (c.secret.token === token) return true;
    const other = tokenSubject(c.secret.token);
    return (
      subject.serviceAccount !== undefined &&
      other.serviceAccount === subject.serviceAccount &&
      other.namespace === subject.namespace
    );
  })[0]?.name;
}

/**
 * Reads the Secrets of an etcd that lists keys without credentials (KF-ETCD-003), page by page through
 * its v3 gateway, and publishes each service-account token among them as a `found` Credential: the API
 * server on the etcd's host, when one was found there, else every API server found (as a `--token`).
 * Secrets encrypted at rest, values that are neither JSON nor protobuf, a page that fails and the pages
 * or tokens beyond the caps are coverage gaps.
 */
export const etcdTokensHunter = defineHunter({
  id: 'etcd-tokens',
  title: 'Service-account tokens read from an etcd that answers without client certificates',
  mode: 'passive',
  on: 'Finding',
  when: (f) => f.kb === 'KF-ETCD-003' && GATEWAYS.some((g) => f.path === `${g}/kv/range`),
  reports: [],
  readOnlyRequests: GATEWAYS.map((gateway) => ({
    method: 'POST',
    path: `${gateway}/kv/range`,
    why: 'a range read of /registry/secrets/ with values, 20 a page: the service-account tokens, kept only in the Credentials published',
  })),
  async hunt(listed: KfEvent<'Finding'>, ctx) {
    const { host, port } = listed;
    const service = host && port ? serviceOf(ctx, host, port) : undefined;
    const gateway = GATEWAYS.find((g) => listed.path === `${g}/kv/range`);
    if (!service || !gateway) return;
    const where = { host: service.host, port: service.port };
    const probe = new ServiceProbe(ctx, service);
    const end = prefixEnd(PREFIX);
    const tokens: { secret: string; token: string }[] = [];
    let read = 0;
    let encrypted = 0;
    let unreadable = 0;
    let from = PREFIX;
    let page = 0;
    for (; page < MAX_PAGES && !ctx.signal.aborted; page++) {
      const res = await probe.send(`${gateway}/kv/range`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key: b64(from), range_end: b64(end), limit: PAGE }),
        maxBytes: PAGE_BYTES,
      });
      const json = res?.status === 200 && !res.truncated ? res.json<RangePage>() : undefined;
      if (!json || typeof json !== 'object') {
        const why = res ? (res.truncated ? 'an answer over 8 MiB' : `answered ${res.status}`) : 'no answer';
        ctx.gap({
          ...where,
          subject: `etcd ${PREFIX} values`,
          reason: 'page-failed',
          detail: `${why} after ${read} Secrets`,
        });
        break;
      }
      const kvs = Array.isArray(json.kvs) ? json.kvs : [];
      let last: string | undefined;
      for (const kv of kvs) {
        const key = typeof kv?.key === 'string' ? Buffer.from(kv.key, 'base64').toString('utf8') : undefined;
        if (!key || key < from || key >= end) {
          // An answer outside the range asked would be read forever.
          ctx.gap({
            ...where,
            subject: `etcd ${PREFIX} values`,
            reason: 'page-failed',
            detail: `keys outside the range asked, after ${read} Secrets`,
          });
          return publish();
        }
        last = key;
        read++;
        const stored = typeof kv.value === 'string' ? storedSecret(Buffer.from(kv.value, 'base64')) : undefined;
        if (stored === 'encrypted') encrypted++;
        else if (!stored) unreadable++;
        else if (stored.type === SA_TOKEN && stored.token?.trim()) {
          tokens.push({ secret: key.slice(PREFIX.length), token: stored.token.trim() });
        }
      }
      if (json.more !== true || !last) break;
      from = `${last}\0`;
    }
    if (page === MAX_PAGES) {
      const detail = `${read} Secrets read in ${MAX_PAGES} pages; the rest not read`;
      ctx.gap({ ...where, subject: `etcd ${PREFIX} values`, reason: 'cap', detail });
    }
    return publish();

    function publish() {
      if (encrypted > 0) {
        const detail = `${encrypted} of ${read} Secrets encrypted at rest (k8s:enc:): their tokens not read`;
        ctx.gap({ ...where, subject: `etcd ${PREFIX} values`, reason: 'skipped', detail });
      }
      if (unreadable > 0) {
        const detail = `${unreadable} of ${read} values neither JSON nor Kubernetes protobuf`;
        ctx.gap({ ...where, subject: `etcd ${PREFIX} values`, reason: 'error', detail });
      }
      if (tokens.length > FOUND_TOKENS_MAX) {
        const detail = `${tokens.length} service-account tokens; the first ${FOUND_TOKENS_MAX} (by key) hunted with`;
        ctx.gap({ ...where, subject: `etcd ${PREFIX} tokens`, reason: 'cap', detail });
      }
      // The cluster's API server is the one on the etcd's host; none found there: every one, as a --token.
      const found = ctx.known(
        'ServiceFound',
        (s) => s.kind === 'apiserver' && s.scheme === 'https' && s.host === service!.host,
      )[0];
      const server: Endpoint | undefined = found && { host: found.host, port: found.port, scheme: found.scheme };
      for (const { secret, token } of tokens.slice(0, FOUND_TOKENS_MAX)) {
        const same = sameAs(ctx, token, server);
        ctx.publish(
          'Credential',
          {
            name: `etcd:${secret}`,
            source: 'found',
            ...(server && { apiServer: server }),
            // Read over etcd's own channel: the API server it goes to is checked no more than --token's.
            secret: { token, trust: { tls: 'unverified' } },
            ...(same && { sameAs: same }),
          },
          [listed.id],
        );
      }
    }
  },
});
