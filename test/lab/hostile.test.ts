import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { NetError } from '../../src/core/errors.js';
import { HOSTILE_PORTS, HUGE_BODY_BYTES, type Lab, OUTSIDE_PORT, startLab } from '../../src/lab/index.js';
import { Network } from '../../src/net/network.js';
import { Scope } from '../../src/net/scope.js';
import { Trace } from '../../src/net/trace.js';

// Loopback block 127.15.0.0/16 (see test/README.md).

const HOSTILE = '127.15.0.4';

/** Sends `request` and collects what comes back until the peer closes or `waitMs` passes. */
function exchange(port: number, request: string, waitMs: number): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: HOSTILE, port }, () => s.write(request));
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed: false });
    }, waitMs);
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
    s.on('error', reject);
  });
}

describe('hostile hosts', () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab({ base: '127.15.0.2', nodes: 1, hostile: true, etcd: 'off' });
  });
  after(() => lab.stop());

  it('puts the hostile host after the nodes and keeps the outside sink out of the host list', () => {
    const hostile = lab.hosts.at(-1)!;
    assert.equal(hostile.role, 'hostile');
    assert.equal(hostile.address, HOSTILE);
    assert.deepEqual(
      hostile.services.map((s) => s.port).sort((a, b) => a - b),
      Object.values(HOSTILE_PORTS).sort((a, b) => a - b),
    );
    assert.deepEqual(lab.outside, { address: '127.15.0.5', port: OUTSIDE_PORT });
    assert.ok(!lab.hosts.some((h) => h.address === lab.outside?.address));
  });

  it('accepts on one port and never says a word', async () => {
    const r = await exchange(HOSTILE_PORTS.silent, 'GET /pods HTTP/1.1\r\nHost: x\r\n\r\n', 1500);
    assert.equal(r.data.length, 0);
    assert.equal(r.closed, false);
    assert.ok(lab.requests.some((q) => q.host === HOSTILE && q.port === HOSTILE_PORTS.silent && q.method === 'TCP'));
  });

  it('answers garbage bytes that no HTTP client can parse', async () => {
    const r = await exchange(HOSTILE_PORTS.garbage, 'GET /version HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    assert.equal(r.closed, true);
    assert.equal(r.data.length, 4096);
    assert.equal(r.data[0], 0);
    assert.doesNotMatch(r.data.subarray(0, 5).toString('latin1'), /^HTTP\//);
    await assert.rejects(
      new Promise((resolve, reject) => {
        http
          .get({ host: HOSTILE, port: HOSTILE_PORTS.garbage, path: '/version', agent: false }, resolve)
          .on('error', reject);
      }),
      (err: NodeJS.ErrnoException) => String(err.code).startsWith('HPE_'),
    );
  });

  it('streams a 50 MB body', async () => {
    const size = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: HOSTILE, port: HOSTILE_PORTS.huge, path: '/pods', agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.equal(res.headers['content-length'], String(HUGE_BODY_BYTES));
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
          });
          res.on('end', () => resolve(n));
        })
        .on('error', reject);
    });
    assert.equal(size, 50 * 1024 * 1024);
  });

  it('fails every TLS handshake with a fatal alert', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: HOSTILE, port: HOSTILE_PORTS.badTls, rejectUnauthorized: false }, () =>
          resolve(s),
        );
        s.on('error', reject);
      }),
      (err: NodeJS.ErrnoException) => /HANDSHAKE_FAILURE/.test(String(err.code)),
    );
  });

  it('redirects outside the scope, and the outside sink records that nothing arrived', async () => {
    const scope = new Scope();
    scope.addText(HOSTILE);
    const network = new Network({
      scope,
      trace: new Trace(),
      connectTimeoutMs: 2000,
      requestTimeoutMs: 5000,
      maxBodyBytes: 1 << 20,
    });
    try {
      const first = await network.http('test', { url: `http://${HOSTILE}:${HOSTILE_PORTS.redirect}/api/v1/secrets` });
      assert.equal(first.status, 302);
      assert.equal(first.headers.location, `http://127.15.0.5:${OUTSIDE_PORT}/api/v1/secrets`);
      await assert.rejects(
        network.http('test', { url: `http://${HOSTILE}:${HOSTILE_PORTS.redirect}/api/v1/secrets`, followRedirects: 3 }),
        (err: NetError) => err instanceof NetError && err.kind === 'out-of-scope',
      );
    } finally {
      await network.close();
    }
    assert.deepEqual(
      lab.requests.filter((q) => q.host === '127.15.0.5'),
      [],
    );
    // The sink does record what reaches it, so the empty list above means something.
    const direct = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.15.0.5', port: OUTSIDE_PORT, path: '/probe', agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(direct, 200);
    assert.deepEqual(
      lab.requests.filter((q) => q.host === '127.15.0.5').map((q) => [q.component, q.method, q.path]),
      [
        ['outside', 'TCP', ''],
        ['outside', 'GET', '/probe'],
      ],
    );
  });
});
