import type { PeerCertificate } from 'node:tls';
import type { CertSummary } from '../core/events.js';

function dn(part: PeerCertificate['subject'] | undefined): string {
  if (!part) return '';
  return Object.entries(part)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function isoDate(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Summarises a peer certificate: names, e-mail addresses anywhere in subject or SANs, validity. */
export function summarizeCertificate(cert: PeerCertificate): CertSummary | undefined {
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const sans = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address|email|URI):/, (m) => `${m.slice(0, -1).toLowerCase()}:`));
  const subject = dn(cert.subject);
  const issuer = dn(cert.issuer);
  const emails = [
    ...new Set([...subject.matchAll(EMAIL), ...(cert.subjectaltname ?? '').matchAll(EMAIL)].map((m) => m[0])),
  ];
  return {
    subject,
    issuer,
    sans,
    emails,
    validFrom: isoDate(cert.valid_from),
    validTo: isoDate(cert.valid_to),
    selfSigned: subject === issuer,
    fingerprint256: cert.fingerprint256,
  };
}
