import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { NetError } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';
import { normalizeAddress } from './scope.js';

export type { CredentialTrust } from '../core/events.js';

/** A credential carries something the server could collect (a token, a password, a client certificate). */
export function carriesSecret(credential: CredentialSecret | undefined): credential is CredentialSecret {
  return Boolean(credential && (credential.token || credential.clientCert || credential.password !== undefined));
}

/** Whether connections with this credential check the server's certificate (the default when unsaid). */
export function verifies(credential: CredentialSecret | undefined): boolean {
  return carriesSecret(credential) && (credential.trust?.tls ?? 'verify') === 'verify';
}

/** The key of what a verification depends on (CA and expected name), to verify each server once per key. */
export function trustKey(credential: CredentialSecret): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([credential.ca ?? '', credential.trust?.serverName ?? '', credential.trust?.serverHost ?? '']),
  );
  return hash.digest('hex').slice(0, 32);
}

/**
 * The name a certificate must carry: on the credential's own API server its `tls-server-name` when the
 * kubeconfig gives one, anywhere else (and by default) the name or address the server was reached by.
 */
export function expectedName(credential: CredentialSecret, hostUsed: string, address: string): string {
  const { serverName, serverHost } = credential.trust ?? {};
  if (!serverName || serverHost === undefined) return hostUsed;
  const own = normalizeAddress(serverHost) ?? serverHost.toLowerCase();
  return own === address || own === hostUsed.toLowerCase() ? serverName : hostUsed;
}

// Where Go's crypto/x509 finds the system's roots on Linux (SSL_CERT_FILE first), which client-go trusts
// when a kubeconfig names no CA. Node's own bundle would miss a CA an organisation installed system-wide.
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];
const systemBundles = new Map<string, string | undefined>();

/** The system's root certificates (PEM) as client-go reads them, or undefined for Node's own bundle. */
export function systemRootCertificates(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const files = env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : SYSTEM_BUNDLES;
  const key = files.join('\n');
  if (!systemBundles.has(key)) {
    let found: string | undefined;
    for (const file of files) {
      try {
        found = readFileSync(file, 'utf8');
        break;
      } catch {
        // not on this system: the next one
      }
    }
    systemBundles.set(key, found);
  }
  return systemBundles.get(key);
}

/** The TLS options that make a connection verify the server as the credential's trust asks. */
export function verifyingOptions(
  credential: CredentialSecret,
  hostUsed: string,
  address: string,
  onIdentityError?: (err: Error) => void,
): Pick<tls.ConnectionOptions, 'rejectUnauthorized' | 'ca' | 'servername' | 'checkServerIdentity'> {
  const name = expectedName(credential, hostUsed, address);
  return {
    rejectUnauthorized: true,
    ca: credential.ca ?? systemRootCertificates(),
    // SNI carries names only; an address is checked against the certificate's IP SANs instead.
    servername: net.isIP(name) ? undefined : name,
    checkServerIdentity: (_host, cert) => {
      const err = tls.checkServerIdentity(name, cert);
      if (err) onIdentityError?.(err);
      return err;
    },
  };
}

// OpenSSL's verification codes that mean "no chain to a trusted root": Go says "signed by unknown authority".
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
]);

/**
 * The certificate problem in the words kubectl uses (Go's crypto/x509), so a user who met it there
 * recognises it: "x509: certificate signed by unknown authority", "… is valid for X, not Y".
 */
export function x509Problem(code: string | undefined, identityError?: Error, name?: string): string {
  if (identityError || code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const cert = (identityError as (Error & { cert?: tls.PeerCertificate }) | undefined)?.cert;
    const sans = (cert?.subjectaltname ?? '')
      .split(/,\s*/)
      .filter(Boolean)
      .map((s) => s.replace(/^(DNS|IP Address):/, ''));
    return sans.length > 0 && name
      ? `x509: certificate is valid for ${sans.join(', ')}, not ${name}`
      : `x509: certificate is not valid for ${name ?? 'this server'}`;
  }
  if (code && UNKNOWN_AUTHORITY.has(code)) return 'x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'x509: certificate has expired or is not yet valid';
  }
  return `x509: ${code ?? 'certificate not verified'}`;
}

/** The one-line error of a server the credential's trust does not accept; nothing was sent with it. */
export function untrusted(where: string, problem: string): NetError {
  return new NetError('untrusted', `${where}: ${problem}: the credential was not sent`);
}

export type TrustVerdict = { ok: true } | { ok: false; problem: string } | { ok: 'unknown' };

/**
 * One TLS handshake with no credential material (no client certificate, no request) that checks the
 * server's certificate as `credential` trusts. Node checks a certificate only once the handshake is done,
 * after a client certificate was already presented; asking first keeps an untrusted server from seeing
 * even that. A handshake that fails for another reason decides nothing ('unknown'): the request's own
 * connection verifies again and fails on its own terms.
 */
export function probeTrust(
  socketOptions: { host: string; port: number },
  credential: CredentialSecret,
  hostUsed: string,
  timeoutMs: number,
): Promise<TrustVerdict> {
  return new Promise((resolve) => {
    let identityError: Error | undefined;
    const name = expectedName(credential, hostUsed, socketOptions.host);
    const options = verifyingOptions(credential, hostUsed, socketOptions.host, (err) => {
      identityError = err;
    });
    const socket = tls.connect({
      ...socketOptions,
      ...options,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (verdict: TrustVerdict) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(verdict);
    };
    const timer = setTimeout(() => finish({ ok: 'unknown' }), timeoutMs);
    socket.once('secureConnect', () => {
      if (socket.authorized) return finish({ ok: true });
      const code = typeof socket.authorizationError === 'string' ? socket.authorizationError : undefined;
      finish({ ok: false, problem: x509Problem(code, identityError, name) });
    });
    socket.once('error', () => finish({ ok: 'unknown' }));
  });
}
