import type { KfEvent } from '../../core/events.js';
import { defineHunter, type HuntContext } from '../../core/hunter.js';

/** API servers a bare credential is tried on: the secure ports (the insecure one asks for no credential). */
function takesCredentials(s: KfEvent<'ServiceFound'>): boolean {
  return s.kind === 'apiserver' && s.scheme === 'https';
}

/**
 * A bare credential (`--token`) names no API server: it is bound to each one found, as a Credential of
 * the same name with `apiServer` set, which the credential hunter then asks. Bound copies are events like
 * any other, so the report shows where each identity was tried, and the engine publishes each pair once
 * whichever came first, the credential or the server.
 */
function bind(ctx: HuntContext, credential: KfEvent<'Credential'>, server: KfEvent<'ServiceFound'>): void {
  ctx.publish(
    'Credential',
    {
      name: credential.name,
      source: credential.source,
      apiServer: { host: server.host, port: server.port, scheme: server.scheme },
      ...(credential.namespace ? { namespace: credential.namespace } : {}),
      secret: credential.secret,
    },
    [credential.id, server.id],
  );
}

export const bindCredentialHunter = defineHunter({
  id: 'apiserver-bind-credential',
  title: 'Binds a credential that names no API server to every API server found',
  mode: 'passive',
  on: 'Credential',
  when: (c) => c.apiServer === undefined,
  async hunt(credential, ctx) {
    for (const server of ctx.known('ServiceFound', takesCredentials)) bind(ctx, credential, server);
  },
});

export const bindServerHunter = defineHunter({
  id: 'apiserver-bind-server',
  title: 'Binds every credential that names no API server to a newly found API server',
  mode: 'passive',
  on: 'ServiceFound',
  when: takesCredentials,
  async hunt(server, ctx) {
    for (const credential of ctx.known('Credential', (c) => c.apiServer === undefined)) bind(ctx, credential, server);
  },
});
