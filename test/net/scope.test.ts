import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseRange, rangeSize, Scope } from '../../src/net/scope.js';

describe('address ranges', () => {
  const cases: Array<[string, string, bigint]> = [
    ['10.0.0.5', '10.0.0.5', 1n],
    ['10.0.1.0/24', '10.0.1.0/24', 256n],
    ['10.0.1.77/24', '10.0.1.77/24', 256n],
    ['127.0.0.2-127.0.0.9', '127.0.0.2-127.0.0.9', 8n],
    ['127.0.0.2-9', '127.0.0.2-9', 8n],
    ['::1', '::1', 1n],
    ['fd00::/120', 'fd00::/120', 256n],
    ['0.0.0.0/0', '0.0.0.0/0', 1n << 32n],
  ];
  for (const [text, label, size] of cases) {
    it(`parses ${text}`, () => {
      const r = parseRange(text);
      assert.equal(r.label, label);
      assert.equal(rangeSize(r), size);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['::/129', /prefix length must be 0-128/],
    ['10.0.0.0/x', /prefix length/],
    ['10.0.0.300', /not an IP address/],
    ['127.1', /not an IP address/],
    ['10.0.0.9-10.0.0.2', /ends before it starts/],
    ['10.0.0.1-::1', /mixes IPv4 and IPv6/],
    ['banana/24', /not a CIDR/],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${text} with one line`, () => {
      assert.throws(
        () => parseRange(text),
        (err: unknown) => err instanceof UsageError && message.test(err.message) && !err.message.includes('\n'),
      );
    });
  }
});

describe('scope', () => {
  it('contains exactly the declared addresses', () => {
    const scope = new Scope([parseRange('127.0.0.2'), parseRange('10.1.0.0/16'), parseRange('::1')]);
    assert.equal(scope.contains('127.0.0.2'), true);
    assert.equal(scope.contains('127.0.0.3'), false);
    assert.equal(scope.contains('10.1.255.255'), true);
    assert.equal(scope.contains('10.2.0.0'), false);
    assert.equal(scope.contains('::1'), true);
    assert.equal(scope.contains('[::1]'), true);
    assert.equal(scope.contains('::ffff:10.1.2.3'), true, 'IPv4-mapped IPv6 is the IPv4 host');
    assert.equal(scope.contains('169.254.169.254'), false);
    assert.equal(scope.contains('not-an-address'), false);
    assert.deepEqual(scope.labels(), ['127.0.0.2', '10.1.0.0/16', '::1']);
  });
});
