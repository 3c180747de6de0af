import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { configFromFlags, type HuntFlags } from '../../src/cli/hunt.js';
import { discoveryHunters } from '../../src/discovery/hunters.js';
import { vantageOf } from '../../src/discovery/vantage/identity.js';
import { tokenSubject } from '../../src/discovery/vantage/jwt.js';
import { buildReport } from '../../src/report/model.js';
import { runHunt } from '../../src/run/hunt.js';
import { makeCert, type Pem } from '../helpers/certs.js';
import { startDnsServer } from '../helpers/dns.js';
import type { TestServer } from '../helpers/servers.js';
import { type Handler, K8S_VERSION, serve, startComponent } from './fakes.js';
import { eventsOf, serviceAt } from './run.js';

// Block 127.22.0.0/16. An API server that answers /api/v1/nodes to a known token or client certificate.

const TOKEN = 'kf-test-token-3f9a1c';
const NODE_IN_SCOPE = '127.22.5.2';
const NODE_OUT_OF_SCOPE = '127.22.9.9';

function jwt(claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256', kid: 'x' })}.${part(claims)}.c2lnbmF0dXJl`;
}

const POD_TOKEN = jwt({
  aud: ['https://kubernetes.default.svc.cluster.local'],
  iss: 'https://kubernetes.default.svc.cluster.local',
  'kubernetes.io': {
    namespace: 'payments',
    pod: { name: 'web-0', uid: '0b7b2f0e' },
    serviceaccount: { name: 'web', uid: '5c2f3a1d' },
  },
  sub: 'system:serviceaccount:payments:web',
});

interface ApiServer extends TestServer {
  requests: string[];
}

