import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLOUD_METADATA_ENDPOINT, defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import type { Identity } from '../../../src/discovery/vantage/identity.js';
import { cloudHunters } from '../../../src/hunters/cloud/index.js';
import { type Lab, startLab } from '../../../src/lab/index.js';
import { cloudMetadataOf } from '../../../src/run/hunt.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { huntLab, podVantage, tokenIdentity } from '../lab-hunt.js';

// Block 127.54.0.0/16: cloud instance metadata from the pod vantage, with loopback servers standing in
// for 169.254.169.254 (through the metadata override). Nothing here contacts the real address.

/** What a stand-in metadata server was asked. */
interface Asked {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

type Provider = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Secret values the stand-ins hand out; none may appear outside the hunters' memory. */
const SECRETS = {
  awsSecretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  awsSessionToken: 'IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQDexampleSessionToken0123456789',
  awsImdsToken: 'AQAEAFakeImdsSessionTokenForTests0123456789==',
  gcpAccessToken: 'ya29.c.Kp8BFakeGcpAccessTokenForTests0123456789abcdef',
  azureAccessToken:
    'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJl',
  azureClientSecret: 'azure-spn-client-secret-0123456789',
};

const AWS_INDEX = 'ami-id\nami-launch-index\nhostname\niam/\ninstance-id\ninstance-type\nlocal-ipv4\n';

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
}

/** EC2 IMDS: v1 answers plain GETs; v2 wants a session token from a PUT first. */
function aws(version: 1 | 2, tokenReachesPod = true): Provider {
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method === 'PUT' && url === '/latest/api/token') {
      if (!tokenReachesPod) return; // the hop limit drops the answer on its way to the pod
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return send(res, 400, 'Bad Request');
      return send(res, 200, SECRETS.awsImdsToken);
    }
    if (req.method !== 'GET') return send(res, 405, 'Method Not Allowed');
    if (version === 2 && req.headers['x-aws-ec2-metadata-token'] !== SECRETS.awsImdsToken) {
      return send(res, 401, 'Unauthorized');
    }
    const answers: Record<string, string> = {
      '/latest/meta-data/': AWS_INDEX,
      '/latest/meta-data/instance-id': 'i-0abc1234def567890',
      '/latest/meta-data/iam/security-credentials/': 'eks-node-role',
      '/latest/meta-data/iam/security-credentials/eks-node-role': JSON.stringify({
        Code: 'Success',
        Type: 'AWS-HMAC',
        AccessKeyId: 'ASIAEXAMPLEKEYID0001',
        SecretAccessKey: SECRETS.awsSecretKey,
        Token: SECRETS.awsSessionToken,
        Expiration: '2030-01-01T12:00:00Z',
      }),
    };
    const body = answers[url];
    return body === undefined ? send(res, 404, 'Not Found') : send(res, 200, body);
  };
}

/** The Compute Engine metadata server: refuses requests without Metadata-Flavor: Google. */
const gcp: Provider = (req, res) => {
  const flavor = { 'metadata-flavor': 'Google' };
  if (req.headers['metadata-flavor'] !== 'Google')
    return send(res, 403, 'Missing Metadata-Flavor:Google header.', flavor);
  const base = '/computeMetadata/v1';
  const answers: Record<string, [string, string]> = {
    [`${base}/instance/id`]: ['text/plain', '4567890123456789'],
    [`${base}/project/project-id`]: ['text/plain', 'lab-project'],
    [`${base}/instance/attributes/`]: ['text/plain', 'cluster-name\nkube-env\nkube-labels\n'],
    [`${base}/instance/service-accounts/`]: ['text/plain', 'default/\n123-compute@developer.gserviceaccount.com/\n'],
    [`${base}/instance/service-accounts/default/email`]: ['text/plain', '123-compute@developer.gserviceaccount.com'],
    [`${base}/instance/service-accounts/default/token`]: [
      'application/json',
      JSON.stringify({ access_token: SECRETS.gcpAccessToken, expires_in: 3599, token_type: 'Bearer' }),
    ],
  };
  const answer = answers[req.url ?? ''];
  if (!answer) return send(res, 404, 'Not Found', flavor);
  return send(res, 200, answer[1], { ...flavor, 'content-type': answer[0] });
};

