import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startComponent } from '../discovery/fakes.js';
import { type CliRun, runKubeferret } from '../helpers/cli.js';
import { hasCommand } from '../helpers/components.js';
import { startDnsServer } from '../helpers/dns.js';
import { startTcpServer, type TestServer } from '../helpers/servers.js';

// Block 127.23.0.0/16. The real executable, run as a user runs it (servers answer while it runs).

const kubeferret = (args: string[], env: NodeJS.ProcessEnv = {}) => runKubeferret(args, env);

/** Runs under a pseudo-terminal (util-linux `script`), so stderr is a TTY as in an interactive shell. */
function kubeferretOnTty(args: string[]): Promise<CliRun> {
  const command = [process.execPath, 'bin/kubeferret.js', ...args].map((a) => `'${a}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qefc', `${command} >/dev/null`, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => resolve({ code, stdout: out, stderr: '' }));
  });
}

function assertUsage(r: CliRun, message: RegExp) {
  assert.equal(r.code, 2, `exit 2: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('kubeferret discover', () => {
  const servers: TestServer[] = [];
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kf-cli-disc-'));
    servers.push(await startComponent('etcd', '127.23.0.2'));
    servers.push(await startComponent('plainWeb', '127.23.0.3', { port: servers[0].port }));
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the services found as a table', async () => {
    const port = String(servers[0].port);
    const r = await kubeferret(['discover', '127.23.0.1-127.23.0.4', '--ports', `${port},9`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^ADDRESS\s+KIND\s+SCHEME\s+VERSION\s+EVIDENCE$/);
    assert.match(
      lines[1],
      new RegExp(`^127\\.23\\.0\\.2:${port}\\s+etcd\\s+http\\s+3\\.4\\.30\\s+GET /version → 200: etcd version JSON`),
    );
    assert.match(lines[2], new RegExp(`^127\\.23\\.0\\.3:${port}\\s+unknown\\s+http\\s+-\\s+GET / → 200`));
    assert.match(lines[3], /^2 services, 8 connects, [\d.]+ s$/);
    assert.equal(r.stderr, '', 'no progress bar and no warnings when stderr is not a terminal');
  });

  it('names a port it could not identify in time, and counts it in the summary', async () => {
    const silent = await startTcpServer('127.23.0.9', () => undefined);
    servers.push(silent);
    const r = await kubeferret(['discover', `127.23.0.9:${silent.port}`, '--hunter-timeout', '0.5']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `\\nnot fully examined: 127\\.23\\.0\\.9:${silent.port} port ${silent.port} \\(deadline, fingerprint\\): timed out after 500 ms\\n`,
      ),
    );
    assert.match(r.stdout, /\n0 services, \d+ connects, [\d.]+ s, 1 not fully examined\n$/);
  });

  it('prints JSON with --format json', async () => {
    const r = await kubeferret(['discover', `127.23.0.2:${servers[0].port}`, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const services = JSON.parse(r.stdout);
    assert.deepEqual(
      services.map((s: { host: string; kind: string; version: string }) => [s.host, s.kind, s.version]),
      [['127.23.0.2', 'etcd', '3.4.30']],
    );
    assert.ok(Array.isArray(services[0].evidence));
  });

  it('resolves a named target through --dns-server, and says in one line what it cannot resolve', async () => {
    const dns = await startDnsServer('127.23.9.53', { 'etcd.lab.test': ['127.23.0.2'] });
    try {
      const r = await kubeferret([
        'discover',
        `etcd.lab.test:${servers[0].port}`,
        'missing.lab.test',
        '--ports',
        '9',
        '--dns-server',
        dns.server,
        '--format',
        'json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        JSON.parse(r.stdout).map((s: { host: string; kind: string }) => [s.host, s.kind]),
        [['127.23.0.2', 'etcd']],
      );
      assert.match(
        r.stderr,
        /target missing\.lab\.test: missing\.lab\.test does not resolve \(ENOTFOUND at 127\.23\.9\.53:\d+\)/,
      );
      assert.ok(dns.asked.includes('A etcd.lab.test'), dns.asked.join(', '));
    } finally {
      await dns.close();
    }
  });

  it('shows a progress bar on a terminal, and none with --quiet', async (t) => {
    if (!hasCommand('script')) return t.skip('script (util-linux) is not installed');
    const args = ['discover', '127.23.1.0/28', '--ports', '9'];
    const tty = await kubeferretOnTty(args);
    assert.equal(tty.code, 0, tty.stdout);
    assert.match(tty.stdout, /scan .*16\/16 hosts \| \d+ conn\/s \| 0 services/);
    const quiet = await kubeferretOnTty([...args, '--quiet']);
    assert.doesNotMatch(quiet.stdout, /hosts/);
  });

  it('refuses bad vantage input with one line and exit 2', async () => {
    const kc = (name: string, user: string) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://127.23.0.9:6443"}\ncontexts:\n- name: dev\n  context: {cluster: c, user: u}\ncurrent-context: dev\nusers:\n- name: u\n  user:\n${user}`,
      );
      return path;
    };
    const exec = kc(
      'exec',
      '    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubeferret-test-no-such-plugin\n      installHint: "Install it\\nwith care"\n',
    );
    const authProvider = kc('auth-provider', '    auth-provider: {name: gcp}\n');
    const token = kc('token', '    token: abc\n');
    assertUsage(
      await kubeferret(['discover', '--kubeconfig', join(dir, 'missing')]),
      /cannot read kubeconfig .*missing: no such file/,
    );
    assertUsage(
      await kubeferret(['discover', '--kubeconfig', exec]),
      /context "dev": exec plugin: executable kubeferret-test-no-such-plugin not found: Install it$/m,
    );
    assertUsage(
      await kubeferret(['discover', '--kubeconfig', authProvider]),
      /context "dev": its user authenticates through the auth-provider plugin "gcp", which kubeferret does not run/,
    );
    assertUsage(
      await kubeferret(['discover', '--kubeconfig', token, '--context', 'prod']),
      /has no context "prod" \(it has: dev\)/,
    );
    assertUsage(
      await kubeferret(['discover', '--context', 'dev', '127.23.0.2']),
      /--context names a context of --kubeconfig/,
    );
    assertUsage(
      await kubeferret(['discover', '--pod', '--pod-dir', join(dir, 'nothing-here')]),
      /--pod: cannot read the service-account token .*nothing-here\/token \(no such file\)/,
    );
    const podDir = join(dir, 'sa');
    mkdirSync(podDir);
    writeFileSync(join(podDir, 'token'), 'abc');
    assertUsage(
      await kubeferret(['discover', '--pod', '--pod-dir', podDir], { KUBERNETES_SERVICE_HOST: '' }),
      /--pod: KUBERNETES_SERVICE_HOST is not set/,
    );
    assertUsage(
      await kubeferret(['discover', '--pod', '--pod-dir', podDir], {
        KUBERNETES_SERVICE_HOST: '127.23.0.9',
        KUBERNETES_SERVICE_PORT: 'https',
      }),
      /KUBERNETES_SERVICE_PORT is "https", not a port/,
    );
    assertUsage(
      await kubeferret(['discover', '127.23.0.2', '--discover-nodes']),
      /--discover-nodes .* give an identity/,
    );
    assertUsage(await kubeferret(['discover', '127.23.0.2', '--format', 'xml']), /--format takes table or json/);
  });

  it('never prints a credential, even with --debug', async () => {
    const tokenFile = join(dir, 'token.txt');
    const secret = 'kf-secret-token-never-printed-7c1e';
    writeFileSync(tokenFile, `${secret}\n`);
    const r = await kubeferret(['--debug', 'discover', `127.23.0.2:${servers[0].port}`, '--token-file', tokenFile]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(secret));
  });
});
