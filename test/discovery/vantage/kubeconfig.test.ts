import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { kubeconfigIdentities } from '../../../src/discovery/vantage/kubeconfig.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { makeCert } from '../../helpers/certs.js';
import { type CliRun, runKubeferret, runProcess } from '../../helpers/cli.js';
import { requireComponent } from '../../helpers/components.js';

// Block 127.27.0.0/16. Kubeconfigs read as kubectl reads them, hunted against the lab, and the same files
// given to the real kubectl: where kubectl refuses, no request with the credential reaches the lab.

const BASE = '127.27.0.2';

type Doc = {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: Record<string, unknown> }[];
  'current-context'?: string;
};

let lab: Lab;
let dir: string;
const home = mkdtempSync(join(tmpdir(), 'kf-kubeconfig-home-'));

before(async () => {
  lab = await startLab({ profile: 'default', base: BASE, nodes: 1, etcd: 'off' });
  dir = mkdtempSync(join(tmpdir(), 'kf-kubeconfig-'));
});

after(async () => {
  await lab.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** The lab's kubeconfig for an identity, as a document to change. */
function doc(identity: 'admin' | 'team-a'): Doc {
  return YAML.parse(lab.kubeconfig(identity)) as Doc;
}

function write(name: string, d: Doc | string): string {
  const path = join(dir, name);
  writeFileSync(path, typeof d === 'string' ? d : YAML.stringify(d), { mode: 0o600 });
  return path;
}

/** `kubeferret hunt` of the API server only, JSON report on stdout; no KUBECONFIG unless given. */
function hunt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runKubeferret(['hunt', '--ports', '6443', '--format', 'json', ...args], { KUBECONFIG: '', ...env }, 120_000);
}

/** The real kubectl with a throw-away HOME, so no user configuration is read. */
function kubectl(args: string[], kubeconfig: string): Promise<CliRun> {
  return runProcess('kubectl', args, { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig });
}

function requestsBy(identity: 'admin' | 'team-a', since: number) {
  return lab.requests.slice(since).filter((r) => r.identity === lab.credentials[identity].user);
}

const warnings = (r: CliRun) => r.stderr.split('\n').filter((l) => l.includes('warning'));

describe('TLS trust of a kubeconfig', () => {
  it('a CA that did not sign the server: no request with its credential reaches it, one line names the context', async () => {
    const d = doc('admin');
    d.clusters[0].cluster['certificate-authority-data'] = Buffer.from(makeCert({ cn: 'someone-else' }).cert).toString(
      'base64',
    );
    const file = write('wrong-ca.yaml', d);
    const since = lab.requests.length;
    const r = await hunt(['--kubeconfig', file]);
    assert.deepEqual(requestsBy('admin', since), [], 'the admin token never reached the lab');
    const lines = r.stderr.split('\n').filter((l) => l.includes('x509'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /context "admin@lab": https:\/\/127\.27\.0\.2:6443: x509: certificate signed by unknown authority: the credential was not sent$/,
    );
    const report = JSON.parse(r.stdout);
    assert.ok(!r.stdout.includes(lab.credentials.admin.token!), 'the token is in no report');
    assert.ok(
      (report.access?.identities ?? []).every((i: string) => i !== 'admin@lab'),
      'no access row for an identity that was not hunted',
    );
    // The hunt went on without it: anonymous callers were still asked.
    assert.ok(lab.requests.slice(since).some((q) => q.identity === 'system:anonymous'));
  });

  it('the real kubectl refuses the same file with the same words', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const since = lab.requests.length;
    const r = await kubectl(['get', 'namespaces'], join(dir, 'wrong-ca.yaml'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /x509: certificate signed by unknown authority/);
    assert.deepEqual(requestsBy('admin', since), []);
  });

  it('insecure-skip-tls-verify: true is honoured: the identity is hunted', async () => {
    const d = doc('admin');
    delete d.clusters[0].cluster['certificate-authority-data'];
    d.clusters[0].cluster['insecure-skip-tls-verify'] = true;
    const file = write('insecure.yaml', d);
    const since = lab.requests.length;
    const r = await hunt(['--kubeconfig', file]);
    assert.ok(requestsBy('admin', since).length > 0, r.stderr);
    assert.ok(JSON.parse(r.stdout).access.identities.includes('admin@lab'));
    assert.deepEqual(
      warnings(r).filter((l) => l.includes('x509')),
      [],
    );
  });

  it('tls-server-name is the name checked: a name the certificate has passes, another is refused, as kubectl does', async (t) => {
    const good = doc('admin');
    good.clusters[0].cluster['tls-server-name'] = 'kubernetes.default.svc';
    const bad = doc('admin');
    bad.clusters[0].cluster['tls-server-name'] = 'api.elsewhere.test';
    const badFile = write('bad-name.yaml', bad);
    let since = lab.requests.length;
    await hunt(['--kubeconfig', write('good-name.yaml', good)]);
    assert.ok(requestsBy('admin', since).length > 0);
    since = lab.requests.length;
    const r = await hunt(['--kubeconfig', badFile]);
    assert.deepEqual(requestsBy('admin', since), []);
    assert.match(
      r.stderr,
      /context "admin@lab": .*x509: certificate is valid for .*kubernetes\.default\.svc.*, not api\.elsewhere\.test/,
    );
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const k = await kubectl(['get', 'namespaces'], badFile);
    assert.match(k.stderr, /x509: certificate is valid for .*, not api\.elsewhere\.test/);
  });
});

describe('namespace and KUBECONFIG, as kubectl reads them', () => {
  /** Two files: the first sets the context (namespace team-a) and current-context, the second the user. */
  function twoFiles(): [string, string] {
    const d = doc('team-a');
    const sub = join(dir, 'second');
    mkdirSync(sub, { recursive: true });
    const user = d.users[0].user;
    writeFileSync(join(sub, 'alice.crt'), Buffer.from(String(user['client-certificate-data']), 'base64'));
    writeFileSync(join(sub, 'alice.key'), Buffer.from(String(user['client-key-data']), 'base64'), { mode: 0o600 });
    const first = write('first.yaml', { ...d, users: [] });
    const second = join(sub, 'config');
    writeFileSync(
      second,
      YAML.stringify({
        // Every name here is set by the first file already, except the user: those entries are ignored whole.
        clusters: [{ name: 'lab', cluster: { server: 'https://127.27.0.99:6443', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'team-a', user: { 'client-certificate': 'alice.crt', 'client-key': 'alice.key' } }],
        contexts: [{ name: 'team-a@lab', context: { cluster: 'lab', user: 'team-a', namespace: 'default' } }],
        'current-context': 'elsewhere',
      }),
    );
    return [first, second];
  }

  it('KUBECONFIG with two files is merged by kubectl rules and hunted in the context namespace', async () => {
    const [first, second] = twoFiles();
    const since = lab.requests.length;
    const r = await hunt([], { KUBECONFIG: `${first}:${second}` });
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.scan.identities, [{ name: 'team-a@lab', source: 'kubeconfig' }]);
    const asked = requestsBy('team-a', since).map((q) => q.path);
    assert.ok(
      asked.some((p) => p.startsWith('/api/v1/namespaces/team-a/secrets')),
      asked.join(', '),
    );
    const rules = report.findings.find(
      (f: { kb: string; identity?: string }) => f.kb === 'KF-API-006' && f.identity === 'team-a@lab',
    );
    assert.equal(rules?.evidence, 'team-a@lab in namespace team-a: get,list pods, secrets');
    assert.ok(
      !JSON.stringify(report.scan.scope).includes('127.27.0.99'),
      "the second file's cluster lost to the first",
    );
  });

  it('kubectl reads the same two files the same way', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    const [first, second] = twoFiles();
    const list = `${first}:${second}`;
    assert.equal((await kubectl(['config', 'current-context'], list)).stdout.trim(), 'team-a@lab');
    const k = await kubectl(['get', 'secrets', '-o', 'name'], list);
    assert.equal(k.code, 0, k.stderr);
    assert.match(k.stdout, /^secret\/app-api-key$/m);
  });

  it('a KUBECONFIG left set never adds its identity to a scan of named targets, unless --context asks', async () => {
    const [first, second] = twoFiles();
    const r = await hunt([BASE], { KUBECONFIG: `${first}:${second}` });
    assert.deepEqual(JSON.parse(r.stdout).scan.identities, []);
    const withContext = await hunt([BASE, '--context', 'team-a@lab'], { KUBECONFIG: `${first}:${second}` });
    assert.deepEqual(JSON.parse(withContext.stdout).scan.identities, [{ name: 'team-a@lab', source: 'kubeconfig' }]);
  });
});

describe('exec credential plugins', () => {
  let plugin: string;
  let calls: string;
  let info: string;

  before(() => {
    calls = join(dir, 'plugin-calls');
    info = join(dir, 'plugin-info.json');
    writeFileSync(join(dir, 'plugin-token'), lab.credentials.admin.token!, { mode: 0o600 });
    // The plugin the test writes: logs its call, keeps what kubectl told it, prints an ExecCredential.
    plugin = join(dir, 'bin', 'lab-login');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(
      plugin,
      `#!/bin/sh
echo "$* $LAB_REGION" >> "${calls}"
printf '%s' "$KUBERNETES_EXEC_INFO" > "${info}"
if [ "$1" = fail ]; then echo "lab-login: token service unreachable" >&2; exit 3; fi
if [ "$1" = garbage ]; then echo "<html>login page</html>"; exit 0; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}' "$(cat "${dir}/plugin-token")"
`,
    );
    chmodSync(plugin, 0o755);
  });

  function execKubeconfig(name: string, args: string[], extra: Record<string, unknown> = {}): string {
    const d = doc('admin');
    d.users = [
      {
        name: 'sso',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            // Relative with a separator: against the kubeconfig's directory, whatever the working directory.
            command: './bin/lab-login',
            args,
            env: [{ name: 'LAB_REGION', value: 'eu-lab-1' }],
            interactiveMode: 'Never',
            provideClusterInfo: true,
            ...extra,
          },
        },
      },
    ];
    d.contexts = [
      { name: 'one', context: { cluster: 'lab', user: 'sso' } },
      { name: 'two', context: { cluster: 'lab', user: 'sso', namespace: 'dev' } },
    ];
    d['current-context'] = 'one';
    return write(name, d);
  }

  it('runs as kubectl runs it, once for two contexts, and its token hunts the lab without showing up', async () => {
    writeFileSync(calls, '');
    const file = execKubeconfig('exec.yaml', ['get-token', '--cluster', 'lab']);
    const since = lab.requests.length;
    const r = await hunt(['--kubeconfig', file, '--context', 'one', '--context', 'two']);
    assert.equal(readFileSync(calls, 'utf8'), 'get-token --cluster lab eu-lab-1\n', 'one run, args and env as written');
    const execInfo = JSON.parse(readFileSync(info, 'utf8'));
    assert.equal(execInfo.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(execInfo.spec.interactive, false);
    assert.equal(execInfo.spec.cluster.server, `https://${BASE}:6443`);
    assert.equal(Buffer.from(execInfo.spec.cluster['certificate-authority-data'], 'base64').toString(), lab.ca);
    assert.ok(requestsBy('admin', since).length > 0, r.stderr);
    const report = JSON.parse(r.stdout);
    // Two contexts of one user are one identity, as the server says (SelfSubjectReview): listed once.
    // (Tokens anonymous callers read in `dev` are hunted too, as found identities of their own.)
    assert.deepEqual(
      report.scan.identities
        .filter((i: { name: string }) => !i.name.startsWith('found:'))
        .map((i: { name: string; also?: string[] }) => [i.name, i.also]),
      [['one', ['two (kubeconfig)']]],
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(lab.credentials.admin.token!), 'the plugin output is a secret');
  });

  it('kubectl runs the same plugin from the same file', async (t) => {
    if (!requireComponent(t, 'kubectl', 'kubernetes-client')) return;
    writeFileSync(calls, '');
    const k = await kubectl(['get', 'namespace', 'team-a', '-o', 'name'], join(dir, 'exec.yaml'));
    assert.equal(k.code, 0, k.stderr);
    assert.equal(k.stdout.trim(), 'namespace/team-a');
    assert.equal(readFileSync(calls, 'utf8'), 'get-token --cluster lab eu-lab-1\n');
  });

  for (const [what, args, extra, message] of [
    ['fails', ['fail'], {}, /exec plugin .*lab-login failed with exit code 3: lab-login: token service unreachable$/],
    ['prints garbage', ['garbage'], {}, /did not print an ExecCredential \(its output is not JSON\)$/],
    [
      'is v1 without interactiveMode',
      [],
      { interactiveMode: undefined },
      /interactiveMode must be specified to use an exec plugin of API version v1$/,
    ],
    [
      'must ask the user, with no terminal',
      [],
      { interactiveMode: 'Always' },
      /exec plugin cannot support interactive mode: standard input is not a terminal$/,
    ],
  ] as const) {
    it(`a plugin that ${what}: exit 2 and one line naming the context, nothing sent`, async () => {
      const file = execKubeconfig(`exec-${args[0] ?? 'mode'}-${what.length}.yaml`, [...args], { ...extra });
      const since = lab.requests.length;
      const r = await hunt(['--kubeconfig', file]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr.trim(), /^kubeferret: context "one": /);
      assert.match(r.stderr.trim(), message);
      assert.equal(r.stdout, '', 'no half-written report');
      assert.deepEqual(lab.requests.slice(since), [], 'nothing was sent anywhere');
    });
  }
});

