import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import type { KfEvent } from '../../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { makeCert } from '../../helpers/certs.js';
import { startHttpServer, startHttpsServer, type TestServer } from '../../helpers/servers.js';
import {
  assertNoSecrets,
  assertOnlyReads,
  type Hunt,
  huntDiscovered,
  huntLab,
  type LabHunt,
  tokenIdentity,
} from '../lab-hunt.js';

// Block 127.144.0.0/16 (127.144.1.0/24 here): namespaces the hunt knows only from what it read elsewhere.
// In the default lab no identity may list namespaces, so anonymous (who may read the Secrets of `dev`) is
// never asked about `dev` unless something else names it: here a kubelet's read-only port listing a pod of
// `dev` (and one of `ghost`, a namespace the API server does not hold). And an open etcd (the vulnerable
// lab) names every namespace in its keys (127.144.2.0/24). A list of namespaces longer than a page is read
// to its end (127.144.3.0/24). A namespace seen after the survey ended is a gap (127.144.6.0/24). A list
// whose second page fails is a gap, and a certificate's Service names count (127.144.8.0/24).

const KUBELET = '127.144.1.100';

function pod(namespace: string, name: string) {
  return {
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    status: { phase: 'Running' },
  };
}

const namespaceSeen = (hunt: LabHunt) =>
  hunt.result.events.filter((e): e is KfEvent<'NamespaceSeen'> => e.type === 'NamespaceSeen');
const namespaceAccess = (hunt: LabHunt) =>
  hunt.result.events.filter((e): e is KfEvent<'NamespaceAccess'> => e.type === 'NamespaceAccess');
const anonymousReadsOfDev = (hunt: LabHunt) =>
  hunt.requests.filter((r) => r.identity === 'system:anonymous' && r.path.startsWith('/api/v1/namespaces/dev/secrets'));

describe('a namespace known only from a kubelet’s pod list', () => {
  let lab: Lab;
  let kubelet: TestServer;
  let withKubelet: LabHunt;
  let without: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.144.1.2', nodes: 1, etcd: 'off' });
    kubelet = await startHttpServer(
      KUBELET,
      (req, res) => {
        if (req.url?.startsWith('/pods')) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', items: [pod('dev', 'web'), pod('ghost', 'x')] }));
          return;
        }
        res.statusCode = 404;
        res.end('404 page not found');
      },
      PORTS.kubeletReadOnly,
    );
    const hunters = [...apiserverHunters, ...kubeletHunters];
    const control = lab.hosts[0].address;
    without = await huntLab(lab, { hunters, ports: [PORTS.apiserver], addresses: [control] });
    withKubelet = await huntLab(lab, {
      hunters,
      ports: [PORTS.apiserver, PORTS.kubeletReadOnly],
      addresses: [control, KUBELET],
    });
  });

  after(async () => {
    await kubelet?.close();
    await lab?.stop();
  });

  it('without the kubelet, anonymous is never asked about dev: nothing names it', () => {
    assert.deepEqual(without.result.problems, []);
    assert.equal(
      without.access.some((a) => a.can['list namespaces']),
      false,
      'no identity may list namespaces',
    );
    assert.deepEqual(anonymousReadsOfDev(without), []);
    assert.deepEqual(without.of('KF-API-007', 'anonymous'), []);
  });

  it('publishes the namespaces of the pods the kubelet lists, once each', () => {
    // The lab API server's certificate names kubernetes.default.svc: default comes from it (cert-namespaces.test.ts).
    const seen = namespaceSeen(withKubelet).filter((s) => s.publisher === 'kubelet-pod-specs');
    assert.deepEqual(seen.map((s) => s.namespace).sort(), ['dev', 'ghost']);
    for (const s of seen) {
      assert.equal(s.source, `kubelet :${PORTS.kubeletReadOnly}/pods`);
      assert.equal(s.host, KUBELET);
    }
  });

  it('surveys anonymous in dev, where its rules allow reading Secrets, and reads them', () => {
    assert.equal(lab.can('anonymous', { verb: 'list', group: '', resource: 'secrets', namespace: 'dev' }), true);
    // Anonymous may not review its own rules: the read is the question, and its answer the right recorded.
    const dev = namespaceAccess(withKubelet).find((a) => a.identity === 'anonymous' && a.namespace === 'dev');
    assert.deepEqual(dev?.can, { 'list secrets': true });
    assert.ok(anonymousReadsOfDev(withKubelet).length > 0, 'anonymous listed the Secrets of dev');
    const [listed] = withKubelet.of('KF-API-007', 'anonymous');
    assert.equal(listed?.object, 'namespace dev');
    const ghost = namespaceAccess(withKubelet).find((a) => a.identity === 'anonymous' && a.namespace === 'ghost');
    assert.ok(ghost, 'ghost was asked about too');
    assert.equal(Object.values(ghost.can).some(Boolean), false, 'nothing is allowed in a namespace nobody is bound in');
  });

  it('names the rights per namespace in the identity’s findings', () => {
    const rights = withKubelet.of('KF-API-006', 'anonymous').find((f) => f.object === 'other namespaces');
    assert.ok(rights, 'anonymous’s rights beyond its own namespace are reported');
    assert.match(rights.evidence, /: list secrets in dev$/);
    assert.doesNotMatch(rights.evidence, /ghost/);
  });

  it('only reads and reviews', () => {
    assertOnlyReads(withKubelet);
  });
});

