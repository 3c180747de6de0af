import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { defineHunter } from '../../../src/core/hunter.js';
import { READ_CHECKS, WRITE_CHECKS } from '../../../src/hunters/apiserver/access.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntLab, type LabHunt } from '../lab-hunt.js';

// Block 127.50.0.0/16: the API server hunters seen from outside, without credentials, per lab profile.

const API_PORTS = [PORTS.apiserver, PORTS.apiserverInsecure];
const ALL_KEYS = [...READ_CHECKS, ...WRITE_CHECKS].map((c) => c.key).sort();

const labs: Record<string, Lab> = {};

before(async () => {
  [labs.vulnerable, labs.default, labs.hardened] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.50.0.2', nodes: 1, etcd: 'off' }),
    startLab({ profile: 'default', base: '127.50.1.2', nodes: 1, etcd: 'off' }),
    startLab({ profile: 'hardened', base: '127.50.2.2', nodes: 1, etcd: 'off' }),
  ]);
});

after(async () => {
  await Promise.all(Object.values(labs).map((l) => l.stop()));
});

async function objectCount(lab: Lab, key: string): Promise<number> {
  const objects = (await lab.snapshot()).objects[key];
  assert.ok(objects, `the snapshot holds ${key}`);
  return objects.length;
}

function accessOf(hunt: LabHunt, identity: string): KfEvent<'ApiAccess'> | undefined {
  return hunt.access.find((a) => a.identity === identity);
}

