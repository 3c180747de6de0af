import type { NetError } from '../core/errors.js';

/**
 * When a request is sent again. A transient failure (a connection that timed out or was reset, a TLS
 * handshake that stalled, a 429, a 502/503/504) is retried with exponential backoff and full jitter; what
 * the server decided (refused, 401/403, 404, 500) is an answer and is never asked again.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the first retry, ms; doubled for each one after it, with full jitter. */
  baseDelayMs: number;
  /** No backoff (nor Retry-After) waits longer than this, ms: past it the answer in hand stands. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Statuses that say "not now" rather than "no": the same request may well succeed in a moment. */
const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);

export function transientStatus(status: number): boolean {
  return TRANSIENT_STATUS.has(status);
}

/**
 * What one attempt came to, as the retry decision needs it. `unsent`: the failure happened before the
 * request went out (TCP connect or TLS handshake), so even a state-changing request may be sent again.
 */
export type Outcome = { status: number; retryAfter?: string } | { failure: NetError; unsent: boolean; reset: boolean };

/**
 * The wait before the next attempt, ms, or undefined when the outcome stands. `safe`: the request reads
 * only (GET, HEAD, or a read-only POST its hunter declared), so sending it twice changes nothing.
 */
export function retryDelay(
  outcome: Outcome,
  attempt: number,
  safe: boolean,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * random();
  if ('status' in outcome) {
    if (!safe || !transientStatus(outcome.status)) return undefined;
    const asked = retryAfterMs(outcome.retryAfter);
    if (asked === undefined) return backoff;
    // A server asking for longer than we would wait has answered for this run.
    return asked <= policy.maxDelayMs ? Math.max(asked, backoff) : undefined;
  }
  const { failure, unsent, reset } = outcome;
  if (unsent) return failure.kind === 'timeout' || reset ? backoff : undefined;
  // Sent, then the connection dropped: only a read may be sent again.
  return safe && reset ? backoff : undefined;
}

/** Retry-After in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would read "-1" as a year.
  const at = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Methods that never change anything (RFC 9110 §9.2.1). */
export function safeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