describe('namespaces named by an open etcd’s keys', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.144.2.2', nodes: 1, etcd: 'simulated' });
    hunt = await huntLab(lab, { hunters: etcdHunters, ports: [PORTS.etcd], addresses: [lab.hosts[0].address] });
  });

  after(() => lab.stop());

  it('publishes every namespace the API server holds, from key names alone', async () => {
    const res = await fetch(`http://${lab.hosts[0].address}:${PORTS.apiserverInsecure}/api/v1/namespaces`);
    const held = ((await res.json()) as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name);
    assert.ok(held.length >= 5, held.join(', '));
    const fromEtcd = namespaceSeen(hunt).filter((s) => s.source === 'etcd key names');
    assert.deepEqual(fromEtcd.map((s) => s.namespace).sort(), held.sort());
    assert.deepEqual(
      hunt.gaps.filter((g) => g.hunter === 'etcd-access'),
      [],
    );
  });

  it('only reads, and puts no secret value in any event but the Credentials of the tokens etcd holds', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });
});

describe('a namespace list longer than a page', () => {
  let lab: Lab;
  let hunt: LabHunt;

  before(async () => {
    lab = await startLab({
      profile: 'default',
      base: '127.144.3.2',
      nodes: 1,
      etcd: 'off',
      scale: { namespaces: 620 },
    });
    hunt = await huntLab(lab, {
      hunters: apiserverHunters,
      ports: [PORTS.apiserver],
      addresses: [lab.hosts[0].address],
      identities: [tokenIdentity(lab, 'reader')],
      config: { extra: { namespaceBudget: 2 } },
    });
  });

  after(() => lab.stop());

  it('is read to its end, every namespace known, the budget still bounding the survey', async () => {
    assert.deepEqual(hunt.result.problems, []);
    const res = await fetch(`https://${lab.hosts[0].address}:${PORTS.apiserver}/api/v1/namespaces`, {
      headers: { authorization: `Bearer ${lab.credentials.admin.token}` },
      // @ts-expect-error undici's dispatcher option: the lab's certificate is self-signed.
      dispatcher: new Agent({ connect: { rejectUnauthorized: false } }),
    });
    const held = ((await res.json()) as { items: unknown[] }).items.length;
    assert.ok(held > 620, `${held} namespaces`);
    const pages = hunt.requests.filter((r) => r.path.startsWith('/api/v1/namespaces?') && r.path.includes('continue='));
    assert.ok(pages.length > 0, 'the list was read past its first page');
    const gaps = hunt.gaps.filter((g) => g.hunter === 'apiserver-namespaces' && g.reason === 'budget');
    const reader = gaps.find((g) => g.subject === 'rights in every namespace (reader)');
    // Every namespace but its own is known: surveyed, or named as left out.
    assert.match(
      reader?.detail ?? '',
      new RegExp(`^2 of ${held - 1} namespaces surveyed \\(at most 2 per identity\\)`),
    );
  });
});

