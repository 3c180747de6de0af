import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EVIDENCE } from '../../src/discovery/fingerprint/classify.js';
import { makeCert } from '../helpers/certs.js';
import { requireComponent } from '../helpers/components.js';
import type { TestServer } from '../helpers/servers.js';
import { startComponent } from './fakes.js';
import { discoverTargets, serviceAt } from './run.js';

// Block 127.21.2.0/24: the real etcd and the real kubectl proxy, fingerprinted as a user would meet them.

const children: ChildProcess[] = [];
const dirs: string[] = [];
const servers: TestServer[] = [];

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kf-disc-'));
  dirs.push(d);
  return d;
}

async function waitForPort(host: string, port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${host}:${port} did not open in 30 s: ${log()}`);
}

function run(cmd: string, args: string[]): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  child.stderr?.on('data', (d) => {
    out = (out + d).slice(-4000);
  });
  return { child, log: () => out };
}

async function startEtcd(host: string, tls?: { cert: string; key: string; ca: string }) {
  const dir = tempDir();
  const scheme = tls ? 'https' : 'http';
  const args = [
    '--name',
    'kf',
    '--data-dir',
    join(dir, 'data'),
    '--listen-client-urls',
    `${scheme}://${host}:2379`,
    '--advertise-client-urls',
    `${scheme}://${host}:2379`,
    '--listen-peer-urls',
    `http://${host}:2380`,
    '--initial-advertise-peer-urls',
    `http://${host}:2380`,
    '--initial-cluster',
    `kf=http://${host}:2380`,
  ];
  if (tls) {
    for (const [name, text] of Object.entries(tls)) writeFileSync(join(dir, `${name}.pem`), text);
    args.push('--cert-file', join(dir, 'cert.pem'), '--key-file', join(dir, 'key.pem'));
    args.push('--client-cert-auth', '--trusted-ca-file', join(dir, 'ca.pem'));
  }
  const { child, log } = run('etcd', args);
  await waitForPort(host, 2379, child, log);
}

describe('real components', () => {
  it('recognises the real etcd by its /version, and its peer port', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    await startEtcd('127.21.2.2');
    const result = await discoverTargets(['127.21.2.2'], { ports: [2379, 2380] });
    const client = serviceAt(result, '127.21.2.2', 2379);
    assert.equal(client.kind, 'etcd', client.evidence.join(' | '));
    assert.match(client.version ?? '', /^3\.\d+\.\d+$/);
    assert.match(client.evidence[0], /etcd version JSON \(etcdserver 3\./);
    assert.equal(serviceAt(result, '127.21.2.2', 2380).kind, 'etcd');
  });

  it('reports etcd that demands a client certificate honestly, from its certificate', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const ca = makeCert({ cn: 'etcd-ca' });
    const server = makeCert({ cn: 'etcd-server', ips: ['127.21.2.3'], dns: ['localhost'], issuer: ca });
    await startEtcd('127.21.2.3', { ...server, ca: ca.cert });
    const result = await discoverTargets(['127.21.2.3:2379']);
    const s = serviceAt(result, '127.21.2.3', 2379);
    assert.equal(s.kind, 'etcd', s.evidence.join(' | '));
    assert.equal(s.scheme, 'https');
    assert.equal(s.version, undefined, 'nothing disclosed without a client certificate');
    assert.ok(s.evidence[0].startsWith(EVIDENCE.CLIENT_CERT_REQUIRED), s.evidence[0]);
    assert.match(s.evidence.join(' '), /TLS certificate names etcd/);
    assert.equal(s.cert?.subject, 'CN=etcd-server');
  });

  for (const acceptAll of [false, true]) {
    it(`recognises the real kubectl proxy${acceptAll ? ' with --accept-hosts=.*' : ' with its default Host filter'}`, async (t) => {
      if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
      const api = await startComponent('apiserverInsecure', '127.21.2.4');
      servers.push(api);
      const dir = tempDir();
      const kubeconfig = join(dir, 'config');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "${api.url}"}\nusers:\n- name: u\n  user: {token: "t"}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
      );
      const host = acceptAll ? '127.21.2.6' : '127.21.2.5';
      const args = ['--kubeconfig', kubeconfig, 'proxy', `--address=${host}`, '--port=8001'];
      if (acceptAll) args.push('--accept-hosts=.*');
      const { child, log } = run('kubectl', args);
      await waitForPort(host, 8001, child, log);
      const result = await discoverTargets([host], { ports: [8001] });
      const s = serviceAt(result, host, 8001);
      assert.equal(s.kind, 'kubectl-proxy', s.evidence.join(' | '));
      assert.equal(s.version, 'v1.29.4');
      assert.match(s.evidence[0], acceptAll ? /exec and attach paths/ : /Host header is localhost/);
    });
  }
});
