import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ExecConfig, execCredential } from '../../../src/discovery/vantage/exec-plugin.js';

// No network: plugins the test writes, run as kubectl runs them.

let dir: string;
let n = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kf-exec-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A plugin script that counts its runs in `<name>.runs` and prints `output` (a shell printf argument). */
function plugin(body: string): { exec: ExecConfig; runs: () => number } {
  const name = `plugin-${++n}`;
  const path = join(dir, name);
  const runs = join(dir, `${name}.runs`);
  writeFileSync(runs, '');
  writeFileSync(path, `#!/bin/sh\necho run >> "${runs}"\n${body}\n`);
  chmodSync(path, 0o755);
  return {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: path,
      args: [],
      env: [],
      provideClusterInfo: false,
    },
    runs: () => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length,
  };
}

const CLUSTER = { server: 'https://127.0.0.2:6443' };

function credential(status: object, apiVersion = 'client.authentication.k8s.io/v1beta1'): string {
  return `cat <<'EOF'\n${JSON.stringify({ apiVersion, kind: 'ExecCredential', status })}\nEOF`;
}

describe('exec credential plugins', () => {
  it('v1beta1 without interactiveMode is IfAvailable: run without a terminal, not interactive', async () => {
    const p = plugin(`${credential({ token: 'tok-beta-0123456789' })}\necho "$KUBERNETES_EXEC_INFO" > "${dir}/info"`);
    const secret = await execCredential('context "a"', p.exec, CLUSTER, { stdinIsTerminal: false });
    assert.equal(secret.token, 'tok-beta-0123456789');
    const info = JSON.parse(readFileSync(join(dir, 'info'), 'utf8'));
    assert.deepEqual(info, {
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: { interactive: false },
    });
  });

  it('a client certificate and key from the plugin', async () => {
    const p = plugin(credential({ clientCertificateData: 'CERT-PEM', clientKeyData: 'KEY-PEM' }));
    const { renewal, ...secret } = await execCredential('context "a"', p.exec, CLUSTER, { stdinIsTerminal: false });
    assert.deepEqual(secret, { clientCert: 'CERT-PEM', clientKey: 'KEY-PEM' });
    assert.equal(renewal?.expires, Number.MAX_SAFE_INTEGER, 'no expiry: valid until a server refuses it');
  });

  it('is cached until its expirationTimestamp, and run again once that has passed', async () => {
    const soon = new Date(Date.now() + 1500).toISOString();
    const p = plugin(credential({ token: 'tok-short-0123456789', expirationTimestamp: soon }));
    const opts = { stdinIsTerminal: false };
    await execCredential('context "a"', p.exec, CLUSTER, opts);
    await execCredential('context "b"', p.exec, CLUSTER, opts);
    assert.equal(p.runs(), 1, 'cached while valid');
    await new Promise((r) => setTimeout(r, 1600));
    await assert.rejects(execCredential('context "a"', p.exec, CLUSTER, opts), /already expired/);
    assert.equal(p.runs(), 2, 'run again after expiry');
  });

  it('a plugin that hangs is killed at the deadline: one line naming the context', async () => {
    const p = plugin('sleep 30');
    const started = Date.now();
    await assert.rejects(
      execCredential('context "slow"', p.exec, CLUSTER, { stdinIsTerminal: false, timeoutMs: 300 }),
      (err: Error) => {
        assert.equal(err.name, 'UsageError');
        assert.match(err.message, /^context "slow": exec plugin .*plugin-\d+ did not finish within 300 ms$/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'did not wait for the plugin');
  });

  for (const [what, body, message] of [
    [
      'answers in another API version',
      credential({ token: 'x' }, 'client.authentication.k8s.io/v1'),
      /configured to use API version client\.authentication\.k8s\.io\/v1beta1, plugin returned version client\.authentication\.k8s\.io\/v1$/,
    ],
    ['returns neither token nor certificate', credential({}), /didn't return a token or cert\/key pair$/],
    ['returns a certificate without its key', credential({ clientCertificateData: 'C' }), /without a key/],
    ['writes too much', 'head -c 2000000 /dev/zero', /wrote more than 1048576 bytes/],
    ['is killed', 'kill -9 $$', /was killed by SIGKILL$/],
  ] as const) {
    it(`a plugin that ${what}: one line`, async () => {
      const p = plugin(body);
      await assert.rejects(execCredential('context "x"', p.exec, CLUSTER, { stdinIsTerminal: false }), (err: Error) => {
        assert.equal(err.name, 'UsageError');
        assert.match(err.message, /^context "x": /);
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }

  it('a plugin that is not executable', async () => {
    const path = join(dir, 'not-executable');
    writeFileSync(path, '#!/bin/sh\n');
    await assert.rejects(
      execCredential(
        'context "x"',
        {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: path,
          args: [],
          env: [],
          provideClusterInfo: false,
        },
        CLUSTER,
        { stdinIsTerminal: false },
      ),
      /context "x": exec plugin: .*not-executable is not executable \(permission denied\)/,
    );
  });
});
