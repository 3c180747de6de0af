import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { Identity } from '../../../src/discovery/vantage/identity.js';
import { READ_CHECKS, WRITE_CHECKS } from '../../../src/hunters/apiserver/access.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Attributes, type IdentityName, type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { buildReport } from '../../../src/report/model.js';
import {
  assertNoSecrets,
  assertOnlyReads,
  createAsAdmin,
  huntLab,
  kubeconfigIdentity,
  type LabHunt,
  lateCredentials,
  tokenIdentity,
} from '../lab-hunt.js';

// Block 127.51.0.0/16: what each credential can do, side by side, checked against the lab's RBAC.

const API_PORTS = [PORTS.apiserver];
const ALL_KEYS = [...READ_CHECKS, ...WRITE_CHECKS].map((c) => c.key).sort();

/** Where each lab identity's own namespace is (its service account's), as the hunters find it. */
const OWN_NAMESPACE: Record<IdentityName, string> = {
  admin: 'kube-system',
  reader: 'default',
  nobody: 'default',
  deployer: 'dev',
  'kubernetes-admin': 'default',
  jane: 'default',
  // A client certificate names no namespace: only its kubeconfig context does.
  'team-a': 'team-a',
};

let lab: Lab;
let chainLab: Lab;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeferret-credentials-'));
  [lab, chainLab] = await Promise.all([
    startLab({ profile: 'default', base: '127.51.0.2', nodes: 1, etcd: 'off' }),
    startLab({ profile: 'default', base: '127.51.1.2', nodes: 1, etcd: 'off' }),
  ]);
});

