import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { addressesOf, checkTargetSize, parseTarget } from '../../src/discovery/targets.js';

describe('targets', () => {
  it('parses each form the user may write', () => {
    assert.deepEqual(
      [
        '10.0.0.5',
        '10.0.0.0/30',
        '10.0.0.2-10.0.0.9',
        'api.example.test',
        '10.0.0.5:6443',
        '[::1]:6443',
        '::1',
        'node-1.local:10250',
      ].map((t) => {
        const p = parseTarget(t);
        return [p.kind, p.port];
      }),
      [
        ['range', undefined],
        ['range', undefined],
        ['range', undefined],
        ['hostname', undefined],
        ['range', 6443],
        ['range', 6443],
        ['range', undefined],
        ['hostname', 10250],
      ],
    );
  });

  it('iterates a range lazily, in order', () => {
    const t = parseTarget('10.0.0.254-10.0.1.1');
    assert.equal(t.kind, 'range');
    if (t.kind !== 'range') return;
    assert.deepEqual([...addressesOf(t.range)], ['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    const big = parseTarget('10.0.0.0/8');
    if (big.kind !== 'range') return;
    const it = addressesOf(big.range);
    assert.equal(it.next().value, '10.0.0.0', 'a /8 yields its first address without building a list');
  });

  it('refuses bad targets with one line', () => {
    for (const [text, msg] of [
      ['10.0.0.0/33', /prefix length must be 0-32/],
      ['10.0.0.5:70000', /port must be 1-65535/],
      ['10.0.0.0/24:80', /port can only be given with a single address/],
      ['bad_host!', /not an IP address, CIDR, range or hostname/],
      ['', /empty target/],
    ] as const) {
      assert.throws(
        () => parseTarget(text),
        (e: unknown) => e instanceof UsageError && msg.test(e.message),
        text,
      );
    }
  });

  it('refuses more than 65,536 addresses without --allow-large', () => {
    const sixteen = parseTarget('10.1.0.0/16');
    const fifteen = parseTarget('10.0.0.0/15');
    checkTargetSize([sixteen], false);
    assert.throws(() => checkTargetSize([fifteen], false), /131072 addresses.*--allow-large/);
    checkTargetSize([fifteen], true);
  });
});
