import { NetError } from '../../core/errors.js';
import type { CredentialSecret, Scheme } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import type { HttpResponse } from '../../net/network.js';
import { hostPort } from '../../net/scope.js';
import { quote } from '../evidence.js';

/** An API server endpoint, as ServiceFound, Credential.apiServer and ApiAccess name it. */
export interface ApiTarget {
  host: string;
  port: number;
  scheme: Scheme;
}

/** `host:port` (IPv6 in brackets) for evidence and log lines. */
export function endpointLabel(target: Pick<ApiTarget, 'host' | 'port'>): string {
  return hostPort(target.host, target.port);
}

/** `scheme://host:port` followed by `path`. */
export function apiUrl(target: ApiTarget, path: string): string {
  return `${target.scheme}://${endpointLabel(target)}${path}`;
}

/**
 * Server-side printing, as kubectl asks for it: lists come back as Tables of names and columns (and
 * object metadata), so listing Secrets never transfers their values. A server without Table support
 * answers with the plain list.
 */
export const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

/**
 * What an API server said, in the terms a hunter decides on. Anything that is not the expected JSON or a
 * Kubernetes `Status` object (an HTML error page, garbage, a 5xx) is `unusable`, with a short phrase saying
 * what was seen: it decides nothing.
 */
export type Answer =
  | { kind: 'ok'; status: number; body: Record<string, unknown> }
  | { kind: 'unauthenticated'; status: 401 }
  | { kind: 'denied'; status: 403; message: string }
  | { kind: 'absent'; status: 404 }
  | { kind: 'unusable'; why: string };

export interface ApiRequest {
  path: string;
  method?: 'GET' | 'POST';
  /** JSON body of a POST (reviews only). */
  body?: object;
  accept?: string;
  credential?: CredentialSecret;
  /** A list other hunters ask for too: sent once per identity (HttpRequest.shared). */
  shared?: boolean;
  /** The Host header, when it must differ from the address (a localhost-only kubectl proxy). */
  host?: string;
  /** The caller reports a failure as its own coverage gap (HttpRequest.gap). */
  gap?: false;
  /** Body size cap for a long list (full objects); the network layer's default otherwise. */
  maxBytes?: number;
}

function classify(req: ApiRequest, res: HttpResponse): Answer {
  const what = `${req.method ?? 'GET'} ${req.path.split('?')[0]} → ${res.status}`;
  const body = res.truncated ? undefined : res.json<unknown>();
  const object =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (object?.kind === 'Status') {
    if (res.status === 401) return { kind: 'unauthenticated', status: 401 };
    if (res.status === 403) return { kind: 'denied', status: 403, message: String(object.message ?? '') };
    if (res.status === 404) return { kind: 'absent', status: 404 };
    return { kind: 'unusable', why: `${what} Status ${String(object.reason ?? object.message ?? '')}`.trim() };
  }
  if (res.status >= 200 && res.status < 300 && object) return { kind: 'ok', status: res.status, body: object };
  const type = res.headers['content-type']?.split(';')[0] ?? 'no content type';
  if (res.truncated) return { kind: 'unusable', why: `${what} ${type}, larger than the body limit` };
  return { kind: 'unusable', why: `${what} ${type} ${quote(res.text(), 40)}` };
}

/**
 * One request to an API server through the hunt's network layer, classified. Network failures (timeout,
 * refused, TLS, not HTTP) are thrown as NetError: the caller decides whether the server is worth asking
 * anything more.
 */
export async function askApi(ctx: HuntContext, target: ApiTarget, req: ApiRequest): Promise<Answer> {
  const res = await ctx.net.http({
    url: apiUrl(target, req.path),
    method: req.method ?? 'GET',
    // No Accept means JSON to an API server; left out, a read of /version is the fingerprint's own, sent once.
    headers: {
      ...(req.accept && { accept: req.accept }),
      ...(req.body !== undefined && { 'content-type': 'application/json' }),
      ...(req.host !== undefined && { host: req.host }),
    },
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
    credential: req.credential,
    shared: req.shared,
    ...(req.gap === false && { gap: false }),
    maxBytes: req.maxBytes,
  });
  return classify(req, res);
}

/** A network failure in one line; anything else thrown is a bug and is rethrown. */
export function netFailure(err: unknown): string {
  if (err instanceof NetError) return err.message;
  throw err;
}

/** Rows of a Table, or items of a plain list: names, namespaces, annotations and the Table's cells by column. */
export interface ListedObject {
  name: string;
  namespace?: string;
  annotations: Record<string, string>;
  /** Table cells by column name (`Type` for Secrets); for a plain list, `Type` is the object's `type`. */
  columns: Record<string, string>;
}

export interface Listing {
  objects: ListedObject[];
  /** The server has more (a `continue` token came back). */
  more: boolean;
  continueToken?: string;
  /**
   * How many the whole list holds, when the server says (`metadata.remainingItemCount`, which API servers
   * send for a list cut by `limit`): one true count without reading every page.
   */
  total?: number;
}

interface Metadata {
  name?: unknown;
  namespace?: unknown;
  annotations?: unknown;
  continue?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function stringRecord(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function objectOf(meta: Metadata | undefined, columns: Record<string, string>): ListedObject {
  return {
    name: str(meta?.name) ?? '?',
    namespace: str(meta?.namespace),
    annotations: stringRecord(meta?.annotations),
    columns,
  };
}

/**
 * Reads a Table or a plain list without touching anything but names, namespaces, annotations and (for a
 * Table) the printed columns. Returns undefined for a body that is neither.
 */
export function readListing(body: Record<string, unknown>): Listing | undefined {
  const meta = body.metadata as Metadata | undefined;
  const continueToken = str(meta?.continue) || undefined;
  const remaining = (meta as { remainingItemCount?: unknown } | undefined)?.remainingItemCount;
  const totalOf = (n: number) =>
    continueToken !== undefined && typeof remaining === 'number' && Number.isSafeInteger(remaining) && remaining >= 0
      ? { total: n + remaining }
      : {};
  if (body.kind === 'Table' && Array.isArray(body.rows)) {
    const names = Array.isArray(body.columnDefinitions)
      ? (body.columnDefinitions as { name?: unknown }[]).map((c) => str(c?.name) ?? '')
      : [];
    const objects = (body.rows as { cells?: unknown; object?: { metadata?: Metadata } }[]).map((row) => {
      const cells = Array.isArray(row?.cells) ? row.cells : [];
      const columns: Record<string, string> = {};
      names.forEach((n, i) => {
        if (n && cells[i] !== undefined && cells[i] !== null) columns[n] = String(cells[i]);
      });
      const metadata = row?.object?.metadata ?? { name: columns.Name };
      return objectOf(metadata, columns);
    });
    return { objects, more: continueToken !== undefined, continueToken, ...totalOf(objects.length) };
  }
  if (Array.isArray(body.items)) {
    const objects = (body.items as { metadata?: Metadata; type?: unknown }[]).map((item) => {
      const type = str(item?.type);
      return objectOf(item?.metadata, type === undefined ? {} : { Type: type });
    });
    return { objects, more: continueToken !== undefined, continueToken, ...totalOf(objects.length) };
  }
  return undefined;
}
