import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { type Lab, startLab } from '../../src/lab/index.js';
import { requireComponent } from '../helpers/components.js';
import { call, portState } from './call.js';

// Loopback block 127.13.0.0/16 (see test/README.md).

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
/** The range end that makes a range a prefix scan. */
const prefixEnd = (p: string) => b64(p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1));

/** What every etcd in the lab must do, real or simulated, open or behind client certificates. */
async function speaksTheGateway(lab: Lab, url: string, tls: { cert?: string; key?: string; ca?: string } = {}) {
  const version = await call(`${url}/version`, tls);
  assert.equal(version.json.etcdserver.split('.').slice(0, 2).join('.'), '3.4');
  assert.deepEqual((await call(`${url}/health`, tls)).json, { health: 'true' });
  const secrets = await call(`${url}/v3/kv/range`, {
    ...tls,
    method: 'POST',
    body: { key: b64('/registry/secrets/'), range_end: prefixEnd('/registry/secrets/') },
  });
  assert.equal(secrets.status, 200);
  assert.match(secrets.json.header.revision, /^\d+$/);
  const keys = secrets.json.kvs.map((kv: { key: string }) => unb64(kv.key));
  assert.ok(keys.includes('/registry/secrets/default/db-credentials'), keys.join(' '));
  const db = secrets.json.kvs.find(
    (kv: { key: string }) => unb64(kv.key) === '/registry/secrets/default/db-credentials',
  );
  const password = Buffer.from(JSON.parse(unb64(db.value)).data.password, 'base64').toString();
  assert.ok(lab.secretValues().includes(password), 'the secret stored in etcd is one the lab knows');
  assert.equal(secrets.json.count, String(keys.length));

  const put = await call(`${url}/v3/kv/put`, {
    ...tls,
    method: 'POST',
    body: { key: b64('/kubeferret/probe'), value: b64('x') },
  });
  assert.equal(put.status, 200);
  const during = await lab.snapshot();
  assert.equal(during.etcd?.['/kubeferret/probe'], 'x');
  const got = await call(`${url}/v3/kv/range`, { ...tls, method: 'POST', body: { key: b64('/kubeferret/probe') } });
  assert.equal(unb64(got.json.kvs[0].value), 'x');
  const deleted = await call(`${url}/v3/kv/deleterange`, {
    ...tls,
    method: 'POST',
    body: { key: b64('/kubeferret/probe') },
  });
  assert.equal(deleted.json.deleted, '1');
  const again = await call(`${url}/v3/kv/deleterange`, {
    ...tls,
    method: 'POST',
    body: { key: b64('/kubeferret/probe') },
  });
  assert.equal(again.json.deleted, undefined, 'zero values are left out');
  assert.equal((await lab.snapshot()).etcd?.['/kubeferret/probe'], undefined);

  const noKey = await call(`${url}/v3/kv/range`, { ...tls, method: 'POST', body: {} });
  assert.equal(noKey.status, 400);
  assert.deepEqual(noKey.json, {
    error: 'etcdserver: key is not provided',
    message: 'etcdserver: key is not provided',
    code: 3,
  });
  const garbage = await call(`${url}/v3/kv/range`, { ...tls, method: 'POST', body: 'garbage' });
  assert.equal(garbage.status, 400);
  assert.equal(garbage.json.message, "invalid character 'g' looking for beginning of value");
  assert.equal((await call(`${url}/v2/keys`, tls)).status, 404, 'etcd 3.4 serves no v2 API by default');
}

