import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redactor } from '../../src/core/redact.js';

// The evidence of real lab hunts (scripts/redaction-corpus.ts: every profile; without credentials, with
// given identities, active), with every secret the labs held. Redaction as the report does it (the run's
// known secrets, then the patterns) must take out exactly the secrets: every one of them, and nothing else —
// no identity name, file name, flag or product word.

interface Corpus {
  secrets: string[];
  runs: { profile: string; mode: string; runSecrets: string[]; lines: string[] }[];
}

const corpus = JSON.parse(
  readFileSync(new URL('../fixtures/redaction/corpus.json', import.meta.url), 'utf8'),
) as Corpus;

/** Where something was redacted, whatever its fingerprint: two texts redacted in the same places are equal. */
const shape = (text: string) => text.replace(/\[redacted [^\]]*\]/g, '[R]');

describe('redaction corpus from real lab hunts', () => {
  it('is a corpus: a few hundred lines from every profile and mode, holding secrets', () => {
    const lines = corpus.runs.flatMap((r) => r.lines);
    assert.ok(lines.length >= 300, `${lines.length} lines`);
    assert.deepEqual([...new Set(corpus.runs.map((r) => r.profile))].sort(), ['default', 'hardened', 'vulnerable']);
    assert.equal(new Set(corpus.runs.map((r) => r.mode)).size, 4);
    const withSecret = lines.filter((l) =>
      corpus.secrets.some((s) => l.includes(s) || l.includes(Buffer.from(s).toString('base64'))),
    );
    assert.ok(withSecret.length > 0, 'some evidence carries a secret before redaction, so redaction is tested');
  });

  for (const run of corpus.runs) {
    it(`${run.profile}, ${run.mode}: redacts every secret and nothing else`, () => {
      const asReported = new Redactor(run.runSecrets);
      const onlySecrets = new Redactor([...corpus.secrets, ...run.runSecrets]);
      for (const line of run.lines) {
        const out = asReported.text(line);
        for (const s of corpus.secrets) {
          for (const form of [s, Buffer.from(s).toString('base64')])
            assert.ok(!out.includes(form), `a secret is left in: ${out}`);
        }
        assert.equal(
          shape(out),
          shape(onlySecrets.redactKnown(line)),
          `redacted more or less than the secrets: ${line}`,
        );
      }
    });
  }

  it('keeps the words the field reports were missing', () => {
    const r = new Redactor();
    for (const text of [
      'without a token: skip-login is on (GET /api/v1/login/skippable → 200: skippable: true)',
      'token-file:/home/me/token: everything allowed (* on *)',
      'token-file:/home/me/bound.token: create pods, list pods',
      'authorization: Webhook',
    ]) {
      assert.equal(r.text(text), text);
    }
  });
});
