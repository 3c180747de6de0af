import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { defineHunter } from '../../../src/core/hunter.js';
import { podActiveTokenRules } from '../../../src/hunters/pod/active-token-rules.js';
import { runHunt } from '../../../src/run/hunt.js';
import { startHttpsServer, type TestServer } from '../../helpers/servers.js';

// Block 127.78.0.0/16: API servers that answer the pod token's SelfSubjectRulesReview in every way one
// can. Only rules that grant something beyond self reviews are a proof; every other answer is one debug
// line, and the hunt goes on.

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'report');
const TLS = {
  cert: readFileSync(join(FIXTURES, 'server-cert.pem'), 'utf8'),
  key: readFileSync(join(FIXTURES, 'server-key.pem'), 'utf8'),
};
const REVIEW = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
const SELF = { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectrulesreviews'] };

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const ANSWERS: Record<string, http.RequestListener> = {
  grants: (_req, res) =>
    json(res, 201, {
      kind: 'SelfSubjectRulesReview',
      status: {
        resourceRules: [SELF, { verbs: ['create', 'get'], apiGroups: [''], resources: ['pods', 'pods/exec'] }],
        incomplete: true,
      },
    }),
  selfOnly: (_req, res) => json(res, 201, { kind: 'SelfSubjectRulesReview', status: { resourceRules: [SELF] } }),
  forbidden: (_req, res) =>
    json(res, 403, { kind: 'Status', status: 'Failure', reason: 'Forbidden', message: 'reviews are off', code: 403 }),
  garbage: (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>'),
  silent: () => undefined,
};

const servers: Record<string, TestServer> = {};
const asked: Record<string, { path: string; namespace?: string; auth?: string }[]> = {};

before(async () => {
  let i = 10;
  for (const [name, answer] of Object.entries(ANSWERS)) {
    asked[name] = [];
    servers[name] = await startHttpsServer(
      `127.78.0.${i++}`,
      (req, res) => {
        let body = '';
        req.on('data', (c) => {
          body += c;
        });
        req.on('end', () => {
          const namespace = (() => {
            try {
              return JSON.parse(body).spec?.namespace;
            } catch {
              return undefined;
            }
          })();
          asked[name].push({ path: `${req.method} ${req.url}`, namespace, auth: req.headers.authorization });
          answer(req, res);
        });
      },
      TLS,
    );
  }
});
after(async () => {
  for (const s of Object.values(servers)) await s.close();
});

/** Stands in for the pod vantage point: the pod's token, for each API server. */
const podToken = defineHunter({
  id: 'test-pod-token',
  title: 'publishes the pod token',
  mode: 'passive',
  on: 'HuntStarted',
  async hunt(_e, ctx) {
    for (const s of Object.values(servers)) {
      ctx.publish('Credential', {
        name: 'pod:dev/deployer',
        source: 'pod',
        apiServer: { host: s.host, port: s.port, scheme: 'https' },
        // These servers' certificate is their own: the pod's ca.crt would be it, and says nothing here.
        secret: { token: 'pod-token-value-0123456789', trust: { tls: 'insecure-skip-tls-verify' } },
      });
    }
  },
});

describe('pod-active-token-rules against API servers that answer the review every way', () => {
  let findings: KfEvent<'Finding'>[];
  let debug: string[];
  let problems: string[];

  before(async () => {
    debug = [];
    const result = await runHunt(
      defaultConfig({
        scope: Object.values(servers).map((s) => s.host),
        active: true,
        yes: true,
        journalPath: join(mkdtempSync(join(tmpdir(), 'kf-pod-rules-')), 'j.jsonl'),
        requestTimeoutMs: 1000,
      }),
      [podToken, podActiveTokenRules],
      { onDebug: (line) => debug.push(line) },
    );
    findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
    problems = result.problems.map((p) => p.message);
  });

  it("asks each server once, in the pod's namespace, with the pod's token", () => {
    for (const name of Object.keys(ANSWERS)) {
      assert.deepEqual(asked[name], [
        { path: `POST ${REVIEW}`, namespace: 'dev', auth: 'Bearer pod-token-value-0123456789' },
      ]);
    }
  });

  it('proves only the rules that grant something, in words, without the self reviews', () => {
    assert.deepEqual(
      findings.map((f) => [f.kb, f.host, f.identity, f.proof]),
      [['KF-POD-101', servers.grants.host, 'pod:dev/deployer', true]],
    );
    assert.equal(
      findings[0].evidence,
      "the pod's token (pod:dev/deployer) may in namespace dev: create,get pods, pods/exec (the review is incomplete)",
    );
  });

  it('says in one line what every other server answered, and no hunter fails', () => {
    assert.deepEqual(problems, []);
    const about = (s: TestServer) =>
      debug.filter((l) => l.startsWith(`pod-active-token-rules on pod:dev/deployer@${s.host}:${s.port}: `));
    assert.deepEqual(about(servers.forbidden), [
      `pod-active-token-rules on pod:dev/deployer@${servers.forbidden.host}:${servers.forbidden.port}: SelfSubjectRulesReview as pod:dev/deployer: HTTP 403: reviews are off`,
    ]);
    assert.match(
      about(servers.garbage).join('\n'),
      /: POST \S*selfsubjectrulesreviews → 200 text\/html "<html>login<\/html>"$/,
    );
    assert.match(about(servers.silent).join('\n'), /selfsubjectrulesreviews: (timed out|no answer in time)/);
    assert.deepEqual(about(servers.selfOnly), []);
    for (const line of debug) assert.ok(!line.includes('\n'), 'one line');
  });
});