describe('etcd, simulated', () => {
  let open: Lab;
  let locked: Lab;
  before(async () => {
    [open, locked] = await Promise.all([
      startLab({ base: '127.13.0.2', etcd: 'simulated', nodes: 1 }),
      startLab({ base: '127.13.1.2', etcd: 'simulated', nodes: 1, profile: 'hardened' }),
    ]);
  });
  after(() => Promise.all([open.stop(), locked.stop()]));

  it('answers the v3 JSON gateway without authentication in the vulnerable profile', async () => {
    assert.equal(open.etcd, 'simulated');
    await speaksTheGateway(open, 'http://127.13.0.2:2379');
    const logged = open.requests.filter((r) => r.component === 'etcd');
    assert.ok(logged.some((r) => r.method === 'POST' && r.path === '/v3/kv/put' && r.status === 200));
    const members = await call('http://127.13.0.2:2380/members');
    assert.match(members.text, /^\[\{"id":10276657743932975437,"peerURLs":\["http:\/\/127\.13\.0\.2:2380"\]/);
  });

  it('requires a client certificate from the etcd CA in the hardened profile', async () => {
    const url = 'https://127.13.1.2:2379';
    await assert.rejects(call(`${url}/version`), 'no client certificate: the handshake fails');
    const wrongCa = locked.credentials['kubernetes-admin'];
    await assert.rejects(
      call(`${url}/version`, { cert: wrongCa.clientCert, key: wrongCa.clientKey }),
      'a cluster-CA certificate is not an etcd client',
    );
    await speaksTheGateway(locked, url, { ...locked.etcdClientCert, ca: locked.etcdCa });
    assert.equal(locked.requests.filter((r) => r.component === 'etcd').at(-1)?.identity, 'kube-apiserver-etcd-client');
  });

  it('is absent when turned off', async () => {
    const lab = await startLab({ base: '127.13.4.2', etcd: 'off', nodes: 1 });
    try {
      assert.equal(await portState('127.13.4.2', 2379), 'closed');
      assert.ok(!lab.hosts[0].services.some((s) => s.kind === 'etcd'));
      assert.equal((await lab.snapshot()).etcd, null);
    } finally {
      await lab.stop();
    }
  });
});

/** etcd processes (not their watchdog shells) listening on the address, found by command line. */
function etcdProcesses(address: string): number {
  const r = spawnSync('pgrep', ['-af', `listen-client-urls=https?://${address.replace(/\./g, '\\.')}:2379`], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter((line) => /^\d+ \S*etcd /.test(line)).length;
}

async function realLab(t: TestContext, base: string, profile: 'vulnerable' | 'hardened'): Promise<Lab | undefined> {
  if (!requireComponent(t, 'etcd', 'etcd-server')) return undefined;
  return startLab({ base, etcd: 'real', nodes: 1, profile });
}

describe('etcd, the real binary', () => {
  it('starts it, seeds it without authentication, and stops it (vulnerable)', async (t) => {
    const lab = await realLab(t, '127.13.2.2', 'vulnerable');
    if (!lab) return;
    try {
      assert.equal(lab.etcd, 'real');
      assert.equal(etcdProcesses('127.13.2.2'), 1);
      await speaksTheGateway(lab, 'http://127.13.2.2:2379');
      const peer = await call('http://127.13.2.2:2380/version');
      assert.equal(peer.json.etcdcluster, '3.4.0');
    } finally {
      await lab.stop();
    }
    assert.equal(etcdProcesses('127.13.2.2'), 0, 'no etcd outlives the lab');
    assert.equal(await portState('127.13.2.2', 2379), 'closed');
    await lab.stop();
  });

  it('runs it with TLS and required client certificates (hardened)', async (t) => {
    const lab = await realLab(t, '127.13.3.2', 'hardened');
    if (!lab) return;
    try {
      await assert.rejects(call('https://127.13.3.2:2379/health'));
      await speaksTheGateway(lab, 'https://127.13.3.2:2379', { ...lab.etcdClientCert, ca: lab.etcdCa });
    } finally {
      await lab.stop();
    }
    assert.equal(etcdProcesses('127.13.3.2'), 0);
  });

  it('takes etcd and its data directory down when the lab process dies without stopping', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/lab/lab-process.ts', '127.13.6.2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('up') && resolve());
      child.once('exit', () => reject(new Error('the lab process ended before it was up')));
    });
    const found = spawnSync('pgrep', ['-f', 'listen-client-urls=http://127\\.13\\.6\\.2:2379'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const etcd = found
      .map(Number)
      .find((pid) => /(^|\/)etcd$/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]));
    assert.ok(etcd, 'the real etcd runs');
    const dataDir = readFileSync(`/proc/${etcd}/cmdline`, 'utf8')
      .split('\0')
      .find((a) => a.startsWith('--data-dir='))!
      .slice('--data-dir='.length);
    assert.ok(existsSync(dataDir));
    child.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while ((etcdProcesses('127.13.6.2') > 0 || existsSync(dataDir)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(etcdProcesses('127.13.6.2'), 0, 'etcd is gone');
    assert.equal(existsSync(dataDir), false, 'its temporary directory is gone');
  });

  it('reports a busy etcd port in one line', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(2379, '127.13.5.2', r));
    try {
      await assert.rejects(
        startLab({ base: '127.13.5.2', etcd: 'real', nodes: 1 }),
        /^UsageError: 127\.13\.5\.2:2379 is already in use$/,
      );
      assert.equal(etcdProcesses('127.13.5.2'), 0);
      assert.equal(await portState('127.13.5.2', 6443), 'closed', 'everything the lab opened is closed again');
    } finally {
      blocker.close();
    }
  });
});
