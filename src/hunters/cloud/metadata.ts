import { NetError } from '../../core/errors.js';
import type { KfEvent } from '../../core/events.js';
import type { HuntContext } from '../../core/hunter.js';
import { parseBounded } from '../../net/json-stream.js';
import type { HttpResponse } from '../../net/network.js';
import { hostLabel } from '../../net/scope.js';

/** The metadata endpoint of this run (set only with --cloud), or undefined. */
export function metadataEndpoint(ctx: HuntContext): { host: string; port: number } | undefined {
  return ctx.options.cloud ? ctx.options.cloudMetadata : undefined;
}

/** Cloud hunters run from the pod vantage only, once per run. */
export const CLOUD_TRIGGER = {
  on: 'Credential',
  when: (c: KfEvent<'Credential'>) => c.source === 'pod',
  subject: () => 'cloud',
} as const;

/** Metadata answers are small; anything bigger is not one. */
const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 3000;

export interface MetadataRequest {
  path: string;
  method?: 'GET' | 'PUT';
  headers?: Record<string, string>;
}

/**
 * Asks the metadata endpoint; undefined (with a debug line) when nothing answers: outside a cloud, or
 * where a network policy keeps pods away from it, that is the normal outcome and no warning.
 */
export async function askMetadata(
  ctx: HuntContext,
  endpoint: { host: string; port: number },
  req: MetadataRequest,
): Promise<HttpResponse | undefined> {
  const url = `http://${hostLabel(endpoint.host)}${endpoint.port === 80 ? '' : `:${endpoint.port}`}${req.path}`;
  try {
    return await ctx.net.http({
      url,
      method: req.method ?? 'GET',
      headers: req.headers,
      timeoutMs: TIMEOUT_MS,
      maxBytes: MAX_BYTES,
    });
  } catch (err) {
    if (!(err instanceof NetError)) throw err;
    ctx.log(`${req.method ?? 'GET'} ${req.path}: ${err.message}`);
    return undefined;
  }
}

/** The body as text when the answer is a 200, else undefined. */
export function okText(res: HttpResponse | undefined): string | undefined {
  return res?.status === 200 && !res.truncated ? res.text() : undefined;
}

/**
 * The body as a JSON object when the answer is a 200 with one, else undefined. A 200 whose JSON cannot be
 * read (malformed, or nested deeper than 64 levels) is `ctx`'s coverage gap: what it held was not examined.
 */
export function okJson(res: HttpResponse | undefined, ctx: HuntContext): Record<string, unknown> | undefined {
  const text = okText(res);
  if (res === undefined || text === undefined) return undefined;
  // Depth-bounded: what answers at a metadata address is only as trustworthy as the network path to it.
  const body = parseBounded(text);
  if (body === undefined && /^\s*[[{]/.test(text)) {
    const url = new URL(res.url);
    ctx.gap({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || 80,
      subject: `GET ${url.pathname}`,
      reason: 'cap',
      detail: 'a 200 answer whose JSON could not be read (malformed, or nested deeper than 64 levels)',
    });
  }
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/** A short printable value from metadata (names, ids, regions) for evidence; never used for secrets. */
export function shown(value: unknown, max = 64): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value)
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  if (text === '') return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Lines of a metadata directory listing (`ami-id\ninstance-id\n…`). */
export function listing(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