describe('a namespace seen after the survey ended', () => {
  let lab: Lab;
  let hunt: LabHunt;

  // Stands in for a kubelet found late (through --discover-nodes with a token the survey followed): names a
  // namespace once the survey has reported what anonymous may do elsewhere, that is, after its last round.
  const late = defineHunter({
    id: 'test-late-namespace',
    title: 'names a namespace after the namespace survey',
    mode: 'passive',
    on: 'Finding',
    when: (f) => f.kb === 'KF-API-006' && f.object === 'other namespaces' && f.identity === 'anonymous',
    async hunt(_finding, ctx) {
      ctx.publish('NamespaceSeen', { namespace: 'late-ns', source: 'a test' });
    },
  }) as AnyHunter;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.144.6.2', nodes: 1, etcd: 'off' });
    hunt = await huntLab(lab, {
      hunters: [...apiserverHunters, late],
      ports: [PORTS.apiserver],
      addresses: [lab.hosts[0].address],
      identities: [tokenIdentity(lab, 'reader')],
    });
  });

  after(() => lab.stop());

  it('is a coverage gap of the server it was not surveyed on', () => {
    assert.ok(namespaceSeen(hunt).some((s) => s.namespace === 'late-ns'));
    const gaps = hunt.gaps.filter((g) => g.hunter === 'apiserver-namespaces-unsurveyed');
    assert.deepEqual(
      gaps.map((g) => [g.host, g.port, g.subject, g.reason]),
      [[lab.hosts[0].address, PORTS.apiserver, 'rights in namespace late-ns', 'skipped']],
    );
    assert.match(gaps[0].detail, /first seen \(a test\) after the namespace survey of this server ended/);
    // The settled survey never asked about it.
    assert.equal(
      namespaceAccess(hunt).some((a) => a.namespace === 'late-ns' && a.publisher === 'apiserver-namespaces'),
      false,
    );
  });
});

describe('a namespace list whose second page fails, behind a certificate that names a namespace', () => {
  const RELAY = '127.144.8.10';
  let lab: Lab;
  let relay: TestServer;
  let hunt: Hunt;

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.144.8.2', nodes: 1, etcd: 'off' });
    const upstream = lab.hosts[0].address;
    // The relay's serving certificate names a webhook Service of namespace certs-ns, as a real API server's
    // certificate may name its cluster's Services.
    const tls = makeCert({ cn: 'kube-apiserver', dns: ['kubernetes.default.svc', 'hook.certs-ns.svc'], ips: [RELAY] });
    relay = await startHttpsServer(
      RELAY,
      (req, res) => {
        const url = req.url ?? '/';
        if (url.startsWith('/api/v1/namespaces?') && url.includes('continue=')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
          return;
        }
        const up = https.request(
          {
            host: upstream,
            port: PORTS.apiserver,
            path: url,
            method: req.method,
            headers: req.headers,
            rejectUnauthorized: false,
          },
          (answer) => {
            if (!url.startsWith('/api/v1/namespaces?')) {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
              return;
            }
            // Every list of namespaces says there is more: the page after it is the garbage above.
            const chunks: Buffer[] = [];
            answer.on('data', (c) => chunks.push(c));
            answer.on('end', () => {
              const list = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              if (answer.statusCode === 200) list.metadata = { ...list.metadata, continue: 'next' };
              res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
              res.end(JSON.stringify(list));
            });
          },
        );
        up.on('error', () => res.destroy());
        req.pipe(up);
      },
      tls,
      PORTS.apiserver,
    );
    hunt = await huntDiscovered([relay], {
      hunters: apiserverHunters,
      identities: [tokenIdentity(lab, 'reader'), tokenIdentity(lab, 'nobody')],
    });
  });

  after(async () => {
    await relay?.close();
    await lab?.stop();
  });

  it('is a page-failed gap naming how many namespaces were listed', () => {
    const gaps = hunt.gaps.filter(
      (g) => g.hunter === 'apiserver-namespaces' && g.subject === 'list namespaces (reader)',
    );
    assert.equal(gaps.length, 1, JSON.stringify(hunt.gaps.map((g) => [g.hunter, g.subject, g.detail])));
    assert.equal(gaps[0].reason, 'page-failed');
    assert.match(gaps[0].detail, /^page 2 was not a list after \d+ namespaces$/);
  });

  it('still surveys what the first page listed, and the namespace the certificate names', () => {
    const asked = (ns: string) =>
      hunt.result.events.some((e) => e.type === 'NamespaceAccess' && e.identity === 'nobody' && e.namespace === ns);
    assert.ok(asked('dev'), 'dev, from the first page');
    assert.ok(asked('certs-ns'), 'certs-ns, from the certificate only');
  });
});
