import type { HuntContext } from '../../core/hunter.js';
import { namespaceOfKey } from '../../kubernetes/namespaces.js';
import { ServiceProbe } from '../probe.js';

// The namespaces an open etcd names: every key under /registry/namespaces/, read as key names only (never a
// value), a page at a time. Each is published as NamespaceSeen, so the API servers' namespace survey asks
// about it even when no identity may list namespaces through the API.

const PREFIX = '/registry/namespaces/';
/** Key names per page: a namespace key is short, so a page stays a few tens of KiB. */
const PAGE = 500;
/** Pages read at most: 10,000 namespaces, beyond any cluster's; what is left is a `cap` gap. */
const MAX_PAGES = 20;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : undefined);
/** The key after every key that starts with `prefix`: the range end of a prefix query. */
const prefixEnd = (prefix: string) =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/**
 * Publishes the namespaces named by key names already read (`seen`) and by every key under
 * /registry/namespaces/ of the v3 gateway at `gateway` (`/v3`, `/v3beta`…). A page that fails, and a read
 * cut by MAX_PAGES, are coverage gaps.
 */
export async function learnNamespaces(
  ctx: HuntContext,
  service: { host: string; port: number; scheme: 'http' | 'https' },
  gateway: string,
  seen: readonly string[],
  parents: string[],
): Promise<void> {
  const where = { host: service.host, port: service.port };
  const publish = (key: string) => {
    const namespace = namespaceOfKey(key);
    if (namespace) ctx.publish('NamespaceSeen', { namespace, source: 'etcd key names', ...where }, parents);
  };
  for (const key of seen) publish(key);
  const probe = new ServiceProbe(ctx, service);
  const end = prefixEnd(PREFIX);
  let from = PREFIX;
  let read = 0;
  for (let page = 0; page < MAX_PAGES && !ctx.signal.aborted; page++) {
    const res = await probe.send(`${gateway}/kv/range`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: b64(from), range_end: b64(end), keys_only: true, limit: PAGE }),
      maxBytes: 256 * 1024,
    });
    const json = res?.status === 200 ? res.json<{ kvs?: { key?: unknown }[]; more?: unknown }>() : undefined;
    if (!json || typeof json !== 'object') {
      const why = res ? `answered ${res.status}` : 'no answer';
      ctx.gap({ ...where, subject: `etcd ${PREFIX}`, reason: 'page-failed', detail: `${why} after ${read} keys` });
      return;
    }
    const keys = (Array.isArray(json.kvs) ? json.kvs : []).map((kv) => unb64(kv?.key)).filter((k) => k !== undefined);
    if (keys.some((k) => k < from || k >= end)) {
      // A server that answers outside the range asked (the same page again, other keys) would be read forever.
      const detail = `page ${page + 1} held keys outside the range asked, after ${read} keys`;
      ctx.gap({ ...where, subject: `etcd ${PREFIX}`, reason: 'page-failed', detail });
      return;
    }
    for (const key of keys) publish(key);
    read += keys.length;
    // etcd says `more` when the limit cut the range; the next page starts just after the last key.
    if (json.more !== true || keys.length === 0) return;
    from = `${keys[keys.length - 1]}\0`;
  }
  if (!ctx.signal.aborted) {
    ctx.gap({
      ...where,
      subject: `etcd ${PREFIX}`,
      reason: 'cap',
      detail: `${read} namespace keys read in ${MAX_PAGES} pages; the rest not read`,
    });
  }
}
