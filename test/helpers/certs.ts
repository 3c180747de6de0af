import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate with its PEM private key. */
export interface Pem {
  cert: string;
  key: string;
}

export interface CertOptions {
  /** Subject common name. */
  cn: string;
  /** DNS names and IP addresses for the subjectAltName. */
  dns?: string[];
  ips?: string[];
  /** Signed by this CA; self-signed (and usable as a CA) when absent. */
  issuer?: Pem;
  /** A client certificate (extended key usage clientAuth) rather than a server one. */
  client?: boolean;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Generates a certificate for a test server, client or CA (ECDSA P-256, valid for a day) with openssl. */
export function makeCert(options: CertOptions): Pem {
  const dir = mkdtempSync(join(tmpdir(), 'kf-cert-'));
  try {
    const sans = [...(options.dns ?? []).map((d) => `DNS:${d}`), ...(options.ips ?? []).map((i) => `IP:${i}`)];
    const ext = [
      sans.length ? `subjectAltName=${sans.join(',')}` : '',
      options.issuer
        ? `extendedKeyUsage=${options.client ? 'clientAuth' : 'serverAuth'}`
        : 'basicConstraints=critical,CA:TRUE',
    ].filter(Boolean);
    writeFileSync(join(dir, 'ext.cnf'), `${ext.join('\n')}\n`);
    const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem'];
    if (options.issuer) {
      writeFileSync(join(dir, 'ca.pem'), options.issuer.cert);
      writeFileSync(join(dir, 'ca.key'), options.issuer.key);
      openssl(['req', '-new', ...key, '-out', 'req.csr', '-subj', `/CN=${options.cn}`], dir);
      openssl(
        ['x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1'].concat(
          ['-extfile', 'ext.cnf', '-out', 'cert.pem'],
        ),
        dir,
      );
    } else {
      openssl(['req', '-x509', ...key, '-out', 'cert.pem', '-days', '1', '-subj', `/CN=${options.cn}`], dir);
      // -addext is applied through a config file so older and newer openssl read it alike.
      openssl(
        ['req', '-x509', '-key', 'key.pem', '-out', 'cert.pem', '-days', '1', '-subj', `/CN=${options.cn}`].concat(
          ext.flatMap((e) => ['-addext', e]),
        ),
        dir,
      );
    }
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
