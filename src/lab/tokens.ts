import { createHash, generateKeyPair, type KeyObject, sign, verify } from 'node:crypto';

/** The issuer of bound service-account tokens (kube-apiserver --service-account-issuer). */
export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** The issuer of legacy, secret-based service-account tokens. */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export type Claims = Record<string, unknown>;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Signs and verifies service-account tokens: RS256 JWTs, like the ones kube-controller-manager issues. */
export class TokenSigner {
  private readonly kid: string;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
  ) {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    this.kid = b64url(createHash('sha256').update(der).digest());
  }

  sign(claims: Claims): string {
    const head = `${b64url(JSON.stringify({ alg: 'RS256', kid: this.kid }))}.${b64url(JSON.stringify(claims))}`;
    return `${head}.${b64url(sign('sha256', Buffer.from(head), this.privateKey))}`;
  }

  /** The claims of a token this signer made, or undefined (bad shape, bad signature, expired). */
  verify(token: string): Claims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const ok = verify(
      'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      this.publicKey,
      Buffer.from(parts[2], 'base64url'),
    );
    if (!ok) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Claims;
      if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }

  /** The public key, PEM (what kube-apiserver --service-account-key-file holds). */
  get publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}

let signer: Promise<TokenSigner> | undefined;

/** The service-account signing key, made once per process (an RSA key takes a few hundred ms). */
export function sharedTokenSigner(): Promise<TokenSigner> {
  signer ??= new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve(new TokenSigner(privateKey, publicKey)),
    ),
  );
  return signer;
}

export interface ServiceAccountRef {
  namespace: string;
  name: string;
  uid: string;
}

/** The claims of a token stored in a `kubernetes.io/service-account-token` secret. */
export function legacyClaims(sa: ServiceAccountRef, secretName: string): Claims {
  return {
    iss: LEGACY_ISSUER,
    'kubernetes.io/serviceaccount/namespace': sa.namespace,
    'kubernetes.io/serviceaccount/secret.name': secretName,
    'kubernetes.io/serviceaccount/service-account.name': sa.name,
    'kubernetes.io/serviceaccount/service-account.uid': sa.uid,
    sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
  };
}

/** The claims of a bound token, as projected into a pod or returned by the TokenRequest API. */
export function boundClaims(
  sa: ServiceAccountRef,
  jti: string,
  pod?: { name: string; uid: string },
  node?: { name: string; uid: string },
  seconds = 3607,
): Claims {
  const now = Math.floor(Date.now() / 1000);
  const kube: Claims = { namespace: sa.namespace, serviceaccount: { name: sa.name, uid: sa.uid } };
  if (node) kube.node = node;
  if (pod) {
    kube.pod = pod;
    kube.warnafter = now + 3600;
  }
  return {
    aud: [ISSUER],
    exp: now + seconds,
    iat: now,
    iss: ISSUER,
    jti,
    'kubernetes.io': kube,
    nbf: now,
    sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
  };
}

/** The service account a token's claims name, either shape. */
export function serviceAccountOf(claims: Claims): { namespace: string; name: string; uid?: string } | undefined {
  const kube = claims['kubernetes.io'] as
    | { namespace?: string; serviceaccount?: { name?: string; uid?: string } }
    | undefined;
  if (kube?.namespace && kube.serviceaccount?.name) {
    return { namespace: kube.namespace, name: kube.serviceaccount.name, uid: kube.serviceaccount.uid };
  }
  const ns = claims['kubernetes.io/serviceaccount/namespace'];
  const name = claims['kubernetes.io/serviceaccount/service-account.name'];
  if (typeof ns === 'string' && typeof name === 'string') {
    return { namespace: ns, name, uid: claims['kubernetes.io/serviceaccount/service-account.uid'] as string };
  }
  return undefined;
}
