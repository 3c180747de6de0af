import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLine, count, joinCapped, quote, sample } from '../../src/hunters/evidence.js';

// No network: the pieces evidence is made of.

describe('evidence helpers', () => {
  it('redacts credential flags and secret-looking values on a command line, and keeps paths and settings', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ'}.c2lnbmF0dXJlc2lnbmF0dXJl`;
    const args = commandLine(
      [
        '/usr/bin/kubelet',
        '--token=0123456789abcdef',
        '--token-auth-file=/etc/kubernetes/tokens.csv',
        '--bootstrap-token=abcdef.0123456789abcdef',
        '--basic-auth-password=hunter2hunter2',
        '--client-secret=s3cr3tValue',
        `--extra=${jwt}`,
        '--anonymous-auth=true',
        '--read-only-port=10255',
      ].join('\0'),
    );
    assert.deepEqual(args.slice(0, 6), [
      '/usr/bin/kubelet',
      '--token=[redacted]',
      '--token-auth-file=/etc/kubernetes/tokens.csv',
      '--bootstrap-token=[redacted]',
      '--basic-auth-password=[redacted]',
      '--client-secret=[redacted]',
    ]);
    assert.ok(!args[6].includes(jwt.slice(0, 30)), 'a token in any flag is redacted');
    assert.deepEqual(args.slice(7), ['--anonymous-auth=true', '--read-only-port=10255']);
  });

  it('reads a command line separated by spaces too', () => {
    assert.deepEqual(commandLine('kube-scheduler --leader-elect=true  --v=2\n'), [
      'kube-scheduler',
      '--leader-elect=true',
      '--v=2',
    ]);
  });

  it('shows a few items and how many there are', () => {
    assert.equal(sample(['a', 'b']), 'a, b');
    assert.equal(sample(['a', 'b', 'c', 'd'], 2), 'a, b, … (4 in all)');
    assert.equal(count(1, 'pod'), '1 pod');
    assert.equal(count(2, 'entry', 'entries'), '2 entries');
  });

  it('quotes a body as one short line, secrets redacted', () => {
    assert.equal(quote('ok\n'), '"ok"');
    assert.equal(quote('a\r\n\tb', 10), '"a b"');
    assert.equal(quote('x'.repeat(100), 5), '"xxxxx…"');
    assert.match(quote('password=supersecret1 and more'), /password=\[redacted/);
  });

  it('caps a list of parts at a part boundary', () => {
    assert.equal(joinCapped(['aaaa', 'bbbb', 'cccc'], 10), 'aaaa; bbbb; … (1 more)');
    assert.equal(joinCapped(['a', 'b']), 'a; b');
  });
});
