import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { FOUND_TOKENS_MAX } from '../../../src/hunters/apiserver/secrets.js';
import { etcdHunters } from '../../../src/hunters/etcd/index.js';
import { storedSecret } from '../../../src/hunters/etcd/tokens.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { encodeKubernetesProtobuf } from '../../../src/lab/protobuf.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { assertNoSecrets, assertOnlyReads, type Hunt, huntDiscovered, huntLab, type LabHunt } from '../lab-hunt.js';

// Block 127.154.5.0/24 – 127.154.6.0/24: the service-account tokens an open etcd holds, as found
// Credentials (JSON and protobuf values, encrypted and unreadable ones as gaps), and the paths they give.

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const SA_TOKEN = 'kubernetes.io/service-account-token';
const secret = (name: string, type: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'ops' },
  type,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

describe('stored Secrets', () => {
  it('reads the type and token of JSON and protobuf values, says which are encrypted, guesses at nothing', () => {
    const json = Buffer.from(JSON.stringify(secret('a', SA_TOKEN, { token: 'tok-json', 'ca.crt': 'x' })));
    assert.deepEqual(storedSecret(json), { type: SA_TOKEN, token: 'tok-json' });
    const proto = encodeKubernetesProtobuf(secret('b', SA_TOKEN, { 'ca.crt': 'x', token: 'tok-proto' }));
    assert.ok(proto);
    assert.deepEqual(storedSecret(proto), { type: SA_TOKEN, token: 'tok-proto' });
    assert.deepEqual(storedSecret(encodeKubernetesProtobuf(secret('c', 'Opaque', { password: 'p' }))!), {
      type: 'Opaque',
      token: undefined,
    });
    assert.equal(storedSecret(Buffer.from('k8s:enc:aescbc:v1:key1:\x00\x01garbage')), 'encrypted');
    assert.equal(storedSecret(Buffer.from('not json, not protobuf')), undefined);
    assert.equal(storedSecret(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff])), undefined);
  });
});

describe('etcd tokens, vulnerable lab', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: '127.154.5.2', nodes: 1, etcd: 'simulated' });
    hunt = await huntLab(lab, { hunters: [...apiserverHunters, ...etcdHunters], ports: [PORTS.apiserver, PORTS.etcd] });
  });
  after(() => lab.stop());

  it('publishes every token Secret etcd holds as a found Credential bound to the API server on its host', async () => {
    assert.deepEqual(hunt.result.problems, []);
    const stored = Object.entries((await lab.snapshot()).etcd ?? {})
      .filter(([key, value]) => key.startsWith('/registry/secrets/') && JSON.parse(value).type === SA_TOKEN)
      .map(([key, value]) => [
        `etcd:${key.slice('/registry/secrets/'.length)}`,
        Buffer.from(JSON.parse(value).data.token, 'base64').toString(),
      ]);
    assert.ok(stored.length >= 5, 'the lab holds token Secrets');
    // The first FOUND_TOKENS_MAX by key, the rest a gap; each token the one etcd holds (compared, not printed).
    const truth = new Map(stored.map(([name, token]) => [name, token]));
    const published = hunt.result.events.flatMap((e) =>
      e.type === 'Credential' && e.name.startsWith('etcd:')
        ? [[e.name, e.secret.token === truth.get(e.name), e.source, e.apiServer?.port]]
        : [],
    );
    const names = [...truth.keys()].sort();
    assert.deepEqual(
      published.sort(),
      names.slice(0, FOUND_TOKENS_MAX).map((name) => [name, true, 'found', PORTS.apiserver]),
    );
    assert.ok(names.length > FOUND_TOKENS_MAX, 'the lab holds more tokens than are hunted with');
    assert.deepEqual(
      hunt.gaps.filter((g) => g.subject === 'etcd /registry/secrets/ tokens').map((g) => `${g.reason}: ${g.detail}`),
      [`cap: ${names.length} service-account tokens; the first ${FOUND_TOKENS_MAX} (by key) hunted with`],
    );
    assertOnlyReads(hunt);
    assertNoSecrets(lab, hunt.result);
  });

  it('hunts with them: the lab-admin token is cluster-admin in one step', () => {
    const admin = hunt.findings.filter(
      (f) => f.kb === 'KF-PATH-001' && f.identity?.startsWith('etcd:kube-system/lab-admin-token-'),
    );
    assert.equal(admin.length, 1);
    assert.match(
      admin[0].evidence,
      / in 1 step .*: 1\. wildcard → cluster-admin: \* \* \(ClusterRoleBinding lab-admin → ClusterRole cluster-admin\)/,
    );
  });
});

describe('etcd tokens, odd values', () => {
  let server: TestServer;
  let hunt: Hunt;
  const values: [string, Buffer][] = [
    ['/registry/secrets/ops/enc', Buffer.from('k8s:enc:aescbc:v1:key1:\x00\x01')],
    ['/registry/secrets/ops/garbage', Buffer.from('<html>')],
    [
      '/registry/secrets/ops/json-token',
      Buffer.from(JSON.stringify(secret('json-token', SA_TOKEN, { token: 'tok-json' }))),
    ],
    [
      '/registry/secrets/ops/opaque',
      Buffer.from(JSON.stringify(secret('opaque', 'Opaque', { token: 'not-an-account' }))),
    ],
    [
      '/registry/secrets/ops/proto-token',
      encodeKubernetesProtobuf(secret('proto-token', SA_TOKEN, { token: 'tok-proto' }))!,
    ],
  ];
  before(async () => {
    server = await startHttpServer(
      '127.154.6.1',
      (req: IncomingMessage, res: ServerResponse) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/version') {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"etcdserver":"3.5.9","etcdcluster":"3.5.0"}');
          return;
        }
        if (req.method !== 'POST' || path !== '/v3/kv/range') {
          res.writeHead(404).end('404 page not found\n');
          return;
        }
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const ask = JSON.parse(body) as { key: string; range_end: string; keys_only?: boolean; limit?: number };
          const from = Buffer.from(ask.key, 'base64').toString();
          const end = Buffer.from(ask.range_end, 'base64').toString();
          const all = from === '\0' && end === '\0';
          const selected = values.filter(([k]) => all || (k >= from && k < end));
          const shown = selected.slice(0, ask.limit || selected.length);
          const kvs = shown.map(([k, v]) => ({ key: b64(k), ...(!ask.keys_only && { value: b64(v) }) }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              header: { revision: '9' },
              kvs,
              count: String(selected.length),
              ...(shown.length < selected.length && { more: true }),
            }),
          );
        });
      },
      PORTS.etcd,
    );
    hunt = await huntDiscovered([server], { hunters: etcdHunters });
  });
  after(() => server.close());

  it('takes the tokens of JSON and protobuf token Secrets only, unbound (no API server found)', () => {
    const published = hunt.result.events.flatMap((e) =>
      e.type === 'Credential' ? [[e.name, e.secret.token, e.apiServer === undefined]] : [],
    );
    assert.deepEqual(published, [
      ['etcd:ops/json-token', 'tok-json', true],
      ['etcd:ops/proto-token', 'tok-proto', true],
    ]);
  });

  it('says what it could not read: encrypted values, and values that are neither JSON nor protobuf', () => {
    const gaps = hunt.gaps
      .filter((g) => g.subject === 'etcd /registry/secrets/ values')
      .map((g) => `${g.reason}: ${g.detail}`);
    assert.deepEqual(gaps.sort(), [
      'error: 1 of 5 values neither JSON nor Kubernetes protobuf',
      'skipped: 1 of 5 Secrets encrypted at rest (k8s:enc:): their tokens not read',
    ]);
  });
});
