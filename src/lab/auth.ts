import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { StaticToken } from './options.js';
import { RESOURCES, resourceOfKind } from './resources.js';
import type { Store } from './store.js';
import { serviceAccountOf, type TokenSigner } from './tokens.js';
import { ANONYMOUS, certificateUser, serviceAccountUser, type UserInfo } from './users.js';

const SERVICE_ACCOUNTS = resourceOfKind(RESOURCES, 'ServiceAccount');
const SECRETS = resourceOfKind(RESOURCES, 'Secret');

/** Who sent a request: a user, or `undefined` when the credentials failed (401). */
export type Authentication = { user: UserInfo; via: 'token' | 'certificate' | 'anonymous' } | undefined;

/**
 * Authenticates requests the way kube-apiserver does: a bearer token of its token file or signed by the
 * lab's service-account key (whose account, and for legacy tokens whose secret, still exists), else a client certificate signed
 * by the cluster CA, else anonymous when allowed. A bad token is a 401 even when anonymous is allowed.
 */
export class Authenticator {
  private readonly staticUsers: Map<string, UserInfo>;

  constructor(
    private readonly store: Store,
    private readonly signer: TokenSigner,
    staticTokens: readonly StaticToken[] = [],
  ) {
    this.staticUsers = new Map(
      staticTokens.map((t) => [t.token, { name: t.user, groups: [...t.groups, 'system:authenticated'] }]),
    );
  }

  /** The user a token stands for (a static token's, else a service account's), or undefined. */
  tokenUser(token: string): UserInfo | undefined {
    const user = this.staticUsers.get(token);
    if (user) return user;
    const claims = this.signer.verify(token);
    const sa = claims && serviceAccountOf(claims);
    if (!sa) return undefined;
    const account = this.store.get(SERVICE_ACCOUNTS, sa.namespace, sa.name);
    if (!account || (sa.uid && account.metadata.uid !== sa.uid)) return undefined;
    const secretName = claims['kubernetes.io/serviceaccount/secret.name'];
    if (typeof secretName === 'string' && !this.store.has(SECRETS, sa.namespace, secretName)) return undefined;
    return serviceAccountUser(sa.namespace, sa.name, account.metadata.uid);
  }

  authenticate(req: IncomingMessage, anonymous: boolean): Authentication {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const user = m ? this.tokenUser(m[1]) : undefined;
      return user ? { user, via: 'token' } : undefined;
    }
    const socket = req.socket as TLSSocket;
    if (typeof socket.getPeerCertificate === 'function') {
      const cert = socket.getPeerCertificate();
      if (cert && Object.keys(cert).length > 0) {
        if (!socket.authorized) return undefined;
        const o = cert.subject.O;
        const orgs = Array.isArray(o) ? o : o ? [o] : [];
        return { user: certificateUser(String(cert.subject.CN), orgs), via: 'certificate' };
      }
    }
    return anonymous ? { user: ANONYMOUS, via: 'anonymous' } : undefined;
  }
}