describe('API server hunters against the vulnerable lab, without credentials', () => {
  let hunt: LabHunt;
  before(async () => {
    hunt = await huntLab(labs.vulnerable, { hunters: apiserverHunters, ports: API_PORTS });
  });

  it('finds the insecure port, anonymous cluster-admin, the version and the readable secrets', () => {
    assert.deepEqual(hunt.result.problems, []);
    assert.deepEqual(hunt.ids, [
      'KF-API-001',
      'KF-API-002',
      'KF-API-003',
      'KF-API-004',
      'KF-API-006',
      'KF-API-007',
      'KF-API-008',
      'KF-API-009',
      'KF-API-010',
      // The lab's operational-risk situations (namespace fleet), read as anonymous (test/hunters/ops); its
      // CronJobs (KF-OPS-013) read at batch/v1beta1, all this 1.16 lab serves them as (served.test.ts).
      'KF-OPS-001',
      'KF-OPS-002',
      'KF-OPS-003',
      'KF-OPS-004',
      'KF-OPS-005',
      // Its DNS situations (a Corefile with autopath, ndots 5 per namespace, IPVS untuned): test/hunters/ops/dns.test.ts.
      'KF-OPS-006',
      'KF-OPS-007',
      'KF-OPS-008',
      'KF-OPS-010',
      'KF-OPS-011',
      'KF-OPS-012',
      'KF-OPS-013',
      'KF-OPS-014',
      // Anonymous callers and the insecure port are cluster-admin: their one-step paths (attack-paths.test.ts).
      'KF-PATH-001',
      'KF-PATH-002',
      'KF-PATH-003',
      // Pod specs and plain-text credentials of the workloads anonymous callers read (workloads.test.ts).
      'KF-WORKLOAD-001',
      'KF-WORKLOAD-002',
      'KF-WORKLOAD-003',
      'KF-WORKLOAD-005',
      'KF-WORKLOAD-006',
      'KF-WORKLOAD-007',
    ]);
    const insecure = hunt.of('KF-API-001');
    assert.equal(insecure.length, 1);
    assert.equal(insecure[0].port, PORTS.apiserverInsecure);
    assert.equal(insecure[0].identity, 'insecure-port');
    for (const kb of ['KF-API-002', 'KF-API-004', 'KF-API-009', 'KF-API-010']) {
      const [f, ...more] = hunt.of(kb);
      assert.equal(more.length, 0, `${kb} once`);
      assert.equal(f.port, PORTS.apiserver, `${kb} on the secure port`);
      assert.equal(f.identity, 'anonymous');
    }
  });

  it('counts what it listed as the cluster holds it', async () => {
    const namespaces = await objectCount(labs.vulnerable, 'v1/namespaces');
    const secrets = await objectCount(labs.vulnerable, 'v1/secrets');
    const [insecure] = hunt.of('KF-API-001');
    assert.match(insecure.evidence, new RegExp(`^plain HTTP without credentials: listed ${namespaces} namespaces, `));
    assert.match(insecure.evidence, new RegExp(`${secrets} secrets in \\d+ namespaces`));
    assert.match(insecure.evidence, /may create namespaces \(all namespaces\)/);
    const [anonymous] = hunt.of('KF-API-004');
    assert.match(anonymous.evidence, new RegExp(`without credentials, listed ${namespaces} namespaces, \\d+ pods`));
    assert.doesNotMatch(anonymous.evidence, /secrets/, 'KF-API-004 is about mapping the cluster');
  });

  it('publishes what the insecure port and anonymous callers can do, with the same checks for both', () => {
    for (const identity of ['insecure-port', 'anonymous']) {
      const access = accessOf(hunt, identity);
      assert.ok(access, identity);
      assert.equal(access.via, identity);
      assert.deepEqual(Object.keys(access.can).sort(), ALL_KEYS);
      assert.ok(
        Object.values(access.can).every((v) => v === true),
        `${identity} may do everything`,
      );
    }
    assert.equal(accessOf(hunt, 'insecure-port')?.port, PORTS.apiserverInsecure);
    assert.equal(accessOf(hunt, 'anonymous')?.scheme, 'https');
  });

  it('publishes the version once per port, and reports its disclosure', () => {
    const versions = hunt.result.events.filter((e): e is KfEvent<'Version'> => e.type === 'Version');
    assert.deepEqual(versions.map((v) => `${v.port} ${v.component} ${v.version}`).sort(), [
      `${PORTS.apiserver} kubernetes ${labs.vulnerable.version}`,
      `${PORTS.apiserverInsecure} kubernetes ${labs.vulnerable.version}`,
    ]);
    const disclosed = hunt.of('KF-API-003');
    assert.equal(disclosed.length, 2);
    for (const f of disclosed) {
      assert.match(f.evidence, new RegExp(`^GET /version without credentials → ${labs.vulnerable.version} \\(go`));
      const version = versions.find((v) => v.port === f.port);
      assert.ok(version && f.parents.includes(version.id), 'the finding comes from the Version event');
    }
  });

  it('lists the service-account token secrets by name, never their values', () => {
    const tokens = hunt.of('KF-API-008');
    assert.deepEqual(tokens.map((f) => f.identity).sort(), ['anonymous', 'insecure-port']);
    const admin = labs.vulnerable.credentials.admin;
    for (const f of tokens) {
      assert.ok(f.evidence.includes(admin.secret!.split('/')[1]) || /… \(\d+ in all\)/.test(f.evidence));
      assert.match(f.evidence, /\(tokens not shown\)$/);
      // Ranked by what their service account can do: the cluster-admin ones first, then the one a step
      // from it (dev/ci-bot may create pods in ops), alphabetical within a rank.
      const shown = /token secrets?: (.*) \(tokens not shown\)$/.exec(f.evidence)![1].split(', ');
      assert.deepEqual(
        shown.slice(0, 4).map((s) => /\(service account ([^)]+)\)/.exec(s)?.[1] ?? s),
        ['lab-admin', 'kubernetes-dashboard', 'operator', 'ci-bot'],
        f.evidence,
      );
    }
    for (const f of hunt.of('KF-API-007')) {
      assert.match(
        f.evidence,
        /\d+ kubernetes\.io\/service-account-token, .*Opaque.*; listed as a table, names and types only$/,
      );
    }
    assertNoSecrets(labs.vulnerable, hunt.result);
  });

  it('follows no found token when the reader already holds everything', () => {
    const found = hunt.result.events.filter((e) => e.type === 'Credential' && e.source === 'found');
    assert.deepEqual(found, []);
  });

  it('sent nothing but GET and the self reviews, and listed Secrets only as Tables', () => {
    assertOnlyReads(hunt);
    const posts = hunt.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.some((r) => r.path.endsWith('selfsubjectaccessreviews')));
    assert.ok(posts.some((r) => r.path.endsWith('selfsubjectrulesreviews')));
    // Single Secrets are never read here: only a chain from a found token would need one.
    assert.deepEqual(
      hunt.requests.filter((r) => /\/secrets\/[^/?]+/.test(r.path)).map((r) => r.path),
      [],
    );
  });

  it('learns the node addresses from the API and contacts none outside the scope', async () => {
    const lab = labs.vulnerable;
    const controlPlane = lab.hosts[0].address;
    const node = lab.hosts.find((h) => h.role === 'node')!.address;
    const narrow = await huntLab(lab, { hunters: apiserverHunters, ports: API_PORTS, addresses: [controlPlane] });
    const learned = narrow.result.events.filter((e): e is KfEvent<'AddressLearned'> => e.type === 'AddressLearned');
    assert.deepEqual(
      learned.map((l) => [l.address, l.inScope]),
      [[node, false]],
    );
    assert.match(learned[0].origin, /^node lab-node-1 \(InternalIP\) listed by (insecure-port|anonymous) on /);
    assert.deepEqual(
      narrow.requests.filter((r) => r.host === node),
      [],
      'the node was not contacted',
    );
    assert.equal(narrow.result.trace.refusals.length, 0, 'not even tried');
    const wide = await huntLab(lab, { hunters: apiserverHunters, ports: API_PORTS });
    const inScope = wide.result.events.filter((e) => e.type === 'AddressLearned');
    assert.deepEqual(
      inScope.map((l) => l.type === 'AddressLearned' && [l.address, l.inScope]),
      [[node, true]],
    );
  });
});

