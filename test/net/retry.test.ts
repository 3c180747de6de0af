import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetError } from '../../src/core/errors.js';
import { DEFAULT_RETRY, retryAfterMs, retryDelay, sleep } from '../../src/net/retry.js';

const policy = { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 };
const full = () => 1;
const timeout = new NetError('timeout', 'GET http://127.0.0.2/x: connect timed out');
const reset = new NetError('protocol', 'GET http://127.0.0.2/x: connection reset');

describe('retry policy', () => {
  it('retries connect-phase timeouts and resets of any request, with doubling backoff', () => {
    assert.equal(retryDelay({ failure: timeout, unsent: true, reset: false }, 1, false, policy, full), 100);
    assert.equal(retryDelay({ failure: timeout, unsent: true, reset: false }, 2, false, policy, full), 200);
    assert.equal(retryDelay({ failure: reset, unsent: true, reset: true }, 1, false, policy, full), 100);
    assert.equal(retryDelay({ failure: timeout, unsent: true, reset: false }, 3, true, policy, full), undefined);
  });

  it('jitters within the backoff, never beyond its cap', () => {
    const d = retryDelay({ failure: timeout, unsent: true, reset: false }, 2, true, policy, () => 0.25);
    assert.equal(d, 50);
    const big = retryDelay(
      { failure: timeout, unsent: true, reset: false },
      9,
      true,
      { ...policy, attempts: 20 },
      full,
    );
    assert.equal(big, 1000);
  });

  it('resends a request reset after it was sent only when it is safe', () => {
    assert.equal(retryDelay({ failure: reset, unsent: false, reset: true }, 1, true, policy, full), 100);
    assert.equal(retryDelay({ failure: reset, unsent: false, reset: true }, 1, false, policy, full), undefined);
  });

  it('never retries an answer timeout after sending, a refusal, a TLS or protocol failure', () => {
    assert.equal(retryDelay({ failure: timeout, unsent: false, reset: false }, 1, true, policy, full), undefined);
    const refused = new NetError('refused', 'connection refused');
    assert.equal(retryDelay({ failure: refused, unsent: true, reset: false }, 1, true, policy, full), undefined);
    const garbage = new NetError('protocol', 'not a valid HTTP answer');
    assert.equal(retryDelay({ failure: garbage, unsent: false, reset: false }, 1, true, policy, full), undefined);
  });

  it('retries 429 and 502/503/504 of safe requests only; 401, 403, 404, 500 are answers', () => {
    for (const status of [429, 502, 503, 504]) {
      assert.equal(retryDelay({ status }, 1, true, policy, full), 100, String(status));
      assert.equal(retryDelay({ status }, 1, false, policy, full), undefined, String(status));
    }
    for (const status of [200, 401, 403, 404, 500]) {
      assert.equal(retryDelay({ status }, 1, true, policy, full), undefined, String(status));
    }
  });

  it('honours Retry-After up to its bound, and gives up when the server asks for longer', () => {
    assert.equal(retryDelay({ status: 429, retryAfter: '1' }, 1, true, policy, full), 1000);
    assert.equal(retryDelay({ status: 503, retryAfter: '0' }, 1, true, policy, full), 100);
    assert.equal(retryDelay({ status: 429, retryAfter: '3600' }, 1, true, policy, full), undefined);
    assert.equal(retryDelay({ status: 429, retryAfter: 'soon' }, 1, true, policy, full), 100);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('2', now), 2000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:03 GMT', now), 3000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('-1', now), undefined);
    assert.equal(retryAfterMs(undefined, now), undefined);
    assert.ok(DEFAULT_RETRY.attempts >= 2);
  });

  it('sleeps until the caller aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await assert.rejects(sleep(10_000, controller.signal), /stop/);
    assert.ok(Date.now() - started < 2000);
  });
});
