import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { NetError } from '../../src/core/errors.js';
import type { CredentialSecret } from '../../src/core/events.js';
import { Network } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace, type TraceRecord } from '../../src/net/trace.js';
import { makeCert, type Pem } from '../helpers/certs.js';

// Block 127.0.5.0/24. A real HTTPS server that records, per TLS connection, the SNI and the client
// certificate it was shown, and per request the Authorization header: what a server in the middle collects.

const HOST = '127.0.5.2';
const TOKEN = 'kf-trust-token-7d41b2e9';

interface Recorder {
  url: string;
  port: number;
  /** Authorization headers of the requests received. */
  authorizations: string[];
  /** Client certificate CNs presented in handshakes (undefined when none). */
  clientCerts: (string | undefined)[];
  servernames: (string | false)[];
  close(): Promise<void>;
}

async function startRecorder(serving: Pem, clientCa: string): Promise<Recorder> {
  const rec: Omit<Recorder, 'url' | 'port' | 'close'> = { authorizations: [], clientCerts: [], servernames: [] };
  const server = https.createServer(
    { ...serving, ca: clientCa, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      rec.authorizations.push(req.headers.authorization ?? '');
      res.setHeader('content-type', 'application/json');
      res.end('{"kind":"APIVersions"}');
    },
  );
  server.on('secureConnection', (socket: TLSSocket) => {
    rec.servernames.push((socket as TLSSocket & { servername: string | false }).servername);
    const cn = socket.getPeerCertificate()?.subject?.CN;
    rec.clientCerts.push(typeof cn === 'string' ? cn : undefined);
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as AddressInfo).port;
  return {
    ...rec,
    url: `https://${HOST}:${port}/api`,
    port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function network(records: TraceRecord[] = []) {
  const scope = new Scope();
  scope.addText(HOST);
  const trace = new Trace();
  const record = trace.record.bind(trace);
  trace.record = (r, host) => {
    records.push(r);
    record(r, host);
  };
  return new Network({ scope, trace, connectTimeoutMs: 1000, requestTimeoutMs: 3000, maxBodyBytes: 1 << 20 });
}

async function untrusted(p: Promise<unknown>, problem: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NetError, String(err));
    assert.equal(err.kind, 'untrusted', err.message);
    assert.match(err.message, problem);
    assert.match(err.message, /the credential was not sent$/);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

describe('a credential goes only where its source trusts the server', () => {
  let clusterCa: Pem;
  let otherCa: Pem;
  let client: Pem;
  let server: Recorder;

  before(async () => {
    clusterCa = makeCert({ cn: 'kubernetes' });
    otherCa = makeCert({ cn: 'someone-else' });
    client = makeCert({ cn: 'admin', issuer: clusterCa, client: true });
    const serving = makeCert({ cn: 'kube-apiserver', dns: ['kubernetes.default.svc'], ips: [HOST], issuer: clusterCa });
    server = await startRecorder(serving, clusterCa.cert);
  });

  after(() => server?.close());

  function reset() {
    server.authorizations.length = 0;
    server.clientCerts.length = 0;
    server.servernames.length = 0;
  }

  it('the CA that signed the server: the token is sent', async () => {
    reset();
    const net = network();
    const res = await net.for('t').http({ url: server.url, credential: { token: TOKEN, ca: clusterCa.cert } });
    assert.equal(res.status, 200);
    assert.deepEqual(server.authorizations, [`Bearer ${TOKEN}`]);
    await net.close();
  });

  it('a CA that did not sign it: one line in kubectl words, and neither token nor client certificate reaches it', async () => {
    reset();
    const records: TraceRecord[] = [];
    const net = network(records);
    const h = net.for('t');
    await untrusted(
      h.http({ url: server.url, credential: { token: TOKEN, ca: otherCa.cert } }),
      /^https:\/\/127\.0\.5\.2:\d+: x509: certificate signed by unknown authority/,
    );
    await untrusted(
      h.http({ url: server.url, credential: { clientCert: client.cert, clientKey: client.key, ca: otherCa.cert } }),
      /x509: certificate signed by unknown authority/,
    );
    // Asked again: still refused, from the one check made per trust and server.
    await untrusted(h.http({ url: server.url, credential: { token: TOKEN, ca: otherCa.cert } }), /unknown authority/);
    assert.deepEqual(server.authorizations, [], 'no request at all');
    assert.ok(
      server.clientCerts.every((c) => c === undefined),
      `no handshake presented the client certificate: ${server.clientCerts.join(', ')}`,
    );
    assert.ok(
      records.some((r) => r.method === 'TLS' && /unknown authority/.test(r.error ?? '')),
      'traced',
    );
    await net.close();
  });

  it('a streamed read goes through the same check: signed by its CA, sent; by another, nothing reaches it', async () => {
    reset();
    const records: TraceRecord[] = [];
    const net = network(records);
    const h = net.for('t');
    const text = () => {
      const chunks: Buffer[] = [];
      return { write: (c: Buffer) => void chunks.push(c), result: () => Buffer.concat(chunks).toString() };
    };
    await untrusted(
      h.stream({ url: server.url, credential: { token: TOKEN, ca: otherCa.cert } }, text),
      /^https:\/\/127\.0\.5\.2:\d+: x509: certificate signed by unknown authority/,
    );
    await untrusted(
      h.stream(
        { url: server.url, credential: { clientCert: client.cert, clientKey: client.key, ca: otherCa.cert } },
        text,
      ),
      /unknown authority/,
    );
    assert.deepEqual(server.authorizations, [], 'no streamed request at all');
    assert.ok(
      server.clientCerts.every((c) => c === undefined),
      'no handshake presented the client certificate',
    );
    // Refused by the check made before any request (one per trust and server), not by a request's handshake.
    assert.deepEqual(
      records.map((r) => `${r.method} ${r.error ? 'refused' : r.status}`),
      ['TLS refused', 'TLS refused'],
    );
    const read = await h.stream({ url: server.url, credential: { token: TOKEN, ca: clusterCa.cert } }, text);
    assert.equal(read.status, 200);
    assert.match(read.value, /APIVersions/);
    assert.deepEqual(server.authorizations, [`Bearer ${TOKEN}`]);
    await net.close();
  });

  it('no CA: the system roots, which did not sign a cluster CA', async () => {
    reset();
    const net = network();
    await untrusted(net.for('t').http({ url: server.url, credential: { token: TOKEN } }), /unknown authority/);
    assert.deepEqual(server.authorizations, []);
    await net.close();
  });

  it("no CA, and the system's bundle (SSL_CERT_FILE, as Go reads it) holds the cluster CA: sent", async () => {
    reset();
    const bundle = join(mkdtempSync(join(tmpdir(), 'kf-roots-')), 'roots.pem');
    writeFileSync(bundle, `${otherCa.cert}${clusterCa.cert}`);
    const saved = process.env.SSL_CERT_FILE;
    process.env.SSL_CERT_FILE = bundle;
    try {
      const net = network();
      assert.equal((await net.for('t').http({ url: server.url, credential: { token: TOKEN } })).status, 200);
      assert.deepEqual(server.authorizations, [`Bearer ${TOKEN}`]);
      await net.close();
    } finally {
      if (saved === undefined) delete process.env.SSL_CERT_FILE;
      else process.env.SSL_CERT_FILE = saved;
    }
  });

  it("the name checked is the source's server name (tls-server-name), sent as SNI", async () => {
    reset();
    const net = network();
    const h = net.for('t');
    const named: CredentialSecret = {
      token: TOKEN,
      ca: clusterCa.cert,
      trust: { tls: 'verify', serverHost: HOST, serverName: 'kubernetes.default.svc' },
    };
    assert.equal((await h.http({ url: server.url, credential: named })).status, 200);
    assert.ok(server.servernames.includes('kubernetes.default.svc'), server.servernames.join(', '));
    await untrusted(
      h.http({
        url: server.url,
        credential: { ...named, trust: { tls: 'verify', serverHost: HOST, serverName: 'api.example.test' } },
      }),
      /x509: certificate is valid for kubernetes\.default\.svc, 127\.0\.5\.2, not api\.example\.test/,
    );
    assert.deepEqual(server.authorizations, [`Bearer ${TOKEN}`], 'only the request to the matching name');
    // Another server (a kubelet, say) is checked for the address it was reached by, not the API server's name.
    const elsewhere: CredentialSecret = {
      ...named,
      trust: { tls: 'verify', serverHost: '127.0.5.3', serverName: 'api.example.test' },
    };
    assert.equal((await h.http({ url: server.url, credential: elsewhere })).status, 200);
    await net.close();
  });

  it('insecure-skip-tls-verify and a bare token without a CA are sent unverified, as their source says', async () => {
    reset();
    const net = network();
    const h = net.for('t');
    const skip = { token: TOKEN, trust: { tls: 'insecure-skip-tls-verify' as const } };
    assert.equal((await h.http({ url: server.url, credential: skip })).status, 200);
    const bare = { token: `${TOKEN}-bare`, ca: otherCa.cert, trust: { tls: 'unverified' as const } };
    assert.equal((await h.http({ url: server.url, credential: bare })).status, 200);
    assert.deepEqual(server.authorizations, [`Bearer ${TOKEN}`, `Bearer ${TOKEN}-bare`]);
    await net.close();
  });

  it('without a credential any certificate is accepted and summarised', async () => {
    reset();
    const net = network();
    const res = await net.for('t').http({ url: server.url });
    assert.equal(res.status, 200);
    assert.match(res.cert?.subject ?? '', /CN=kube-apiserver/);
    assert.deepEqual(server.authorizations, ['']);
    await net.close();
  });

  it('a server that does not speak TLS is not a trust failure: the request fails on its own terms', async () => {
    const net = network();
    await assert.rejects(
      net.for('t').http({ url: `https://${HOST}:1/`, credential: { token: TOKEN, ca: clusterCa.cert } }),
      (err: unknown) => err instanceof NetError && err.kind === 'refused',
    );
    await net.close();
  });
});
