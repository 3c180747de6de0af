import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logHooks } from '../../src/cli/logs.js';
import { Redactor, redactorFor, redactPatterns, secretFingerprint } from '../../src/core/redact.js';
import { FORMAT_NAMES, render } from '../../src/report/formats.js';
import { buildReport } from '../../src/report/model.js';
import { type Fixture, forbiddenStrings, SECRETS, startFixture } from './hunt-fixture.js';

// This file's loopback block: 127.34.0.0/16.

describe('redaction patterns', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Ng';
  const cases: [string, string][] = [
    [`token ${jwt} seen`, jwt],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAabc\n-----END RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAabc'],
    ['Authorization: Bearer abcdefgh12345678', 'abcdefgh12345678'],
    ['"authorization":"Basic dXNlcjpwYXNzd29yZA=="', 'dXNlcjpwYXNzd29yZA=='],
    ['GET https://admin:hunter2pass@10.0.0.1/api', 'hunter2pass'],
    ['GET /run?cmd=ls&access_token=s3cr3tvalue&x=1', 's3cr3tvalue'],
    ['password=Tr0ub4dor&3 next', 'Tr0ub4dor'],
    ['{"token": "abc123def456"}', 'abc123def456'],
    [
      'data ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklqRXlNeUo5Rm9vQmFy9x end',
      'ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklqRXlNeUo5Rm9vQmFy9x',
    ],
    ['key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 end', '9f86d081884c7d659a2feaa0'],
    [
      'GET /api/v1/tokens/dGhpcy1pcy1hLWxvbmctcmFuZG9tLXNlY3JldC0xMjM0NTY3ODkwQUJDREVGRw_x answered',
      'dGhpcy1pcy1hLWxvbmctcmFuZG9tLXNlY3JldC0xMjM0NTY3ODkwQUJDREVGRw_x',
    ],
  ];
  for (const [text, secret] of cases) {
    it(`redacts ${JSON.stringify(text.slice(0, 40))}`, () => {
      const out = redactPatterns(text);
      assert.ok(!out.includes(secret), out);
      assert.match(out, /\[redacted /);
    });
  }

  it('leaves paths, versions, digests and ordinary words alone', () => {
    for (const text of [
      'GET /api/v1/namespaces/kubesystem/serviceaccounts/default/token answered 403',
      'kubelet v1.29.3 on 10.0.0.5:10250',
      'image sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'identity token-file:/var/run/secrets/kubernetes.io/serviceaccount/token',
      '127.0.5.3:10250/containerLogs/kube-system/coredns-b66f4cfcfa-7bac8/coredns',
      'pod kube-system/kube-proxy-7f9c4d8b6f-x2x9qLmNpQrStUv/kube-proxy-sidecar-container',
    ]) {
      assert.equal(redactPatterns(text), text);
    }
  });

  it('redacts a known secret in every form it travels in, and is idempotent', () => {
    const r = new Redactor(['plain-pass-w0rd']);
    const b64 = Buffer.from('plain-pass-w0rd').toString('base64');
    const once = r.text(`p=plain-pass-w0rd b=${b64} j=${JSON.stringify('plain-pass-w0rd')}`);
    assert.ok(!once.includes('plain-pass-w0rd') && !once.includes(b64), once);
    assert.equal(r.text(once), once);
  });

  it('leaves a short, distinguishable, non-reversible fingerprint', () => {
    const a = secretFingerprint('a-long-secret-value-1');
    assert.equal(a, secretFingerprint('a-long-secret-value-1'));
    assert.notEqual(a, secretFingerprint('a-long-secret-value-2'));
    assert.match(a, /^\[redacted a-lo…sha256:[0-9a-f]{8}\]$/);
    assert.match(secretFingerprint('short1'), /^\[redacted sha256:[0-9a-f]{8}\]$/);
  });
});

describe('no secret reaches any output', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture('127.34');
  });
  after(() => fx.close());

  it('every format, the trace file and the log lines are free of every known secret value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-redact-'));
    const tracePath = join(dir, 'trace.jsonl');
    const stderr: string[] = [];
    const result = await fx.hunt({ tracePath, hooks: logHooks(true, (l) => stderr.push(l)) });
    const report = buildReport(result);
    const redactor = redactorFor(result.events);
    const outputs: Record<string, string> = {
      trace: readFileSync(tracePath, 'utf8'),
      stderr: stderr.join('\n'),
    };
    for (const format of FORMAT_NAMES) {
      outputs[format] = redactor.redactKnown(render(format, report, { color: true, quiet: false }));
    }
    // The hunt really met the secrets: the careless hunters put them in evidence, a warning and an error.
    assert.ok(stderr.some((l) => l.startsWith('warning: test-secrets-reader')));
    assert.ok(outputs.trace.includes('/run?token=[redacted '), 'the query-string token was sent, then redacted');
    assert.ok(report.findings.some((f) => f.evidence.includes('password=[redacted ')));
    for (const [name, text] of Object.entries(outputs)) {
      assert.ok(text.length > 0, name);
      for (const secret of forbiddenStrings()) {
        assert.ok(!text.includes(secret), `${name} contains a secret (${secret.slice(0, 6)}…)`);
      }
    }
    // The key as a whole, in its JSON-escaped form, too.
    assert.ok(!outputs.json.includes(JSON.stringify(SECRETS.opsKey).slice(1, -1)));
  });
});
