import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetError } from '../../src/core/errors.js';
import type { CredentialSecret } from '../../src/core/events.js';
import { execCredential } from '../../src/discovery/vantage/exec-plugin.js';
import { Network } from '../../src/net/network.js';
import { registerRenewal } from '../../src/net/renewal.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';

// Block 127.0.6.0/24. A credential that expires during a hunt is renewed by its source before the next
// request, as client-go renews an exec plugin's credential.

const HOST = '127.0.6.2';

describe('credentials renewed when they expire', () => {
  let server: TestServer;
  const seen: string[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kf-renewal-'));
    server = await startHttpServer(HOST, (req, res) => {
      seen.push(req.headers.authorization ?? '');
      if (req.url === '/unauthorized') res.statusCode = 401;
      res.end('{}');
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function network(trace = new Trace()) {
    const scope = new Scope();
    scope.addText(HOST);
    return new Network({ scope, trace, connectTimeoutMs: 1000, requestTimeoutMs: 3000, maxBodyBytes: 1 << 20 });
  }

  it('sends a valid credential as it is, and an expired one renewed, which the trace redacts', async () => {
    let renewals = 0;
    registerRenewal('test-a', async () => {
      renewals++;
      return { token: 'fresh-token-0123456789', renewal: { key: 'test-a', expires: Date.now() + 60_000 } };
    });
    const trace = new Trace();
    const net = network(trace).for('t');
    const valid: CredentialSecret = {
      token: 'valid-token-0123456789',
      renewal: { key: 'test-a', expires: Date.now() + 60_000 },
    };
    const expired: CredentialSecret = {
      token: 'stale-token-0123456789',
      renewal: { key: 'test-a', expires: Date.now() - 1 },
    };
    seen.length = 0;
    await net.http({ url: `${server.url}/a`, credential: valid });
    await net.http({ url: `${server.url}/b`, credential: expired });
    assert.deepEqual(seen, ['Bearer valid-token-0123456789', 'Bearer fresh-token-0123456789']);
    assert.equal(renewals, 1);
    assert.doesNotMatch(trace.redactor.text('saw fresh-token-0123456789'), /fresh-token/);
    seen.length = 0;
    await net.http({ url: `${server.url}/c`, credential: expired });
    await net.http({ url: `${server.url}/d`, credential: valid });
    assert.deepEqual(seen, Array(2).fill('Bearer fresh-token-0123456789'), 'every holder sends the newest');
    assert.equal(renewals, 1, 'renewed once');
  });

  it('a credential a server refuses with 401 is asked for again before the next request, as client-go does', async () => {
    let issued = 0;
    let forgotten = 0;
    registerRenewal(
      'test-401',
      async () => ({
        token: `issued-${++issued}-0123456789`,
        renewal: { key: 'test-401', expires: Date.now() + 60_000 },
      }),
      () => forgotten++,
    );
    const net = network().for('t');
    const first: CredentialSecret = {
      token: 'first-0123456789',
      renewal: { key: 'test-401', expires: Date.now() + 60_000 },
    };
    seen.length = 0;
    const elsewhere = { ...first, trust: { tls: 'verify' as const, serverHost: '127.0.6.9' } };
    await net.http({ url: `${server.url}/unauthorized`, credential: elsewhere });
    await net.http({ url: `${server.url}/after-elsewhere`, credential: first });
    assert.deepEqual(seen.splice(0), ['Bearer first-0123456789', 'Bearer first-0123456789'], 'a 401 elsewhere');
    const refused = await net.http({ url: `${server.url}/unauthorized`, credential: first });
    assert.equal(refused.status, 401);
    await net.http({ url: `${server.url}/again`, credential: first });
    assert.deepEqual(seen, ['Bearer first-0123456789', 'Bearer issued-1-0123456789']);
    assert.equal(forgotten, 1, "the source's cache was dropped first");
  });

  it('a streamed read renews as http() does: expired, or refused with 401 by its server', async () => {
    let issued = 0;
    registerRenewal('test-stream', async () => ({
      token: `streamed-${++issued}-0123456789`,
      renewal: { key: 'test-stream', expires: Date.now() + 60_000 },
    }));
    const trace = new Trace();
    const net = network(trace).for('t');
    const sink = () => ({ write: () => {}, result: () => undefined });
    const expired: CredentialSecret = {
      token: 'stale-stream-0123456789',
      renewal: { key: 'test-stream', expires: Date.now() - 1 },
    };
    seen.length = 0;
    await net.stream({ url: `${server.url}/list` }, sink);
    await net.stream({ url: `${server.url}/list`, credential: expired }, sink);
    assert.deepEqual(seen.splice(0), ['', 'Bearer streamed-1-0123456789']);
    assert.doesNotMatch(trace.redactor.text('saw streamed-1-0123456789'), /streamed-1/, 'the redactor learnt it');
    const refused = await net.stream({ url: `${server.url}/unauthorized`, credential: expired }, sink);
    assert.equal(refused.status, 401);
    await net.stream({ url: `${server.url}/list`, credential: expired }, sink);
    assert.deepEqual(seen, ['Bearer streamed-1-0123456789', 'Bearer streamed-2-0123456789']);
  });

  it('a renewal that fails is one line, and nothing is sent', async () => {
    registerRenewal('test-b', async () => {
      throw new Error('context "eks": exec plugin aws failed with exit code 255');
    });
    seen.length = 0;
    await assert.rejects(
      network()
        .for('t')
        .http({ url: server.url, credential: { token: 'x-0123456789', renewal: { key: 'test-b', expires: 0 } } }),
      (err: unknown) =>
        err instanceof NetError &&
        /^the credential could not be renewed: context "eks": exec plugin aws failed/.test(err.message),
    );
    assert.deepEqual(seen, []);
  });

  it("an exec plugin's credential: the plugin runs again once it expired, once for requests made together", async () => {
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const plugin = join(dir, 'short-lived');
    writeFileSync(
      plugin,
      `#!/bin/sh
echo run >> "${count}"
n=$(wc -l < "${count}")
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"short-lived-token-%s","expirationTimestamp":"%s"}}' "$n" "$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)"
`,
    );
    chmodSync(plugin, 0o755);
    const secret = await execCredential(
      'context "short"',
      {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: plugin,
        args: [],
        env: [],
        provideClusterInfo: false,
      },
      { server: server.url },
      { stdinIsTerminal: false },
    );
    assert.equal(secret.token, 'short-lived-token-1');
    assert.ok(secret.renewal);
    await new Promise((r) => setTimeout(r, Math.max(0, secret.renewal!.expires - Date.now()) + 50));
    seen.length = 0;
    const net = network().for('t');
    await Promise.all([1, 2, 3].map((i) => net.http({ url: `${server.url}/${i}`, credential: secret })));
    assert.deepEqual(seen, Array(3).fill('Bearer short-lived-token-2'));
    assert.equal(readFileSync(count, 'utf8').split('\n').filter(Boolean).length, 2, 'one run for the three');
  });
});
