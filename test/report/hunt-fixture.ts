import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { join } from 'node:path';
import { defaultConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import { type AnyHunter, defineHunter } from '../../src/core/hunter.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { type HuntResult, runHunt } from '../../src/run/hunt.js';

// A real hunt for the report tests: a tiny HTTPS "API server" and an HTTP "kubelet" on loopback, and
// small hunters that fingerprint them, present identities with known fake secrets, read a secret, and
// report findings under a real knowledge-base id. Some hunters are careless on purpose (secrets in
// evidence, in a warning, in an error, a token in a query string) so the redaction has work to do.

/** The knowledge-base entry the findings use (present in every build of the KB). */
export const KB_ID = 'KF-TLS-001';

/** Fake secrets known to the run; none may appear in any output. */
export const SECRETS = {
  devToken:
    'eyJhbGciOiJSUzI1NiIsImtpZCI6ImZha2UifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGV2In0.ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3RzLW9ubHk',
  opsPassword: 'Opsp4ss-w0rd-ferret',
  // A real key (the TLS layer refuses a malformed one), made fresh for each run.
  opsKey: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ format: 'pem', type: 'sec1' })
    .toString(),
  foundPassword: 'db-S3cret-Value-9931',
  queryToken: 'qt7F3a9C2e5B1d4F6a8C0eX',
};

/** Every string that must never be printed: each secret and each line of the key. */
export function forbiddenStrings(): string[] {
  const keyLines = SECRETS.opsKey.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  return [
    SECRETS.devToken,
    SECRETS.opsPassword,
    SECRETS.foundPassword,
    Buffer.from(SECRETS.foundPassword).toString('base64'),
    SECRETS.queryToken,
    ...keyLines,
  ];
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'report');

/** What the servers allow; a test changes it between hunts to make findings appear and go. */
export interface LabState {
  kubeletRunOpen: boolean;
  anonymousPods: boolean;
}

export interface Fixture {
  apiserver: { host: string; port: number };
  kubelet: { host: string; port: number };
  /** An address inside this file's block that is never in scope. */
  outside: string;
  state: LabState;
  hunt(options?: { tracePath?: string; hooks?: Parameters<typeof runHunt>[2] }): Promise<HuntResult>;
  close(): Promise<void>;
}

function authOf(req: http.IncomingMessage): 'dev' | 'ops' | 'anonymous' | 'bad' {
  const auth = req.headers.authorization;
  if (!auth) return 'anonymous';
  if (auth === `Bearer ${SECRETS.devToken}`) return 'dev';
  if (auth === `Basic ${Buffer.from(`ops:${SECRETS.opsPassword}`).toString('base64')}`) return 'ops';
  return 'bad';
}

function json(res: http.ServerResponse, status: number, body: unknown, kind: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-kind': kind });
  res.end(JSON.stringify(body));
}