/** Azure IMDS: wants `Metadata: true` and an api-version. */
const azure: Provider = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://imds');
  const json = (status: number, body: object) =>
    send(res, status, JSON.stringify(body), { 'content-type': 'application/json' });
  if (req.headers.metadata !== 'true')
    return json(400, { error: 'Bad request. Required metadata header not specified' });
  if (!url.searchParams.get('api-version')) return json(400, { error: 'Bad request. api-version was not specified' });
  if (url.pathname === '/metadata/instance') {
    return json(200, {
      compute: {
        name: 'aks-nodepool1-12345678-vmss000000',
        location: 'westeurope',
        vmId: '7f2b1a64-8f0e-4d33-a1c2-0d6b5b1c9e11',
        subscriptionId: '00000000-1111-2222-3333-444444444444',
      },
    });
  }
  if (url.pathname === '/metadata/identity/oauth2/token' && url.searchParams.get('resource')) {
    return json(200, {
      access_token: SECRETS.azureAccessToken,
      client_id: '5c1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8',
      expires_on: '1893456000',
      resource: url.searchParams.get('resource'),
      token_type: 'Bearer',
    });
  }
  return json(404, { error: 'Not found' });
};

const nothing: Provider = (_req, res) => send(res, 404, 'Not Found');

/** Azure IMDS, but its token answer carries the token beside 30,000 levels of nested arrays (60 KB). */
const azureDeep: Provider = (req, res) => {
  if (!req.url?.startsWith('/metadata/identity/')) return azure(req, res);
  const token = JSON.stringify({ access_token: SECRETS.azureAccessToken, client_id: 'deep', token_type: 'Bearer' });
  send(res, 200, `${token.slice(0, -1)},"x":${'['.repeat(30_000)}${']'.repeat(30_000)}}`, {
    'content-type': 'application/json',
  });
};

/** A stand-in for the metadata address, recording what it was asked. */
async function standIn(host: string, provider: Provider): Promise<TestServer & { asked: Asked[] }> {
  const asked: Asked[] = [];
  const server = await startHttpServer(host, (req, res) => {
    asked.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    provider(req, res);
  });
  return Object.assign(server, { asked });
}

let lab: Lab;
let workdir: string;
let pod: Identity;
const servers: Record<string, Awaited<ReturnType<typeof standIn>>> = {};

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'kubeferret-cloud-'));
  lab = await startLab({ profile: 'default', base: '127.54.0.2', nodes: 1, etcd: 'off' });
  pod = podVantage(lab, join(workdir, 'sa'), 'default/nobody');
  servers.awsV1 = await standIn('127.54.1.1', aws(1));
  servers.awsV2 = await standIn('127.54.1.2', aws(2));
  servers.awsHopLimit = await standIn('127.54.1.3', aws(2, false));
  servers.gcp = await standIn('127.54.1.4', gcp);
  servers.azure = await standIn('127.54.1.5', azure);
  servers.nothing = await standIn('127.54.1.6', nothing);
  servers.azureDeep = await standIn('127.54.1.7', azureDeep);
});

after(async () => {
  await lab.stop();
  for (const s of Object.values(servers)) await s.close();
  rmSync(workdir, { recursive: true, force: true });
});

/** A hunt from the pod vantage with --cloud, the metadata override pointing at `server`. */
function cloudHunt(
  server: TestServer | undefined,
  options: { cloud?: boolean; identities?: Identity[]; podRoot?: string } = {},
) {
  return huntLab(lab, {
    hunters: cloudHunters,
    addresses: [],
    ports: [],
    identities: options.identities ?? [pod],
    config: {
      cloud: options.cloud ?? true,
      cloudMetadata: server && { host: server.host, port: server.port },
      requestTimeoutMs: 10_000,
      extra: { podRoot: options.podRoot ?? join(workdir, 'empty-root') },
    },
  });
}

