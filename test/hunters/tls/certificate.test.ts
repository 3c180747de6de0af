import 'reflect-metadata';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { defineHunter } from '../../../src/core/hunter.js';
import { tlsHunters } from '../../../src/hunters/tls/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpsServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered, huntLab } from '../lab-hunt.js';

// Loopback block 127.65.0.0/16 (see test/README.md).

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

type Keys = webcrypto.CryptoKeyPair;
interface Issued {
  cert: string;
  key: string;
  subject: string;
  keys: Keys;
}

const keyPair = async () => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as Keys;
async function pemKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A certificate with exactly the names and dates a case needs, self-signed or issued by `ca`. */
async function certificate(opts: {
  subject: string;
  names?: x509.JsonGeneralName[];
  ca?: Issued;
  isCa?: boolean;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<Issued> {
  const keys = await keyPair();
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(opts.isCa ?? false, undefined, true)];
  if (opts.names?.length) extensions.push(new x509.SubjectAlternativeNameExtension(opts.names));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c3d',
    subject: opts.subject,
    issuer: opts.ca?.subject ?? opts.subject,
    notBefore: opts.notBefore ?? new Date(Date.now() - DAY),
    notAfter: opts.notAfter ?? new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: (opts.ca?.keys ?? keys).privateKey,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await pemKey(keys.privateKey), subject: opts.subject, keys };
}

/** Gives the hunt a CA the way a kubeconfig identity does: as its cluster CA. */
const givenCa = (pem: string) =>
  defineHunter({
    id: 'test-given-ca',
    title: 'an identity whose cluster CA is known',
    mode: 'passive',
    on: 'HuntStarted',
    async hunt(_event, ctx) {
      ctx.publish('Credential', { name: 'test-ca', source: 'kubeconfig', secret: { ca: pem } });
    },
  });

const ok = (_req: unknown, res: import('node:http').ServerResponse) => res.writeHead(404).end();

