// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

// ECDSA P-256 keys (kubeadm offers them too) keep certificate issuance to a few milliseconds each.
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface CertKey {
  cert: string;
  key: string;
}

export interface IssueRequest {
  /** Distinguished name, e.g. `CN=kube-apiserver` or `CN=kubernetes-admin, O=system:masters`. */
  subject: string;
  dns?: string[];
  ips?: string[];
  usage: 'server' | 'client' | 'server+client';
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A certificate authority that issues the lab's serving and client certificates. */
export class CertificateAuthority {
  private constructor(
    private readonly certificate: x509.X509Certificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  /** The CA certificate, PEM. */
  get cert(): string {
    return `${this.certificate.toString('pem')}\n`;
  }

  get subject(): string {
    return this.certificate.subject;
  }

  static async create(subject: string): Promise<CertificateAuthority> {
    const keys = await keyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 3650 * DAY),
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(cert, keys);
  }

  async issue(req: IssueRequest): Promise<CertKey> {
    const keys = await keyPair();
    const usages: string[] = [];
    if (req.usage.includes('server')) usages.push(x509.ExtendedKeyUsage.serverAuth);
    if (req.usage.includes('client')) usages.push(x509.ExtendedKeyUsage.clientAuth);
    const names: x509.JsonGeneralName[] = [
      ...(req.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(req.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(this.certificate, false),
    ];
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: req.subject,
      issuer: this.certificate.subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: this.keys.privateKey,
      extensions,
    });
    return { cert: `${cert.toString('pem')}\n`, key: await pemKey(keys.privateKey) };
  }
}

/**
 * A serving certificate from its own throw-away CA, the way a kubelet or controller-manager without a
 * configured certificate makes one at start (`<name>@<unix time>`): clients cannot verify it.
 */
export async function selfSignedServing(name: string, dns: string[], ips: string[]): Promise<CertKey> {
  const stamp = Math.floor(Date.now() / 1000);
  const ca = await CertificateAuthority.create(`CN=${name}-ca@${stamp}`);
  return ca.issue({ subject: `CN=${name}@${stamp}`, dns, ips, usage: 'server' });
}

export interface Authorities {
  /** The cluster CA (kubeadm's `ca.crt`, CN=kubernetes): API server, client certificates, pods' ca.crt. */
  cluster: CertificateAuthority;
  /** etcd's own CA (kubeadm's `etcd/ca.crt`). */
  etcd: CertificateAuthority;
}

let authorities: Promise<Authorities> | undefined;

/** The CAs, made once per process and shared by every lab in it. */
export function sharedAuthorities(): Promise<Authorities> {
  authorities ??= Promise.all([
    CertificateAuthority.create('CN=kubernetes'),
    CertificateAuthority.create('CN=etcd-ca'),
  ]).then(([cluster, etcd]) => ({ cluster, etcd }));
  return authorities;
}