/** Nothing the stand-ins handed out as a secret appears in any event but the hunters' memory. */
function assertNoCloudSecrets(hunt: Awaited<ReturnType<typeof cloudHunt>>): void {
  const shown = JSON.stringify([hunt.result.events.filter((e) => e.type !== 'Credential'), hunt.result.problems]);
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!shown.includes(value), `${name} not shown`);
}

/** The real metadata address was neither contacted nor even tried (a refusal would show an attempt). */
function assertRealAddressUntouched(hunt: Awaited<ReturnType<typeof cloudHunt>>): void {
  assert.equal(hunt.result.trace.counts.byHost[CLOUD_METADATA_ENDPOINT.host], undefined);
  assert.deepEqual(
    hunt.result.trace.refusals.filter((r) => r.url.includes(CLOUD_METADATA_ENDPOINT.host)),
    [],
  );
}

describe('AWS instance metadata', () => {
  it('IMDSv1: reachable with plain GETs, and the instance role credentials are reported by name only', async () => {
    const server = servers.awsV1;
    const hunt = await cloudHunt(server);
    assert.deepEqual(hunt.result.problems, []);
    const [reachable] = hunt.of('KF-CLOUD-001');
    assert.equal(
      reachable.evidence,
      'IMDSv1: a plain GET answered, no session token needed; instance i-0abc1234def567890, 7 metadata keys',
    );
    assert.equal(reachable.host, server.host);
    const [creds] = hunt.of('KF-CLOUD-005');
    assert.equal(creds.object, 'AWS instance role eks-node-role');
    assert.equal(
      creds.evidence,
      'instance role eks-node-role: AccessKeyId, SecretAccessKey, Token returned to the pod, expiring 2030-01-01T12:00:00Z (values not shown)',
    );
    assert.deepEqual(
      [...new Set(server.asked.map((a) => a.method))],
      ['GET'],
      'no session token asked for when IMDSv1 answers (and every other provider hunter only reads)',
    );
    assertNoCloudSecrets(hunt);
    assertRealAddressUntouched(hunt);
  });

  it('IMDSv2: a session token is asked for with one PUT, then used for every read', async () => {
    const server = servers.awsV2;
    const hunt = await cloudHunt(server);
    const [reachable] = hunt.of('KF-CLOUD-001');
    assert.match(reachable.evidence, /^IMDSv2: the pod obtained a session token \(PUT \/latest\/api\/token\)/);
    assert.equal(hunt.of('KF-CLOUD-005').length, 1);
    const [first, put, ...reads] = server.asked.filter((a) => a.url.startsWith('/latest/'));
    assert.deepEqual([first.method, first.url], ['GET', '/latest/meta-data/']);
    assert.deepEqual([put.method, put.url], ['PUT', '/latest/api/token']);
    assert.equal(put.headers['x-aws-ec2-metadata-token-ttl-seconds'], '60');
    assert.ok(reads.length >= 3);
    for (const r of reads) {
      assert.equal(r.method, 'GET');
      assert.equal(r.headers['x-aws-ec2-metadata-token'], SECRETS.awsImdsToken);
    }
    assertNoCloudSecrets(hunt);
  });

  it('IMDSv2 with hop limit 1: no token reaches the pod, nothing is reported, the hunt ends', async () => {
    const hunt = await cloudHunt(servers.awsHopLimit);
    assert.deepEqual(hunt.ids, []);
    assert.deepEqual(hunt.result.problems, [], 'the normal outcome of a protected node: no warning');
  });
});