describe('TLS hunter on certificates made for each case', () => {
  const servers: TestServer[] = [];
  let withCa: Hunt;
  let withoutCa: Hunt;
  let corpCa: Issued;

  before(async () => {
    corpCa = await certificate({ subject: 'CN=corp-ca', isCa: true });
    const otherCa = await certificate({ subject: 'CN=other-ca, O=Elsewhere', isCa: true });
    const leaky = await certificate({
      subject: 'CN=ops, E=ops@corp.example',
      names: [
        { type: 'email', value: 'admin@corp.example' },
        { type: 'dns', value: 'etcd-0.etcd.kube-system.svc.cluster.local' },
        { type: 'dns', value: 'node7' },
        { type: 'dns', value: 'www.example.com' },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '10.1.2.3' },
        { type: 'ip', value: '8.8.8.8' },
        { type: 'ip', value: '127.65.0.1' },
      ],
      notBefore: new Date(Date.now() - 400 * DAY),
      notAfter: new Date(Date.now() - 3 * DAY - 3600_000),
    });
    const clean = await certificate({
      subject: 'CN=api.example.com',
      names: [
        { type: 'dns', value: 'api.example.com' },
        { type: 'ip', value: '127.65.0.2' },
      ],
      ca: corpCa,
    });
    const foreign = await certificate({
      subject: 'CN=api.example.com',
      names: [{ type: 'dns', value: 'api.example.com' }],
      ca: otherCa,
    });
    servers.push(
      await startHttpsServer('127.65.0.1', ok, leaky, 8443),
      await startHttpsServer('127.65.0.2', ok, clean, 8443),
      await startHttpsServer('127.65.0.3', ok, foreign, 8443),
    );
    withCa = await huntDiscovered(servers, { hunters: [givenCa(corpCa.cert), ...tlsHunters] });
    withoutCa = await huntDiscovered(servers, { hunters: tlsHunters });
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  const at = (hunt: Hunt, i: number) =>
    hunt.findings.filter((f) => f.host === servers[i].host).map((f) => [f.kb, f.evidence]);

  it('names each field that gives something away, once per weakness', () => {
    assert.deepEqual(withCa.result.problems, []);
    const found = at(withCa, 0);
    assert.deepEqual(
      found.map(([kb]) => kb),
      ['KF-TLS-001', 'KF-TLS-002', 'KF-TLS-003', 'KF-TLS-004'],
    );
    const evidence = Object.fromEntries(found);
    assert.equal(evidence['KF-TLS-001'], 'subject emailAddress: ops@corp.example; SAN email: admin@corp.example');
    assert.match(evidence['KF-TLS-002'], /^notAfter \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z: expired 3 days ago$/);
    assert.equal(
      evidence['KF-TLS-003'],
      'self-signed: subject and issuer are both CN=ops, emailAddress=ops@corp.example',
    );
    assert.equal(
      evidence['KF-TLS-004'],
      'subject alternative names: DNS etcd-0.etcd.kube-system.svc.cluster.local, DNS node7, IP 10.1.2.3',
    );
    for (const f of withCa.findings.filter((x) => x.host === servers[0].host)) {
      assert.equal(f.port, 8443);
      assert.equal(f.object, 'certificate CN=ops, emailAddress=ops@corp.example');
    }
  });

  it('trusts a certificate from a CA it was given, and flags one from another CA', () => {
    assert.deepEqual(at(withCa, 1), []);
    assert.deepEqual(at(withCa, 2), [
      ['KF-TLS-003', 'issuer CN=other-ca, O=Elsewhere is none of the CAs given (CN=corp-ca)'],
    ]);
  });

  it('without a CA given, flags only what is self-signed or made by a component for itself', () => {
    assert.deepEqual(at(withoutCa, 1), []);
    assert.deepEqual(at(withoutCa, 2), []);
    assert.deepEqual(
      at(withoutCa, 0).map(([kb]) => kb),
      ['KF-TLS-001', 'KF-TLS-002', 'KF-TLS-003', 'KF-TLS-004'],
    );
  });
});

describe('TLS hunter on the lab', () => {
  let vulnerable: Lab;
  let hardened: Lab;
  let open: Hunt;
  let closed: Hunt;

  before(async () => {
    vulnerable = await startLab({ profile: 'vulnerable', base: '127.65.1.2', nodes: 1, etcd: 'off', hostile: true });
    hardened = await startLab({ profile: 'hardened', base: '127.65.2.2', nodes: 1, etcd: 'off' });
    open = await huntLab(vulnerable, { hunters: tlsHunters });
    closed = await huntLab(hardened, { hunters: tlsHunters });
  });
  after(async () => {
    await vulnerable?.stop();
    await hardened?.stop();
  });

  it("finds the e-mail address in the vulnerable API server's certificate, and none in the hardened one", () => {
    const [email] = open.of('KF-TLS-001');
    assert.equal(email.host, '127.65.1.2');
    assert.equal(email.port, PORTS.apiserver);
    assert.equal(email.evidence, 'subject emailAddress: cluster-admin@example.com');
    assert.deepEqual(closed.of('KF-TLS-001'), []);
  });

  it("calls the kubelet's and the control plane's self-made certificates unverifiable, as info", () => {
    for (const hunt of [open, closed]) {
      const unverifiable = hunt
        .of('KF-TLS-003')
        .map((f) => f.port)
        .sort();
      assert.deepEqual(unverifiable, [PORTS.kubelet, PORTS.controllerManager, PORTS.scheduler].sort());
      for (const f of hunt.of('KF-TLS-003')) assert.match(f.evidence, /-ca@\d+ is the throw-away CA/);
    }
  });

  it('reports the internal names in the API server certificate, and nothing expired', () => {
    const [names] = closed.of('KF-TLS-004').filter((f) => f.port === PORTS.apiserver);
    assert.equal(
      names.evidence,
      'subject alternative names: DNS kubernetes, DNS kubernetes.default, DNS kubernetes.default.svc, DNS kubernetes.default.svc.cluster.local, DNS lab-control-plane, IP 10.96.0.1',
    );
    assert.deepEqual([...open.of('KF-TLS-002'), ...closed.of('KF-TLS-002')], []);
  });

  it('says nothing about the hostile host whose handshake fails', () => {
    const hostile = vulnerable.hosts.find((h) => h.role === 'hostile')!.address;
    assert.deepEqual(
      open.findings.filter((f) => f.host === hostile),
      [],
    );
    assert.deepEqual(
      open.result.problems.filter((p) => p.hunter === 'tls-certificate'),
      [],
    );
  });
});