async function startApiServer(host: string, tls: Pem, clientCa: string): Promise<ApiServer> {
  const requests: string[] = [];
  const handler: Handler = (req, res) => {
    const socket = req.socket as TLSSocket;
    const bearer = req.headers.authorization;
    const who =
      bearer === `Bearer ${TOKEN}` || bearer === `Bearer ${POD_TOKEN}`
        ? 'token'
        : socket.authorized && socket.getPeerCertificate()?.subject?.CN === 'admin'
          ? 'cert'
          : 'anonymous';
    requests.push(`${who} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/version') return res.end(JSON.stringify(K8S_VERSION));
    if (req.url === '/api/v1/nodes?limit=500' && who !== 'anonymous') return res.end(JSON.stringify(NODE_LIST));
    res.statusCode = 401;
    res.end(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}',
    );
  };
  const server = await serve(handler, host, { tls: { ...tls, ca: clientCa, requestCert: true } });
  return { ...server, requests };
}

const NODE_LIST = {
  kind: 'NodeList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: [
    {
      metadata: { name: 'node-1' },
      status: {
        addresses: [
          { type: 'InternalIP', address: NODE_IN_SCOPE },
          { type: 'ExternalIP', address: NODE_OUT_OF_SCOPE },
          { type: 'Hostname', address: 'node-1' },
        ],
      },
    },
  ],
};

describe('vantage points', () => {
  let dir: string;
  let api: ApiServer;
  let nodeIn: TestServer;
  let nodeOut: TestServer;
  let client: Pem;
  let ca: Pem;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kf-vantage-'));
    ca = makeCert({ cn: 'kubernetes-ca' });
    const serving = makeCert({
      cn: 'kube-apiserver',
      dns: ['kubernetes.default.svc'],
      ips: ['127.22.0.2'],
      issuer: ca,
    });
    client = makeCert({ cn: 'admin', issuer: ca, client: true });
    api = await startApiServer('127.22.0.2', serving, ca.cert);
    nodeIn = await startComponent('etcd', NODE_IN_SCOPE);
    nodeOut = await startComponent('etcd', NODE_OUT_OF_SCOPE, { port: nodeIn.port });
  });

  after(async () => {
    await Promise.all([api, nodeIn, nodeOut].map((s) => s?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function hunt(flags: HuntFlags, positional: string[] = []) {
    const config = await configFromFlags(positional, {
      ports: [nodeIn.port],
      requestTimeout: 4000,
      scope: ['127.22.5.0/24'],
      ...flags,
    });
    const warnings: string[] = [];
    const result = await runHunt(config, discoveryHunters, { onProblem: (l) => warnings.push(l) });
    return { result, warnings, config };
  }

  function writeKubeconfig(name: string, users: string): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: ${api.url}
    certificate-authority-data: ${Buffer.from(ca.cert).toString('base64')}
contexts:
- name: dev
  context: {cluster: lab, user: dev}
- name: admin
  context: {cluster: lab, user: admin}
current-context: dev
users:
${users}`,
    );
    return path;
  }

  it('reads the service account from the token claims without verifying them', () => {
    assert.deepEqual(tokenSubject(POD_TOKEN), { namespace: 'payments', serviceAccount: 'web' });
    assert.deepEqual(tokenSubject(jwt({ sub: 'system:serviceaccount:ns1:legacy' })), {
      namespace: 'ns1',
      serviceAccount: 'legacy',
    });
    assert.deepEqual(tokenSubject('not-a-jwt'), {});
    // Claims nested 100,000 deep (a token found on a target) are refused before parsing, not walked.
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    assert.deepEqual(tokenSubject(`e30.${Buffer.from(deep).toString('base64url')}.c2ln`), {});
  });

  it('--pod: the API server from the environment joins the scope and gets a Credential', async () => {
    const podDir = join(dir, 'sa');
    mkdirSync(podDir);
    writeFileSync(join(podDir, 'token'), `${POD_TOKEN}\n`);
    writeFileSync(join(podDir, 'namespace'), 'payments');
    writeFileSync(join(podDir, 'ca.crt'), ca.cert);
    const saved = { ...process.env };
    process.env.KUBERNETES_SERVICE_HOST = '127.22.0.2';
    process.env.KUBERNETES_SERVICE_PORT = String(api.port);
    try {
      const { result } = await hunt({ pod: true, podDir, discoverNodes: true });
      const [cred] = eventsOf(result, 'Credential');
      assert.equal(cred.name, 'pod:payments/web');
      assert.equal(cred.source, 'pod');
      assert.deepEqual(cred.apiServer, { host: '127.22.0.2', port: api.port, scheme: 'https' });
      assert.equal(cred.secret.token, POD_TOKEN);
      assert.equal(cred.secret.ca, ca.cert);
      assert.ok(result.scope.includes('127.22.0.2'), result.scope.join(', '));
      assert.equal(serviceAt(result, '127.22.0.2', api.port).kind, 'apiserver');
      assert.ok(api.requests.includes('token /api/v1/nodes?limit=500'), api.requests.join(', '));
    } finally {
      process.env = saved;
    }
  });

  it('--kubeconfig with a token and with a client certificate: one Credential per context', async () => {
    const certPath = join(dir, 'admin.crt');
    writeFileSync(certPath, client.cert);
    const kubeconfig = writeKubeconfig(
      'config',
      `- name: dev
  user: {token: ${TOKEN}}
- name: admin
  user:
    client-certificate: admin.crt
    client-key-data: ${Buffer.from(client.key).toString('base64')}
`,
    );
    api.requests.length = 0;
    const { result } = await hunt({ kubeconfig, context: ['dev', 'admin'], discoverNodes: true });
    const creds = eventsOf(result, 'Credential');
    assert.deepEqual(
      creds.map((c) => [c.name, c.source]),
      [
        ['dev', 'kubeconfig'],
        ['admin', 'kubeconfig'],
      ],
    );
    assert.equal(creds[0].secret.token, TOKEN);
    assert.equal(creds[1].secret.clientCert, client.cert, 'the certificate file is read relative to the kubeconfig');
    assert.equal(creds[1].secret.clientKey, client.key);
    assert.ok(api.requests.includes('token /api/v1/nodes?limit=500'), api.requests.join(', '));
    assert.ok(api.requests.includes('cert /api/v1/nodes?limit=500'), api.requests.join(', '));
  });

  it('--kubeconfig reads a tokenFile relative to the kubeconfig, and keeps secrets out of serialised config', async () => {
    writeFileSync(join(dir, 'dev.token'), `${TOKEN}\n`);
    const kubeconfig = writeKubeconfig('config-token-file', '- name: dev\n  user: {tokenFile: dev.token}\n');
    const config = await configFromFlags([], { kubeconfig });
    const [identity] = vantageOf(config.extra).identities;
    assert.equal(identity.name, 'dev');
    assert.equal(identity.secret().token, TOKEN);
    assert.ok(!JSON.stringify(config).includes(TOKEN), 'a config dump never carries the secret');
  });

  it('--discover-nodes scans node addresses inside --scope and never contacts the others', async () => {
    const kubeconfig = writeKubeconfig('config-token', `- name: dev\n  user: {token: ${TOKEN}}\n`);
    const before = nodeOut.connections();
    const { result } = await hunt({ kubeconfig, discoverNodes: true, trace: join(dir, 'trace.jsonl') });
    const learned = eventsOf(result, 'AddressLearned');
    assert.deepEqual(
      learned.map((l) => [l.address, l.inScope]),
      [
        [NODE_IN_SCOPE, true],
        [NODE_OUT_OF_SCOPE, false],
      ],
    );
    assert.match(learned[0].origin, /node node-1 \(InternalIP\) listed by dev/);
    assert.equal(serviceAt(result, NODE_IN_SCOPE, nodeIn.port).kind, 'etcd');
    assert.equal(nodeOut.connections(), before, 'the out-of-scope node was never contacted');
    const trace = readFileSync(join(dir, 'trace.jsonl'), 'utf8');
    assert.ok(!trace.includes(NODE_OUT_OF_SCOPE), 'not a single request to it in the trace');
    assert.ok(trace.includes(NODE_IN_SCOPE));
  });

  it('a bare --token has no API server: it is bound to those discovery finds', async () => {
    api.requests.length = 0;
    const { result } = await hunt({ token: TOKEN, discoverNodes: true }, [`127.22.0.2:${api.port}`]);
    const [cred] = eventsOf(result, 'Credential');
    assert.equal(cred.name, 'token');
    assert.equal(cred.apiServer, undefined);
    assert.ok(api.requests.includes('token /api/v1/nodes?limit=500'), api.requests.join(', '));
    assert.deepEqual(cred.secret.trust, { tls: 'unverified' });
    assert.deepEqual(buildReport(result).scan.identities, [{ name: 'token', source: 'token', tls: 'unverified' }]);
  });

  it('a bare token with --certificate-authority goes only to a server that CA signed', async () => {
    const caFile = join(dir, 'ca.pem');
    const otherFile = join(dir, 'other-ca.pem');
    writeFileSync(caFile, ca.cert);
    writeFileSync(otherFile, makeCert({ cn: 'someone-else' }).cert);
    api.requests.length = 0;
    const trusted = await hunt({ token: TOKEN, certificateAuthority: caFile, discoverNodes: true }, [
      `127.22.0.2:${api.port}`,
    ]);
    assert.ok(api.requests.includes('token /api/v1/nodes?limit=500'), api.requests.join(', '));
    assert.deepEqual(buildReport(trusted.result).scan.identities, [{ name: 'token', source: 'token' }]);
    api.requests.length = 0;
    await hunt({ token: TOKEN, certificateAuthority: otherFile, discoverNodes: true }, [`127.22.0.2:${api.port}`]);
    assert.ok(
      api.requests.every((r) => !r.startsWith('token ')),
      `the token never reached the server: ${api.requests.join(', ')}`,
    );
    await assert.rejects(
      configFromFlags(['127.22.0.2'], { certificateAuthority: caFile }),
      /--certificate-authority applies to --token and --token-file/,
    );
  });

  it('a kubeconfig server named by a hostname is checked for that name, as kubectl checks it', async () => {
    const dns = await startDnsServer('127.22.9.53', {
      'kubernetes.default.svc': ['127.22.0.2'],
      'api.other.test': ['127.22.0.2'],
    });
    const named = (host: string) => {
      const path = join(dir, `config-${host}`);
      writeFileSync(
        path,
        readFileSync(writeKubeconfig(`base-${host}`, `- name: dev\n  user: {token: ${TOKEN}}\n`), 'utf8').replace(
          api.url,
          `https://${host}:${api.port}`,
        ),
      );
      return path;
    };
    try {
      api.requests.length = 0;
      const good = await hunt({
        kubeconfig: named('kubernetes.default.svc'),
        discoverNodes: true,
        dnsServer: [dns.server],
      });
      assert.ok(
        api.requests.includes('token /api/v1/nodes?limit=500'),
        `${api.requests.join(', ')} ${good.warnings.join('; ')}`,
      );
      api.requests.length = 0;
      const { result } = await hunt({
        kubeconfig: named('api.other.test'),
        discoverNodes: true,
        dnsServer: [dns.server],
      });
      assert.ok(
        api.requests.every((r) => !r.startsWith('token ')),
        `the token never reached the server: ${api.requests.join(', ')}`,
      );
      const [gap] = eventsOf(result, 'CoverageGap');
      assert.equal(gap?.subject, 'nodes as dev');
      assert.match(
        gap.detail,
        /x509: certificate is valid for kubernetes\.default\.svc, 127\.22\.0\.2, not api\.other\.test: the credential was not sent$/,
      );
    } finally {
      await dns.close();
    }
  });
});