describe('each user form kubectl accepts', () => {
  it('tokenFile, client certificate and key files relative to the kubeconfig, basic auth', async () => {
    const sub = join(dir, 'forms');
    mkdirSync(sub, { recursive: true });
    const client = makeCert({ cn: 'forms', client: true, issuer: makeCert({ cn: 'ca' }) });
    writeFileSync(join(sub, 'tok'), 'file-token-0123456789\n');
    writeFileSync(join(sub, 'c.crt'), client.cert);
    writeFileSync(join(sub, 'c.key'), client.key);
    const file = join(sub, 'config');
    writeFileSync(
      file,
      YAML.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.27.5.5:6443', 'certificate-authority': 'c.crt' } }],
        users: [
          { name: 'tf', user: { tokenFile: 'tok', token: 'inline-token-loses' } },
          { name: 'cert', user: { 'client-certificate': 'c.crt', 'client-key': 'c.key' } },
          { name: 'basic', user: { username: 'jane', password: 'pa55word-123' } },
        ],
        contexts: ['tf', 'cert', 'basic'].map((u) => ({ name: u, context: { cluster: 'c', user: u } })),
      }),
    );
    const [tf, cert, basic] = await kubeconfigIdentities([file], ['tf', 'cert', 'basic']);
    assert.equal(tf.secret().token, 'file-token-0123456789', 'tokenFile wins over token, as in client-go');
    assert.equal(tf.secret().ca, client.cert, 'certificate-authority relative to the file');
    assert.deepEqual(tf.secret().trust, { tls: 'verify', serverHost: '127.27.5.5' });
    assert.equal(cert.secret().clientKey, client.key);
    assert.equal(basic.secret().password, 'pa55word-123');
  });

  for (const [what, cluster, user, message] of [
    [
      'proxy-url',
      { 'proxy-url': 'http://127.27.5.6:3128' },
      { token: 't' },
      /context "x": cluster "c" is reached through proxy-url http:\/\/127\.27\.5\.6:3128, which kubeferret does not support/,
    ],
    [
      'insecure-skip-tls-verify with a CA',
      { 'insecure-skip-tls-verify': true, 'certificate-authority-data': 'Zm9v' },
      { token: 't' },
      /specifying a root certificates file with the insecure flag is not allowed/,
    ],
    ['an auth-provider', {}, { 'auth-provider': { name: 'oidc' } }, /auth-provider plugin "oidc"/],
    [
      'a server URL with a path',
      { server: 'https://127.27.5.5/k8s/clusters/c-1' },
      { token: 't' },
      /its API server https:\/\/127\.27\.5\.5\/k8s\/clusters\/c-1 has a path \(\/k8s\/clusters\/c-1\), which kubeferret does not support/,
    ],
    ['impersonation', {}, { token: 't', as: 'admin' }, /impersonates another/],
    ['no credential at all', {}, {}, /has no token, client certificate, password or exec plugin/],
  ] as const) {
    it(`refuses ${what} with one line`, async () => {
      const file = write(
        `form-${what.replace(/\W+/g, '-')}.yaml`,
        YAML.stringify({
          clusters: [{ name: 'c', cluster: { server: 'https://127.27.5.5:6443', ...cluster } }],
          users: [{ name: 'u', user }],
          contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'x',
        }),
      );
      await assert.rejects(kubeconfigIdentities([file], []), (err: Error) => {
        assert.equal(err.name, 'UsageError');
        assert.match(err.message, message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }
});