describe('a kubectl proxy that lends its credentials', () => {
  it('is left to its own hunter: no Secrets listed or tokens followed through it', async () => {
    // Stands in for the exposed-component hunter, which publishes what the proxy reaches.
    const proxyReach = defineHunter({
      id: 'test-proxy-reach',
      title: 'publishes the reach of a kubectl proxy',
      mode: 'passive',
      on: 'ServiceFound',
      when: (s) => s.kind === 'kubectl-proxy',
      async hunt(s, ctx) {
        const can = { 'list namespaces': true, 'list nodes': true, 'list secrets': true };
        const where = { host: s.host, port: s.port, scheme: s.scheme };
        ctx.publish('ApiAccess', { ...where, identity: 'kubectl-proxy', via: 'kubectl-proxy', can });
      },
    });
    const hunt = await huntLab(labs.vulnerable, {
      hunters: [proxyReach, ...apiserverHunters],
      ports: [PORTS.kubectlProxy],
    });
    assert.equal(hunt.access.length, 1, 'the proxy was found and its reach published');
    assert.deepEqual(hunt.findings, []);
    for (const id of ['apiserver-secrets', 'apiserver-node-addresses']) {
      assert.ok(!hunt.result.engine.huntersRun.includes(id), id);
    }
  });
});

describe('API server hunters against the default (kubeadm) lab, without credentials', () => {
  it('reports only the version; anonymous callers are taken but may list nothing', async () => {
    const hunt = await huntLab(labs.default, { hunters: apiserverHunters, ports: API_PORTS });
    assert.deepEqual(hunt.result.problems, []);
    // The version, and a defence: the insecure port is shut.
    assert.deepEqual(hunt.ids, ['KF-API-003', 'KF-API-203']);
    const anonymous = accessOf(hunt, 'anonymous');
    assert.ok(anonymous, 'anonymous is authenticated (403, not 401)');
    const reads = READ_CHECKS.map((c) => c.key);
    assert.deepEqual(
      Object.fromEntries(reads.map((k) => [k, anonymous.can[k]])),
      Object.fromEntries(reads.map((k) => [k, false])),
    );
    // system:anonymous may not even ask: the reviews are not answered, so the writes stay unknown.
    assert.deepEqual(
      WRITE_CHECKS.filter((c) => c.key in anonymous.can),
      [],
    );
    assert.equal(accessOf(hunt, 'insecure-port'), undefined);
    assertOnlyReads(hunt);
  });
});

describe('API server hunters against the hardened lab, without credentials', () => {
  it('find nothing, publish no version and no access for anonymous callers', async () => {
    const hunt = await huntLab(labs.hardened, { hunters: apiserverHunters, ports: API_PORTS });
    assert.deepEqual(hunt.result.problems, []);
    // Only defences: anonymous callers refused, the insecure port shut.
    assert.deepEqual(hunt.ids, ['KF-API-202', 'KF-API-203']);
    assert.match(
      hunt.of('KF-API-202')[0].evidence,
      /^GET \/api\/v1\/namespaces without credentials → 401 Unauthorized/,
    );
    assert.match(hunt.of('KF-API-203')[0].evidence, /^TCP connect to 127\.\d+\.\d+\.\d+:8080 refused/);
    assert.deepEqual(hunt.access, []);
    assert.deepEqual(
      hunt.result.events.filter((e) => e.type === 'Version' || e.type === 'AddressLearned'),
      [],
    );
    assert.ok(hunt.requests.length > 0, 'the API server was asked');
    assert.ok(
      hunt.requests.every((r) => r.status === 401),
      'and refused every request',
    );
    assertOnlyReads(hunt);
  });
});