async function listen(server: net.Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** The hunters of the fixture; `outside` is an out-of-scope address they learn and try to reach. */
function hunters(outside: string): AnyHunter[] {
  const fingerprint = defineHunter({
    id: 'test-fingerprint',
    title: 'Test fingerprinting',
    mode: 'passive',
    on: 'PortOpen',
    async hunt(e, ctx) {
      for (const scheme of ['https', 'http'] as const) {
        try {
          const res = await ctx.net.http({ url: `${scheme}://${e.host}:${e.port}/` });
          const kind = res.headers['x-kind'] === 'apiserver' ? 'apiserver' : 'kubelet';
          let version: string | undefined;
          if (kind === 'apiserver') {
            version = (await ctx.net.http({ url: `${scheme}://${e.host}:${e.port}/version` })).json<{
              gitVersion: string;
            }>()?.gitVersion;
          }
          ctx.publish('ServiceFound', {
            host: e.host,
            port: e.port,
            kind,
            scheme,
            ...(version && { version }),
            ...(res.cert && { cert: res.cert }),
            evidence: [`x-kind header says ${kind}`],
          });
          return;
        } catch {
          // try the next scheme
        }
      }
    },
  });
  const tlsEmail = defineHunter({
    id: 'test-tls-email',
    title: 'Test certificate e-mail',
    mode: 'passive',
    reports: [KB_ID],
    on: 'ServiceFound',
    when: (e) => (e.cert?.emails.length ?? 0) > 0,
    async hunt(e, ctx) {
      ctx.report({ kb: KB_ID, host: e.host, port: e.port, evidence: `certificate names ${e.cert!.emails.join(', ')}` });
    },
  });
  const identities = defineHunter({
    id: 'test-identities',
    title: 'Test identities',
    mode: 'passive',
    on: 'ServiceFound',
    when: (e) => e.kind === 'apiserver',
    async hunt(e, ctx) {
      const apiServer = { host: e.host, port: e.port, scheme: e.scheme };
      // As --token gives it (no CA: sent unverified), and a kubeconfig that says insecure-skip-tls-verify.
      ctx.publish('Credential', {
        name: 'dev',
        source: 'token',
        apiServer,
        secret: { token: SECRETS.devToken, trust: { tls: 'unverified' } },
      });
      ctx.publish('Credential', {
        name: 'ops',
        source: 'kubeconfig',
        apiServer,
        secret: {
          username: 'ops',
          password: SECRETS.opsPassword,
          clientKey: SECRETS.opsKey,
          trust: { tls: 'insecure-skip-tls-verify' },
        },
      });
    },
  });
  const checks = { 'list pods': '/api/v1/pods', 'get secrets': '/api/v1/secrets' };
  const probe = async (
    ctx: Parameters<AnyHunter['hunt']>[1],
    base: string,
    secret?: KfEvent<'Credential'>['secret'],
  ): Promise<Record<string, boolean>> => {
    const can: Record<string, boolean> = {};
    for (const [check, path] of Object.entries(checks)) {
      can[check] = (await ctx.net.http({ url: `${base}${path}`, credential: secret })).status === 200;
    }
    return can;
  };
  const anonymous = defineHunter({
    id: 'test-anonymous-access',
    title: 'Test anonymous access',
    mode: 'passive',
    reports: [KB_ID],
    on: 'ServiceFound',
    when: (e) => e.kind === 'apiserver',
    async hunt(e, ctx) {
      const can = await probe(ctx, `${e.scheme}://${e.host}:${e.port}`);
      const access = ctx.publish('ApiAccess', {
        host: e.host,
        port: e.port,
        scheme: e.scheme,
        identity: 'anonymous',
        via: 'anonymous',
        can,
      });
      if (can['list pods']) {
        ctx.report(
          {
            kb: KB_ID,
            host: e.host,
            port: e.port,
            path: '/api/v1/pods',
            identity: 'anonymous',
            severity: 'high',
            evidence: 'GET /api/v1/pods answered 200 without credentials',
          },
          [access.id],
        );
      }
    },
  });
  const credentialAccess = defineHunter({
    id: 'test-credential-access',
    title: 'Test credential access',
    mode: 'passive',
    on: 'Credential',
    when: (e) => e.source !== 'found' && e.apiServer !== undefined,
    async hunt(e, ctx) {
      const { host, port, scheme } = e.apiServer!;
      const can = await probe(ctx, `${scheme}://${host}:${port}`, e.secret);
      ctx.publish('ApiAccess', { host, port, scheme, identity: e.name, via: 'credential', credential: e.name, can });
    },
  });
  const secretsReader = defineHunter({
    id: 'test-secrets-reader',
    title: 'Test secrets reader',
    mode: 'passive',
    reports: [KB_ID],
    on: 'ApiAccess',
    when: (e) => e.can['get secrets'] === true,
    async hunt(e, ctx) {
      const cred = ctx.known('Credential', (c) => c.name === e.credential)[0];
      const res = await ctx.net.http({
        url: `${e.scheme}://${e.host}:${e.port}/api/v1/secrets`,
        credential: cred?.secret,
      });
      const list = res.json<{ items: { metadata: { name: string }; data: Record<string, string> }[] }>();
      const item = list?.items[0];
      if (!item) return;
      const password = Buffer.from(item.data.password, 'base64').toString('utf8');
      ctx.publish('Credential', { name: `found:default/${item.metadata.name}`, source: 'found', secret: { password } });
      // Careless on purpose: the secret, its base64 form and the caller's token straight into the evidence.
      ctx.report({
        kb: KB_ID,
        host: e.host,
        port: e.port,
        path: '/api/v1/secrets',
        identity: e.identity,
        severity: 'critical',
        evidence: `read secret default/${item.metadata.name}: password=${password} (data ${item.data.password}) with Authorization: Bearer ${cred?.secret.token}`,
      });
      ctx.log(`the token ${cred?.secret.token} can read secrets`, 'warn');
    },
  });
  const kubeletRun = defineHunter({
    id: 'test-kubelet-run',
    title: 'Test kubelet run',
    mode: 'passive',
    reports: [KB_ID],
    on: 'ServiceFound',
    when: (e) => e.kind === 'kubelet',
    async hunt(e, ctx) {
      const res = await ctx.net.http({ url: `http://${e.host}:${e.port}/run?token=${SECRETS.queryToken}` });
      if (res.status === 200) {
        ctx.report({
          kb: KB_ID,
          host: e.host,
          port: e.port,
          path: '/run',
          identity: 'anonymous',
          severity: 'high',
          evidence: 'GET /run answered 200 without credentials',
        });
      }
      // A cut the hunter knows of, quoting the URL it read (careless on purpose: the token must not show).
      ctx.gap({
        host: e.host,
        port: e.port,
        subject: '/pods',
        reason: 'cap',
        detail: `GET /pods?token=${SECRETS.queryToken} cut at 1 MiB after 3 pods`,
      });
      ctx.publish('AddressLearned', {
        address: outside,
        origin: 'kubelet /pods hostIP',
        inScope: ctx.net.inScope(outside),
      });
      await ctx.net.http({ url: `http://${outside}:${e.port}/pods` }).catch(() => undefined);
    },
  });
  // Secrets reach hunters only through Credential events, so a careless error quoting one comes after it.
  const broken = defineHunter({
    id: 'test-broken',
    title: 'Test hunter that fails',
    mode: 'passive',
    on: 'Credential',
    when: (e) => e.name === 'ops',
    async hunt(e) {
      throw new Error(`cannot log in as ${e.name} with password ${e.secret.password}`);
    },
  });
  return [fingerprint, tlsEmail, identities, anonymous, credentialAccess, secretsReader, kubeletRun, broken];
}

/**
 * Starts the servers on `<prefix>.1.2` (API server, HTTPS) and `<prefix>.1.3` (kubelet, HTTP), e.g. prefix
 * `127.31`. `hunt()` runs a real hunt of both with the fixture's hunters.
 */
export async function startFixture(prefix: string): Promise<Fixture> {
  const state: LabState = { kubeletRunOpen: true, anonymousPods: false };
  const api = https.createServer(
    { key: readFileSync(join(FIXTURES, 'server-key.pem')), cert: readFileSync(join(FIXTURES, 'server-cert.pem')) },
    (req, res) => {
      const who = authOf(req);
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/version') return json(res, 200, { gitVersion: 'v1.29.3' }, 'apiserver');
      if (path === '/api/v1/pods') {
        const ok = who === 'dev' || who === 'ops' || (who === 'anonymous' && state.anonymousPods);
        return json(res, ok ? 200 : 403, ok ? { items: [] } : { kind: 'Status', code: 403 }, 'apiserver');
      }
      if (path === '/api/v1/secrets') {
        if (who !== 'dev') return json(res, 403, { kind: 'Status', code: 403 }, 'apiserver');
        const data = { password: Buffer.from(SECRETS.foundPassword).toString('base64') };
        return json(res, 200, { items: [{ metadata: { name: 'db' }, data }] }, 'apiserver');
      }
      return json(res, 200, { kind: 'Status', paths: ['/api', '/version'] }, 'apiserver');
    },
  );
  const kubelet = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/run') return json(res, state.kubeletRunOpen ? 200 : 403, {}, 'kubelet');
    return json(res, 404, {}, 'kubelet');
  });
  const apiHost = `${prefix}.1.2`;
  const kubeletHost = `${prefix}.1.3`;
  const apiPort = await listen(api, apiHost);
  const kubeletPort = await listen(kubelet, kubeletHost);
  const outside = `${prefix}.200.1`;
  return {
    apiserver: { host: apiHost, port: apiPort },
    kubelet: { host: kubeletHost, port: kubeletPort },
    outside,
    state,
    hunt: (options = {}) =>
      runHunt(
        defaultConfig({
          targets: [parseTarget(`${apiHost}:${apiPort}`), parseTarget(`${kubeletHost}:${kubeletPort}`)],
          connectTimeoutMs: 3000,
          requestTimeoutMs: 8000,
          hunterTimeoutMs: 20_000,
          tracePath: options.tracePath,
        }),
        hunters(outside),
        options.hooks,
      ),
    close: async () => {
      for (const s of [api, kubelet]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
