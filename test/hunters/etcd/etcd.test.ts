import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { RealEtcd } from '../../../src/lab/etcd.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { selfSignedServing } from '../../../src/lab/pki.js';
import { hasCommand, requireComponent } from '../../helpers/components.js';
import { startHttpServer, startHttpsServer, type TestServer } from '../../helpers/servers.js';
import { assertNoSecrets, assertOnlyReads, type Hunt, huntDiscovered, huntLab } from '../lab-hunt.js';

// Loopback block 127.62.0.0/16 (see test/README.md).

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** What a vulnerable lab's etcd must yield, checked against the keys it really holds. */
async function checkOpenEtcd(lab: Lab, hunt: Hunt): Promise<void> {
  const base = lab.hosts[0].address;
  assert.deepEqual(hunt.result.problems, []);
  assert.deepEqual(
    hunt.keys,
    [
      `KF-ETCD-001 ${base}:${PORTS.etcd}`,
      `KF-ETCD-001 ${base}:${PORTS.etcdPeer}`,
      `KF-ETCD-002 ${base}:${PORTS.etcd}`,
      `KF-ETCD-003 ${base}:${PORTS.etcd}`,
    ],
    'version on both ports; the client API and its keys on the client port only',
  );
  const [version] = hunt.of('KF-ETCD-001');
  assert.equal(version.evidence, 'GET /version → 200: etcdserver 3.4.23, etcdcluster 3.4.0');
  const [open] = hunt.of('KF-ETCD-002');
  assert.equal(open.evidence, 'the client API answers over plain HTTP, no TLS: POST /v3/kv/range → 200: a key range');
  const [readable] = hunt.of('KF-ETCD-003');
  assert.deepEqual(readable.parents, [open.id]);

  const keys = Object.keys((await lab.snapshot()).etcd ?? {});
  const secrets = keys.filter((k) => k.startsWith('/registry/secrets/')).sort();
  assert.ok(secrets.length > 3);
  assert.match(readable.evidence, new RegExp(`^POST /v3/kv/range → 200: ${keys.length} keys \\(`));
  assert.ok(readable.evidence.includes(`; ${secrets.length} under /registry/secrets/ (${secrets[0]}, `));
  assert.match(readable.evidence, /; key names only, no value was read$/);

  const values = Object.values((await lab.snapshot()).etcd ?? {}).filter((v) => v.length >= 16);
  for (const v of values) assert.ok(!readable.evidence.includes(v.slice(0, 16)), 'no value in the evidence');
  assertNoSecrets(lab, hunt.result);

  const versions = hunt.result.events.filter(
    (e): e is KfEvent<'Version'> => e.type === 'Version' && e.component === 'etcd',
  );
  assert.deepEqual(versions.map((v) => [v.port, v.version]).sort(), [
    [PORTS.etcd, '3.4.23'],
    [PORTS.etcdPeer, '3.4.23'],
  ]);
}

describe('etcd hunter, vulnerable lab', () => {
  it('with the real etcd: version, plain-HTTP client API and key names, no values', async (t: TestContext) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const lab = await startLab({ profile: 'vulnerable', base: '127.62.0.2', nodes: 1, etcd: 'real' });
    try {
      assert.equal(lab.etcd, 'real');
      await checkOpenEtcd(lab, await huntLab(lab, { hunters: etcdHunters }));
    } finally {
      await lab.stop();
    }
  });

  it('with the simulated etcd: the same, and only GETs and range reads reach it', async () => {
    const lab = await startLab({ profile: 'vulnerable', base: '127.62.1.2', nodes: 1, etcd: 'simulated' });
    try {
      const hunt = await huntLab(lab, { hunters: etcdHunters });
      await checkOpenEtcd(lab, hunt);
      const etcd = lab.requests.filter((r) => r.component === 'etcd');
      const posts = etcd.filter((r) => r.method === 'POST').map((r) => `${r.port} ${r.path} ${r.status}`);
      assert.deepEqual(
        posts.filter((p) => p.startsWith(`${PORTS.etcd} `)),
        // Every key, the Secrets' keys, and the namespaces' keys (NamespaceSeen): names only; then the
        // Secrets' values, 20 a page, for their service-account tokens (etcd-tokens).
        Array(5).fill('2379 /v3/kv/range 200'),
      );
      assertOnlyReads(hunt);
    } finally {
      await lab.stop();
    }
  });
});

describe('etcd hunter, hardened lab', () => {
  for (const mode of ['real', 'simulated'] as const) {
    it(`leaves ${mode} etcd demanding client certificates alone`, async (t: TestContext) => {
      if (mode === 'real' && !requireComponent(t, 'etcd', 'etcd-server')) return;
      const lab = await startLab({
        profile: 'hardened',
        base: `127.62.${mode === 'real' ? 2 : 3}.2`,
        nodes: 1,
        etcd: mode,
      });
      try {
        const hunt = await huntLab(lab, { hunters: etcdHunters });
        // Nothing but the defence, once per port, from what discovery saw: no request was sent again.
        assert.deepEqual(hunt.findings.map((f) => `${f.kb} ${f.port}`).sort(), [
          'KF-ETCD-201 2379',
          'KF-ETCD-201 2380',
        ]);
        assert.match(
          hunt.findings[0].evidence,
          /without a client certificate was refused: TLS: client certificate required/,
        );
        assert.deepEqual(hunt.result.problems, []);
        const services = hunt.result.events.filter((e) => e.type === 'ServiceFound' && e.kind === 'etcd');
        assert.equal(services.length, 2, 'discovery found etcd on both ports');
        assert.ok(!hunt.result.engine.huntersRun.includes('etcd-access'), 'the hunter did not run');
      } finally {
        await lab.stop();
      }
    });
  }
});

