import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubeconfigOf } from '../../../src/cli/flags/vantage.js';

// No network: which kubeconfig files a command line reads, by kubectl's precedence and kubeferret's scope rule.

describe('kubeconfigOf', () => {
  let dir: string;
  let a: string;
  let b: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kf-kubeconfig-of-'));
    a = join(dir, 'a');
    b = join(dir, 'b');
    writeFileSync(a, '');
    writeFileSync(b, '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--kubeconfig alone, whatever KUBECONFIG says', () => {
    assert.deepEqual(kubeconfigOf({ kubeconfig: 'x' }, true, { KUBECONFIG: `${a}:${b}` }), ['x']);
  });

  it('the KUBECONFIG list (deduplicated, missing files skipped) when nothing else is named', () => {
    const env = { KUBECONFIG: `${a}::${join(dir, 'missing')}:${b}:${a}` };
    assert.deepEqual(kubeconfigOf({}, false, env), [a, b]);
    assert.equal(kubeconfigOf({}, false, {}), undefined);
    assert.throws(() => kubeconfigOf({}, false, { KUBECONFIG: join(dir, 'missing') }), /none of them exists/);
  });

  it('a KUBECONFIG left set never joins a hunt described otherwise, unless --context asks for it', () => {
    const env = { KUBECONFIG: a };
    assert.equal(kubeconfigOf({}, true, env), undefined, 'targets named');
    assert.equal(kubeconfigOf({ pod: true }, false, env), undefined, '--pod');
    assert.equal(kubeconfigOf({ token: 't' }, false, env), undefined, '--token');
    assert.equal(kubeconfigOf({ tokenFile: 'f' }, false, env), undefined, '--token-file');
    assert.deepEqual(kubeconfigOf({ context: ['dev'] }, true, env), [a]);
  });
});