describe('GCP and Azure instance metadata', () => {
  it('GCP: asked with Metadata-Flavor: Google, the node service account token reported by account only', async () => {
    const server = servers.gcp;
    const hunt = await cloudHunt(server);
    assert.deepEqual(hunt.result.problems, []);
    const [reachable] = hunt.of('KF-CLOUD-002');
    assert.equal(
      reachable.evidence,
      'answered with Metadata-Flavor: Google; instance 4567890123456789 in project lab-project; the kube-env attribute (the kubelet bootstrap credentials) is listed',
    );
    const [token] = hunt.of('KF-CLOUD-005');
    assert.equal(token.object, 'GCP service account 123-compute@developer.gserviceaccount.com');
    assert.match(token.evidence, /was issued to the pod, valid 3599 s \(not shown\)$/);
    const own = server.asked.filter((a) => a.url.startsWith('/computeMetadata/'));
    assert.ok(own.length >= 5);
    assert.ok(own.every((a) => a.method === 'GET' && a.headers['metadata-flavor'] === 'Google'));
    assertNoCloudSecrets(hunt);
  });

  it('Azure: asked with Metadata: true and an api-version, the managed identity token reported by client id', async () => {
    const server = servers.azure;
    const hunt = await cloudHunt(server);
    assert.deepEqual(hunt.result.problems, []);
    const [reachable] = hunt.of('KF-CLOUD-003');
    assert.equal(
      reachable.evidence,
      'answered with Metadata: true; VM aks-nodepool1-12345678-vmss000000 in westeurope',
    );
    const [token] = hunt.of('KF-CLOUD-005');
    assert.equal(token.object, 'Azure managed identity 5c1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8');
    assert.match(token.evidence, /expiring at 1893456000 \(Unix time\) \(not shown\)$/);
    const own = server.asked.filter((a) => a.url.startsWith('/metadata/'));
    assert.equal(own.length, 2);
    assert.ok(
      own.every((a) => a.method === 'GET' && a.headers.metadata === 'true' && /[?&]api-version=/.test(a.url)),
      'every request as IMDS requires it',
    );
    assertNoCloudSecrets(hunt);
  });

  it('a token answer nested too deep is not read: no token finding, a coverage gap naming the request', async () => {
    const hunt = await cloudHunt(servers.azureDeep);
    assert.deepEqual(hunt.result.problems, []);
    assert.deepEqual(hunt.ids, ['KF-CLOUD-003']);
    const gaps = hunt.result.events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap');
    assert.deepEqual(
      gaps.map((g) => [g.hunter, g.host, g.port, g.subject, g.reason, g.detail]),
      [
        [
          'cloud-azure-metadata',
          servers.azureDeep.host,
          servers.azureDeep.port,
          'GET /metadata/identity/oauth2/token',
          'cap',
          'a 200 answer whose JSON could not be read (malformed, or nested deeper than 64 levels)',
        ],
      ],
    );
    assertNoCloudSecrets(hunt);
  });

  it('each provider hunter is silent on the others, and all are on a server with no metadata', async () => {
    for (const server of [servers.gcp, servers.azure, servers.nothing]) {
      const hunt = await cloudHunt(server);
      const ids = hunt.ids;
      if (server === servers.gcp) assert.deepEqual(ids, ['KF-CLOUD-002', 'KF-CLOUD-005']);
      if (server === servers.azure) assert.deepEqual(ids, ['KF-CLOUD-003', 'KF-CLOUD-005']);
      if (server === servers.nothing) assert.deepEqual(ids, []);
      assert.deepEqual(hunt.result.problems, []);
    }
  });
});