describe('etcd hunter, real etcd with authentication enabled', () => {
  let etcd: RealEtcd | undefined;
  let hunt: Hunt;
  const address = '127.62.4.2';

  before(async () => {
    if (!hasCommand('etcd')) return;
    etcd = new RealEtcd({ binary: 'etcd', address });
    await etcd.start();
    await etcd.gateway.put('/registry/secrets/default/x', 'kept');
    const password = randomBytes(12).toString('hex');
    for (const [path, body] of [
      ['/v3/auth/user/add', { name: 'root', password }],
      ['/v3/auth/role/add', { name: 'root' }],
      ['/v3/auth/user/grant', { user: 'root', role: 'root' }],
      ['/v3/auth/enable', {}],
    ] as const) {
      const r = await etcd.gateway.call('POST', path, body);
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.json)}`);
    }
    hunt = await huntDiscovered([{ host: address, port: PORTS.etcd }], { hunters: etcdHunters });
  });
  after(() => etcd?.stop());

  it('reports the client API as reachable, with its refusal, and no readable keys', (t: TestContext) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    assert.deepEqual(hunt.keys, [`KF-ETCD-001 ${address}:2379`, `KF-ETCD-002 ${address}:2379`]);
    assert.match(
      hunt.of('KF-ETCD-002')[0].evidence,
      /^the client API answers over plain HTTP, no TLS: POST \/v3\/kv\/range → \d{3}: refused: "etcdserver: user name is empty"$/,
    );
  });
});

/** An etcd of an older release, or one that answers oddly, as a tiny server: /version plus what `routes` say. */
function oldEtcd(version: string, routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ etcdserver: version, etcdcluster: version.replace(/\.\d+$/, '.0') }));
      return;
    }
    const route = routes[`${req.method} ${path}`];
    if (route) return route(req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
  };
}

const answer = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(typeof body === 'string' ? body : JSON.stringify(body));
};

const RANGE = {
  header: { cluster_id: '1', member_id: '2', revision: '9', raft_term: '2' },
  kvs: [
    {
      key: b64('/registry/secrets/kube-system/bootstrap-token-abcdef'),
      create_revision: '3',
      mod_revision: '3',
      version: '1',
    },
  ],
  more: true,
  count: '41',
};

describe('etcd hunter, older and odd servers', () => {
  const servers: TestServer[] = [];
  let hunt: Hunt;

  before(async () => {
    servers.push(
      // etcd 3.3: the gateway under /v3beta only.
      await startHttpServer(
        '127.62.5.1',
        oldEtcd('3.3.25', { 'POST /v3beta/kv/range': answer(200, RANGE) }),
        PORTS.etcd,
      ),
      // etcd 2.3: the v2 keys API only.
      await startHttpServer(
        '127.62.5.2',
        oldEtcd('2.3.8', {
          'GET /v2/keys/': answer(200, {
            action: 'get',
            node: {
              dir: true,
              nodes: [
                { key: '/registry', dir: true, modifiedIndex: 4, createdIndex: 4 },
                { key: '/flannel', dir: true, modifiedIndex: 5, createdIndex: 5 },
              ],
            },
          }),
        }),
        PORTS.etcd,
      ),
      // etcd 3.4 over TLS that asks for no client certificate.
      await startHttpsServer(
        '127.62.5.4',
        oldEtcd('3.4.23', { 'POST /v3/kv/range': answer(200, RANGE) }),
        await selfSignedServing('etcd', ['etcd'], ['127.62.5.4']),
        PORTS.etcd,
      ),
      // An etcd whose gateway answers a page that is not a range answer.
      await startHttpServer(
        '127.62.5.3',
        oldEtcd('3.4.23', { 'POST /v3/kv/range': answer(200, '<html>maintenance</html>') }),
        PORTS.etcd,
      ),
    );
    hunt = await huntDiscovered(servers, { hunters: etcdHunters });
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  const at = (i: number, kb: string) => hunt.findings.find((f) => f.host === servers[i].host && f.kb === kb);

  it('falls back to /v3beta on etcd 3.3, counting keys without reading values', () => {
    const f = at(0, 'KF-ETCD-003');
    assert.equal(f?.path, '/v3beta/kv/range');
    assert.equal(
      f?.evidence,
      'POST /v3beta/kv/range → 200: 41 keys (/registry/secrets/kube-system/bootstrap-token-abcdef, …); 41 under /registry/secrets/ (/registry/secrets/kube-system/bootstrap-token-abcdef, …); key names only, no value was read',
    );
  });

  it('falls back to the v2 API on etcd 2', () => {
    const f = at(1, 'KF-ETCD-003');
    assert.equal(f?.path, '/v2/keys/');
    assert.equal(f?.evidence, 'GET /v2/keys/ → 200: 2 keys (/registry, /flannel); key names only, no value was read');
    assert.ok(at(1, 'KF-ETCD-002'));
  });

  it('tells TLS without client certificates from plain HTTP', () => {
    assert.equal(
      at(2, 'KF-ETCD-002')?.evidence,
      'the client API answers over TLS without asking for a client certificate: POST /v3/kv/range → 200: a key range',
    );
    assert.ok(at(2, 'KF-ETCD-003'));
  });

  it('reports only the version when the gateway answers something that is not etcd', () => {
    assert.ok(at(3, 'KF-ETCD-001'));
    assert.equal(at(3, 'KF-ETCD-002'), undefined);
    assert.equal(at(3, 'KF-ETCD-003'), undefined);
    assert.deepEqual(hunt.result.problems, []);
  });
});
