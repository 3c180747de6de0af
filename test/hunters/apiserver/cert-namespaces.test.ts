import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertOnlyReads, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.148.2.0/24: namespaces a serving certificate names. Read before the survey (the lab API
// server's own certificate names kubernetes.default.svc) they are NamespaceSeen and surveyed; read on a
// server found after the survey ended (a test hunter stands in for a service --discover-nodes finds late),
// the namespace it names was not surveyed, and a coverage gap says so.

const SANS = ['dns:webhook.late-cert.svc', 'dns:metrics.late-cert.svc.cluster.local', 'dns:kubernetes.default.svc'];

const late = defineHunter({
  id: 'test-late-service',
  title: 'a service with a certificate, found after the namespace survey',
  mode: 'passive',
  on: 'Finding',
  when: (f) => f.kb === 'KF-API-006' && f.object === 'other namespaces' && f.identity === 'reader',
  async hunt(finding, ctx) {
    ctx.publish('ServiceFound', {
      host: finding.host!,
      port: 9443,
      kind: 'metrics',
      scheme: 'https',
      evidence: ['a test'],
      cert: {
        subject: 'CN=webhook',
        issuer: 'CN=webhook',
        sans: SANS,
        emails: [],
        validFrom: '2026-01-01T00:00:00Z',
        validTo: '2027-01-01T00:00:00Z',
        selfSigned: true,
        fingerprint256: 'AA',
      },
    });
  },
}) as AnyHunter;

let lab: Lab;
let hunt: LabHunt;

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.148.2.2', nodes: 1, etcd: 'off' });
  hunt = await huntLab(lab, {
    hunters: [...apiserverHunters, late],
    ports: [PORTS.apiserver],
    addresses: [lab.hosts[0].address],
    identities: [tokenIdentity(lab, 'reader')],
  });
});

after(() => lab.stop());

const seen = () => hunt.result.events.filter((e): e is KfEvent<'NamespaceSeen'> => e.type === 'NamespaceSeen');

describe('namespaces named by serving certificates', () => {
  it('publishes each namespace a certificate names once, with where it was read', () => {
    const lateCert = seen().filter((s) => s.namespace === 'late-cert');
    assert.equal(lateCert.length, 1);
    assert.equal(lateCert[0].source, `the serving certificate of ${lab.hosts[0].address}:9443`);
    assert.equal(lateCert[0].publisher, 'certificate-namespaces');
    // The lab API server's certificate names kubernetes.default.svc: default, seen early.
    assert.ok(seen().some((s) => s.namespace === 'default' && s.port === PORTS.apiserver));
  });

  it('a certificate read after the survey ended: a coverage gap for the namespace it names', () => {
    const gaps = hunt.gaps.filter((g) => g.hunter === 'apiserver-namespaces-unsurveyed');
    assert.deepEqual(
      gaps.map((g) => [g.host, g.port, g.subject, g.reason]),
      [[lab.hosts[0].address, PORTS.apiserver, 'rights in namespace late-cert', 'skipped']],
    );
    assert.match(gaps[0].detail, /first seen \(the serving certificate of [\d.]+:9443\) after the namespace survey/);
    // reader, surveyed when the hunt settled, was never asked about it; tokens found later were (on their own).
    const asked = hunt.result.events.filter(
      (e): e is KfEvent<'NamespaceAccess'> => e.type === 'NamespaceAccess' && e.namespace === 'late-cert',
    );
    assert.equal(
      asked.some((e) => e.identity === 'reader'),
      false,
    );
    for (const e of asked) assert.equal(e.publisher, 'apiserver-namespaces-late', e.identity);
  });

  it('only reads and reviews', () => {
    assertOnlyReads(hunt);
  });
});
