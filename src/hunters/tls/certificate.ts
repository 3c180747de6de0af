import { X509Certificate } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { CertSummary } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';
import { sample } from '../evidence.js';

const DAY = 86_400_000;

/** Distinguished names compared as sets of attributes: `CN=a, O=b` and `O=b\nCN=a` are the same name. */
function dnKey(dn: string): string {
  return dn
    .split(/\n|,\s*(?=[A-Za-z.0-9]+=)/)
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean)
    .sort()
    .join('\n');
}

/**
 * The CA a component makes for itself when it is given no serving certificate (client-go's
 * GenerateSelfSignedCertKey: `CN=<host>-ca@<unix time>`), as kubelets without serverTLSBootstrap do.
 */
const THROWAWAY_CA = /(^|[\s,])CN=[^,]*-ca@\d{9,}(,|$)/;

/** The CAs the user gave kubeferret: each identity's cluster CA (kubeconfig, the pod's ca.crt). */
function givenCas(ctx: HuntContext): Map<string, string> {
  const out = new Map<string, string>();
  for (const credential of ctx.known('Credential')) {
    const pem = credential.secret.ca;
    if (!pem) continue;
    for (const block of pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
      try {
        const subject = new X509Certificate(block).subject;
        out.set(dnKey(subject), subject.replace(/\n/g, ', '));
      } catch {
        ctx.log(`the CA of identity ${credential.name} is not a readable certificate`);
      }
    }
  }
  return out;
}

/** Why the certificate cannot be verified, or undefined when it chains to a CA kubeferret was given or none was. */
export function untrusted(cert: CertSummary, cas: Map<string, string>): string | undefined {
  if (cert.selfSigned) return `self-signed: subject and issuer are both ${cert.subject}`;
  if (THROWAWAY_CA.test(cert.issuer)) {
    return `issuer ${cert.issuer} is the throw-away CA a component generates for itself when given no certificate`;
  }
  if (cas.size > 0 && !cas.has(dnKey(cert.issuer))) {
    return `issuer ${cert.issuer} is none of the CAs given (${sample([...cas.values()], 3)})`;
  }
  return undefined;
}

/** Where in the certificate each e-mail address sits. */
export function emailFields(cert: CertSummary): string[] {
  return cert.emails.map((email) => {
    if (cert.sans.includes(`email:${email}`)) return `SAN email: ${email}`;
    if (new RegExp(`(^|, )(emailAddress|E)=${email.replace(/[.+]/g, '\\$&')}(,|$)`).test(cert.subject)) {
      return `subject emailAddress: ${email}`;
    }
    return cert.subject.includes(email) ? `subject: ${email}` : `SAN: ${email}`;
  });
}

/** DNS suffixes that only mean something inside a network or a cluster (`kubernetes.default` included). */
const INTERNAL_SUFFIX =
  /\.(cluster\.local|svc|default|local|localdomain|internal|intranet|intra|corp|lan|home|home\.arpa|private|priv)$/i;
const SERVICE_NAME = /\.svc(\.|$)/i;
const PRIVATE_RANGES = new Set(['private', 'uniqueLocal', 'carrierGradeNat', 'linkLocal']);

/** SAN entries that name internal hosts or private addresses, other than the one connected to. */
export function internalNames(cert: CertSummary, connectedTo: string): string[] {
  const out: string[] = [];
  for (const san of cert.sans) {
    const [type, ...rest] = san.split(':');
    const value = rest.join(':');
    if (!value || value.toLowerCase() === connectedTo.toLowerCase()) continue;
    if (type === 'dns') {
      const name = value.toLowerCase();
      if (name === 'localhost' || name.endsWith('.localhost')) continue;
      if (!name.includes('.') || INTERNAL_SUFFIX.test(name) || SERVICE_NAME.test(name)) out.push(`DNS ${value}`);
    } else if (type === 'ip address' || type === 'ip') {
      if (!ipaddr.isValid(value)) continue;
      const parsed = ipaddr.process(value);
      if (parsed.toString() === ipaddr.process(connectedTo).toString()) continue;
      if (PRIVATE_RANGES.has(parsed.range())) out.push(`IP ${parsed.toString()}`);
    }
  }
  return out;
}

/**
 * Reads the serving certificate discovery saw on a port (no request of its own): e-mail addresses in it
 * (KHV021), expiry, a self-signed or unverifiable issuer, and subject alternative names that reveal
 * internal hosts. One finding per weakness per certificate and port, its evidence naming the field.
 */
export const tlsCertificateHunter = defineHunter({
  id: 'tls-certificate',
  title: 'What a serving certificate gives away: e-mail addresses, internal names, expiry, its issuer',
  mode: 'passive',
  on: 'ServiceFound',
  when: (s) => s.cert !== undefined,
  reports: ['KF-TLS-001', 'KF-TLS-002', 'KF-TLS-003', 'KF-TLS-004'],
  async hunt(service, ctx) {
    const cert = service.cert;
    if (!cert) return;
    const where = { host: service.host, port: service.port, object: `certificate ${cert.subject || '(no subject)'}` };
    const emails = emailFields(cert);
    if (emails.length > 0) ctx.report({ ...where, kb: 'KF-TLS-001', evidence: emails.join('; ') });

    const notAfter = Date.parse(cert.validTo);
    if (Number.isFinite(notAfter) && notAfter < Date.now()) {
      const days = Math.floor((Date.now() - notAfter) / DAY);
      ctx.report({
        ...where,
        kb: 'KF-TLS-002',
        evidence: `notAfter ${cert.validTo}: expired ${days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'} ago`}`,
      });
    }

    const why = untrusted(cert, givenCas(ctx));
    if (why) ctx.report({ ...where, kb: 'KF-TLS-003', evidence: why });

    const internal = internalNames(cert, service.host);
    if (internal.length > 0) {
      ctx.report({ ...where, kb: 'KF-TLS-004', evidence: `subject alternative names: ${sample(internal, 8)}` });
    }
  },
});