after(async () => {
  await Promise.all([lab.stop(), chainLab.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The lab's RBAC answer for a check: allowed cluster-wide, or (namespaced) in the identity's own namespace. */
function expected(who: IdentityName, key: string): boolean {
  const read = READ_CHECKS.find((c) => c.key === key);
  const write = WRITE_CHECKS.find((c) => c.key === key);
  const attrs: Attributes = read
    ? {
        verb: 'list',
        group: read.path.startsWith('/apis/') ? 'rbac.authorization.k8s.io' : '',
        resource: key.split(' ')[1],
      }
    : { verb: write!.verb, group: write!.group, resource: write!.resource, subresource: write!.subresource };
  const namespaced = read ? read.namespaced !== undefined : write!.namespaced;
  return lab.can(who, attrs) || (namespaced && lab.can(who, { ...attrs, namespace: OWN_NAMESPACE[who] }));
}

/** How each lab identity is named in the hunt: tokens by their name, kubeconfig contexts `<name>@lab`. */
const SHOWN: Record<IdentityName, string> = {
  admin: 'admin',
  reader: 'reader',
  nobody: 'nobody',
  deployer: 'deployer',
  'kubernetes-admin': 'kubernetes-admin@lab',
  jane: 'jane@lab',
  'team-a': 'team-a@lab',
};

describe('each credential on the default lab', () => {
  const names: IdentityName[] = ['admin', 'reader', 'nobody', 'deployer', 'kubernetes-admin', 'jane', 'team-a'];
  let hunt: LabHunt;
  before(async () => {
    hunt = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: API_PORTS,
      identities: [
        tokenIdentity(lab, 'admin'),
        tokenIdentity(lab, 'reader'),
        tokenIdentity(lab, 'nobody'),
        tokenIdentity(lab, 'deployer'),
        await kubeconfigIdentity(lab, 'kubernetes-admin', dir),
        await kubeconfigIdentity(lab, 'jane', dir),
        await kubeconfigIdentity(lab, 'team-a', dir),
      ],
    });
  });

  it('asks every identity the same questions, and each answer is the lab RBAC answer', () => {
    assert.deepEqual(hunt.result.problems, []);
    for (const name of names) {
      const access = hunt.access.find((a) => a.identity === SHOWN[name]);
      assert.ok(access, `${name} has an ApiAccess`);
      assert.equal(access.via, 'credential');
      assert.equal(access.credential, SHOWN[name]);
      assert.deepEqual(Object.keys(access.can).sort(), ALL_KEYS, `${name} asked everything`);
      for (const key of ALL_KEYS) assert.equal(access.can[key], expected(name, key), `${name}: ${key}`);
    }
  });

  it('each identity was seen by the lab as who it is', () => {
    const seen = new Set(hunt.requests.map((r) => r.identity));
    for (const name of names) assert.ok(seen.has(lab.credentials[name].user), `${name} used`);
  });

  it('reports cluster-wide listing, cluster-admin and pod creation for the identities that hold them', () => {
    const who = (kb: string) => [...new Set(hunt.of(kb).map((f) => f.identity))].sort();
    assert.deepEqual(who('KF-API-005'), ['admin', 'jane@lab', 'kubernetes-admin@lab', 'reader']);
    assert.deepEqual(who('KF-API-009'), ['admin', 'kubernetes-admin@lab']);
    assert.deepEqual(who('KF-API-010'), ['admin', 'deployer', 'kubernetes-admin@lab']);
    // The tokens anonymous reads in dev (the namespace survey) are identities of their own.
    const found = who('KF-API-006').filter((n) => n?.startsWith('found:'));
    assert.deepEqual(
      found.map((n) => n?.replace(/-token-\w+$/, '')),
      ['found:dev/ci-bot', 'found:dev/ci-viewer'],
    );
    // anonymous, refused a review of its own rules, has its rights in other namespaces (its Secrets reads).
    assert.deepEqual(
      who('KF-API-006').filter((n) => !n?.startsWith('found:')),
      ['anonymous', ...names.map((n) => SHOWN[n])].sort(),
    );
    // anonymous: the Secrets of dev, found by the namespace survey.
    assert.deepEqual(who('KF-API-007'), ['admin', 'anonymous', 'kubernetes-admin@lab', 'team-a@lab']);
    assert.deepEqual(who('KF-API-008'), ['admin', 'anonymous', 'kubernetes-admin@lab']);
    assert.equal(hunt.of('KF-API-007', 'anonymous')[0].object, 'namespace dev');
    for (const kb of ['KF-API-001', 'KF-API-002', 'KF-API-004']) assert.deepEqual(who(kb), [], kb);
  });

  it('hunts a kubeconfig context in its namespace: rights only there are found, by RBAC and by reading', () => {
    // team-a's client certificate names no namespace; without its context's it was "nothing allowed" in default.
    const [rules] = hunt.of('KF-API-006', 'team-a@lab');
    assert.equal(rules.evidence, 'team-a@lab in namespace team-a: get,list pods, secrets');
    const [secrets] = hunt.of('KF-API-007', 'team-a@lab');
    assert.match(secrets.evidence, /^team-a@lab listed 1 secret in 1 namespace \(namespace team-a\)/);
    const asked = hunt.requests.filter((r) => r.identity === lab.credentials['team-a'].user).map((r) => r.path);
    assert.ok(
      asked.some((p) => p.startsWith('/api/v1/namespaces/team-a/secrets')),
      asked.join(', '),
    );
    assert.ok(!asked.some((p) => p.startsWith('/api/v1/namespaces/default/')), 'nothing namespaced asked in default');
  });

  it('says where a namespaced right holds', () => {
    const [deployer] = hunt.of('KF-API-010', 'deployer');
    assert.equal(
      deployer.evidence,
      'deployer may create pods (namespace dev) (SelfSubjectAccessReview, nothing attempted)',
    );
    const [rules] = hunt.of('KF-API-006', 'deployer');
    assert.match(rules.evidence, /^deployer in namespace dev: create,delete,get,list,patch,watch pods; get pods\/log$/);
    const [nobody] = hunt.of('KF-API-006', 'nobody');
    assert.equal(nobody.evidence, 'nobody in namespace default: nothing beyond reviewing its own access');
    const [reader] = hunt.of('KF-API-005', 'reader');
    // It may read RBAC objects too (what the ops checks and the attack paths judge on).
    assert.match(
      reader.evidence,
      /^reader listed \d+ namespaces, \d+ pods in \d+ namespaces, \d+ roles in \d+ namespaces, \d+ cluster roles across all namespaces$/,
    );
    assert.equal(hunt.access.find((a) => a.identity === 'deployer')?.can['list pods'], true, 'in dev');
  });

  it('binds each bare token to the API server found, and leaves kubeconfig identities as they are', () => {
    const credentials = hunt.result.events.filter((e): e is KfEvent<'Credential'> => e.type === 'Credential');
    const server = hunt.result.events.find(
      (e): e is KfEvent<'ServiceFound'> => e.type === 'ServiceFound' && e.port === PORTS.apiserver,
    );
    assert.ok(server);
    for (const name of ['admin', 'reader', 'nobody', 'deployer']) {
      const [bare, bound, ...more] = credentials.filter((c) => c.name === name);
      assert.equal(more.length, 0, `${name}: the bare token and one bound copy`);
      assert.equal(bare.apiServer, undefined);
      assert.deepEqual(bound.apiServer, { host: server.host, port: server.port, scheme: 'https' });
      assert.deepEqual(bound.parents, [bare.id, server.id]);
      assert.equal(bound.source, 'token');
      assert.ok(hunt.result.events.indexOf(bare) < hunt.result.events.indexOf(server), 'token given first');
    }
    for (const name of ['kubernetes-admin@lab', 'jane@lab']) {
      assert.equal(credentials.filter((c) => c.name === name).length, 1, `${name} is not bound again`);
    }
  });

  it('sent nothing but GET and the self reviews, and put no secret in any event', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});

describe('a credential that arrives after its API server was found', () => {
  it('is bound to it and asked', async () => {
    const reader = {
      name: 'reader',
      source: 'token' as const,
      secret: { token: lab.credentials.reader.token, trust: { tls: 'unverified' as const } },
    };
    const hunt = await huntLab(lab, { hunters: [lateCredentials([reader]), ...apiserverHunters], ports: API_PORTS });
    const bound = hunt.result.events.find(
      (e): e is KfEvent<'Credential'> => e.type === 'Credential' && e.name === 'reader' && e.apiServer !== undefined,
    );
    assert.ok(bound);
    const bare = hunt.result.events.find((e) => e.type === 'Credential' && e.name === 'reader' && !e.apiServer);
    const server = hunt.result.events.find((e) => e.id === bound.parents[1]);
    assert.ok(bare && server && bound.parents[0] === bare.id);
    assert.ok(hunt.result.events.indexOf(server) < hunt.result.events.indexOf(bare), 'server found first');
    assert.ok(hunt.access.some((a) => a.identity === 'reader'));
    assert.equal(hunt.of('KF-API-005', 'reader').length, 1);
  });
});

describe('a credential the API server does not accept', () => {
  it('gives one warning line and no access', async () => {
    const stale = new Identity('stale', 'token', undefined, { token: 'not-a-token', trust: { tls: 'unverified' } });
    const hunt = await huntLab(lab, { hunters: apiserverHunters, ports: API_PORTS, identities: [stale] });
    assert.deepEqual(
      hunt.result.problems.map((p) => `${p.hunter} ${p.kind} ${p.message}`),
      [
        `apiserver-credential-access warning ${lab.hosts[0].address}:6443 does not accept the credential stale (401 Unauthorized)`,
      ],
    );
    assert.equal(
      hunt.access.find((a) => a.identity === 'stale'),
      undefined,
    );
  });
});

describe('a token read from a Secret', () => {
  let hunt: LabHunt;
  before(async () => {
    // nobody may read the Secrets of its own namespace, where the reader's token Secret lives.
    const rbac = '/apis/rbac.authorization.k8s.io/v1/namespaces/default';
    await createAsAdmin(chainLab, `${rbac}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'secret-reader', namespace: 'default' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    });
    await createAsAdmin(chainLab, `${rbac}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'nobody-reads-secrets', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: 'default' }],
    });
    hunt = await huntLab(chainLab, {
      hunters: apiserverHunters,
      ports: API_PORTS,
      identities: [tokenIdentity(chainLab, 'nobody')],
    });
  });

  it('is reported by name in its namespace, never by value', () => {
    assert.deepEqual(hunt.result.problems, []);
    const [secrets] = hunt.of('KF-API-007', 'nobody');
    assert.match(
      secrets.evidence,
      /^nobody listed \d+ secrets in 1 namespace \(namespace default\): .*; listed as a table, names and types only$/,
    );
    const [tokens] = hunt.of('KF-API-008', 'nobody');
    const readerSecret = chainLab.credentials.reader.secret!;
    assert.ok(tokens.evidence.includes(`${readerSecret} (service account reader)`), tokens.evidence);
    // What was done is said: the token Secrets are read, to hunt with them.
    assert.match(tokens.evidence, /\(tokens not shown; 2 read to hunt with their tokens in turn\)$/);
    assertNoSecrets(chainLab, hunt.result);
  });

  it('is followed as a found credential, and what it can do is hunted in turn', () => {
    const readerSecret = chainLab.credentials.reader.secret!;
    const found = hunt.result.events.find(
      (e): e is KfEvent<'Credential'> => e.type === 'Credential' && e.name === `found:${readerSecret}`,
    );
    assert.ok(found, 'the reader token was found');
    assert.equal(found.source, 'found');
    assert.equal(found.secret.token, chainLab.credentials.reader.token, 'the token itself, kept in the Credential');
    assert.deepEqual(found.secret.trust, { tls: 'unverified' }, 'read by a bare token: no more trusted than it');
    const tokens = hunt.of('KF-API-008', 'nobody')[0];
    assert.deepEqual(found.parents, [tokens.id], 'found through the finding');
    const access = hunt.access.find((a) => a.identity === found.name);
    assert.ok(access, 'its access was surveyed');
    assert.equal(access.can['list pods'], true);
    assert.equal(hunt.of('KF-API-005', found.name).length, 1, 'the reader lists cluster-wide');
    assert.ok(
      hunt.requests.some((r) => r.identity === chainLab.credentials.reader.user),
      'the lab saw the reader token used',
    );
  });

  it("is the same identity when it is the asker's own token Secret: merged, surveyed once, listed with every way it was obtained", () => {
    const ownSecret = chainLab.credentials.nobody.secret!;
    const own = hunt.result.events.find(
      (e): e is KfEvent<'Credential'> => e.type === 'Credential' && e.name === `found:${ownSecret}`,
    );
    assert.ok(own, "nobody's own token Secret was read");
    assert.equal(own.sameAs, 'nobody');
    assert.equal(
      hunt.access.filter((a) => a.identity === own.name).length,
      0,
      'not surveyed a second time under another name',
    );
    const identities = buildReport(hunt.result).scan.identities;
    assert.deepEqual(
      identities.filter((i) => i.name === 'nobody' || i.name === own.name),
      [{ name: 'nobody', source: 'token', tls: 'unverified', also: [`${own.name} (found)`] }],
    );
    // The reader's token is another user: it stays an identity of its own.
    assert.ok(identities.some((i) => i.name === `found:${chainLab.credentials.reader.secret}` && !i.also));
  });

  it("carries the trust its reader had: read through a kubeconfig, it is checked with that kubeconfig's CA", async () => {
    const kubeconfigHunt = await huntLab(chainLab, {
      hunters: apiserverHunters,
      ports: API_PORTS,
      identities: [await kubeconfigIdentity(chainLab, 'nobody', dir)],
    });
    const found = kubeconfigHunt.result.events.find(
      (e): e is KfEvent<'Credential'> => e.type === 'Credential' && e.source === 'found' && e.sameAs === undefined,
    );
    assert.ok(found, 'the reader token was found through the kubeconfig identity');
    assert.equal(found.secret.ca, chainLab.ca);
    assert.equal(found.secret.trust?.tls, 'verify');
    assert.ok(
      kubeconfigHunt.access.some((a) => a.identity === found.name),
      'sent, since the server passed the check',
    );
  });

  it('was read with GETs of single Secrets only, after a Table listing', () => {
    assertOnlyReads(hunt);
    const single = hunt.requests.filter((r) => /\/secrets\/[^/?]+$/.test(r.path.split('?')[0]));
    assert.ok(single.length > 0);
    assert.ok(single.every((r) => r.method === 'GET'));
    // nobody's reads, and anonymous's in dev, the one namespace whose Secrets it may read (seed-paths.ts).
    const readers = new Set(single.map((r) => r.identity));
    assert.deepEqual([...readers].sort(), [chainLab.credentials.nobody.user, 'system:anonymous'].sort());
    assert.ok(
      single
        .filter((r) => r.identity === 'system:anonymous')
        .every((r) => r.path.startsWith('/api/v1/namespaces/dev/')),
    );
  });
});