describe('the Azure service principal (azure.json)', () => {
  function root(name: string, files: Record<string, string>): string {
    const dir = join(workdir, name);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }
  const spn = JSON.stringify({
    cloud: 'AzurePublicCloud',
    tenantId: '72f988bf-0000-0000-0000-000000000000',
    subscriptionId: '00000000-1111-2222-3333-444444444444',
    aadClientId: '5c1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8',
    aadClientSecret: SECRETS.azureClientSecret,
  });

  it('is found through a host mount of the node root, and reported without its secret', async () => {
    const podRoot = root('host-root', {
      'proc/self/mountinfo': '1466 1450 259:1 / /host rw,relatime - ext4 /dev/sda1 rw\n',
      'host/etc/kubernetes/azure.json': spn,
    });
    const hunt = await cloudHunt(servers.nothing, { podRoot });
    const [f, ...more] = hunt.of('KF-CLOUD-004');
    assert.equal(more.length, 0);
    assert.equal(f.path, '/host/etc/kubernetes/azure.json');
    assert.equal(
      f.evidence,
      "/host/etc/kubernetes/azure.json (the node's /etc/kubernetes/azure.json through a host mount) is readable and holds tenantId, subscriptionId, aadClientId, aadClientSecret (values not shown)",
    );
    assertNoCloudSecrets(hunt);
  });

  it('an azure.json nested deeper than 64 levels is not read: a coverage gap, and the hunt goes on', async () => {
    const deep = `{"aadClientSecret":"${SECRETS.azureClientSecret}","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const hunt = await cloudHunt(servers.nothing, { podRoot: root('deep', { 'etc/kubernetes/azure.json': deep }) });
    assert.deepEqual(hunt.of('KF-CLOUD-004'), []);
    assert.deepEqual(hunt.result.problems, []);
    const gaps = hunt.result.events.filter((e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap');
    assert.deepEqual(
      gaps.map((g) => [g.hunter, g.subject, g.reason, g.detail]),
      [
        [
          'cloud-azure-spn',
          'file /etc/kubernetes/azure.json',
          'cap',
          'its JSON could not be read (malformed, or nested deeper than 64 levels)',
        ],
      ],
    );
    assertNoCloudSecrets(hunt);
  });

  it('is found where the node mounts it into the pod itself; a managed identity config holds no secret', async () => {
    const direct = await cloudHunt(servers.nothing, { podRoot: root('direct', { 'etc/kubernetes/azure.json': spn }) });
    assert.deepEqual(
      direct.of('KF-CLOUD-004').map((f) => f.path),
      ['/etc/kubernetes/azure.json'],
    );
    const managed = JSON.stringify({ useManagedIdentityExtension: true, userAssignedIdentityID: 'abc' });
    const none = await cloudHunt(servers.nothing, {
      podRoot: root('managed', { 'etc/kubernetes/azure.json': managed }),
    });
    assert.deepEqual(none.of('KF-CLOUD-004'), []);
  });
});

describe('without --cloud, or without the pod vantage', () => {
  it('nothing contacts the metadata address, the cloud hunters do not even try, and it is not in the scope', async () => {
    const server = servers.awsV1;
    const before = server.asked.length;
    const podRoot = join(workdir, 'direct');
    const hunt = await cloudHunt(server, { cloud: false, podRoot });
    assert.deepEqual(hunt.ids, [], 'not even azure.json, which is on the pod filesystem');
    assert.equal(server.asked.length, before, 'the stand-in was not asked');
    assert.ok(!hunt.result.scope.includes(CLOUD_METADATA_ENDPOINT.host));
    assert.ok(!hunt.result.scope.includes(server.host), 'an override alone adds nothing to the scope');
    assertRealAddressUntouched(hunt);
    assert.equal(hunt.result.trace.counts.refused, 0, 'no request was even tried and refused');
    for (const h of cloudHunters) assert.equal(hunt.result.trace.counts.byHunter[h.id], undefined, h.id);
  });

  it('from a token vantage, --cloud asks nothing either', async () => {
    const server = servers.awsV1;
    const before = server.asked.length;
    const hunt = await cloudHunt(server, { identities: [tokenIdentity(lab, 'reader')] });
    assert.deepEqual(hunt.ids, []);
    assert.equal(server.asked.length, before);
    for (const h of cloudHunters) assert.ok(!hunt.result.engine.huntersRun.includes(h.id), `${h.id} not run`);
  });

  it('with --cloud, exactly the metadata endpoint joins the scope: the real one, or the override instead', async () => {
    assert.deepEqual(cloudMetadataOf(defaultConfig({ cloud: true })), { host: '169.254.169.254', port: 80 });
    assert.equal(cloudMetadataOf(defaultConfig({ cloud: false })), undefined);
    const hunt = await cloudHunt(servers.nothing);
    assert.ok(hunt.result.scope.includes(servers.nothing.host));
    assert.ok(!hunt.result.scope.includes(CLOUD_METADATA_ENDPOINT.host));
    assertRealAddressUntouched(hunt);
  });
});
