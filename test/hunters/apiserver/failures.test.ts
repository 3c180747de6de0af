import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { discoveryHunters } from '../../../src/discovery/hunters.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../../src/discovery/vantage/identity.js';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { type HuntResult, runHunt } from '../../../src/run/hunt.js';
import { startHttpsServer, startTcpServer, type TestServer } from '../../helpers/servers.js';
import { tokenIdentity } from '../lab-hunt.js';

// Block 127.52.0.0/16: API servers that answer /version like one and then misbehave. Each gives one
// warning line per hunter that asks it, and the hunt of a real (lab) API server next to them goes on.

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'report');
const TLS = {
  cert: readFileSync(join(FIXTURES, 'server-cert.pem'), 'utf8'),
  key: readFileSync(join(FIXTURES, 'server-key.pem'), 'utf8'),
};

const VERSION = JSON.stringify({ major: '1', minor: '29', gitVersion: 'v1.29.1', goVersion: 'go1.21.6' });

/** An HTTPS server that answers /version as an API server does and everything else with `misbehave`. */
function poser(host: string, misbehave: http.RequestListener): Promise<TestServer> {
  return startHttpsServer(
    host,
    (req, res) => {
      if (req.url === '/version') res.writeHead(200, { 'content-type': 'application/json' }).end(VERSION);
      else misbehave(req, res);
    },
    TLS,
  );
}

const servers: Record<string, TestServer> = {};
let lab: Lab;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: '127.52.1.2', nodes: 1, etcd: 'off' });
  servers.garbage = await poser('127.52.0.10', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255, 254, 7, 8]));
  });
  servers.silent = await poser('127.52.0.11', () => undefined);
  servers.waf = await poser('127.52.0.12', (_req, res) => {
    res.writeHead(403, { 'content-type': 'text/html' }).end('<html><body>Request blocked by policy</body></html>');
  });
  const huge = Buffer.from(`{"kind":"Table","rows":[${'{"cells":["x"]},'.repeat(200_000)}{}]}`);
  servers.huge = await poser('127.52.0.13', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(huge);
  });
  // Not even TLS: a kubeconfig naming it gets one warning.
  servers.notTls = await startTcpServer('127.52.0.14', (s) => s.end(Buffer.alloc(256, 0x41)));
});

after(async () => {
  await lab.stop();
  for (const s of Object.values(servers)) await s.close();
});

describe('API servers that misbehave after /version', () => {
  let result: HuntResult;
  let findings: KfEvent<'Finding'>[];
  const problemsAt = (server: TestServer) =>
    result.problems.filter((p) => p.message.startsWith(`${server.host}:${server.port} `));

  before(async () => {
    const notTls = servers.notTls;
    const brokenKubeconfig = new Identity(
      'broken-context',
      'kubeconfig',
      { url: `https://${notTls.host}:${notTls.port}`, host: notTls.host, port: notTls.port, scheme: 'https' },
      { token: 'whatever-token-value' },
    );
    const posers = [servers.garbage, servers.silent, servers.waf, servers.huge];
    result = await runHunt(
      defaultConfig({
        targets: [...posers.map((s) => parseTarget(s.host)), parseTarget(lab.hosts[0].address)],
        ports: [...new Set([...posers.map((s) => s.port), PORTS.apiserver])],
        // The silent server costs one request timeout per survey; the lab must answer well within it.
        connectTimeoutMs: 10_000,
        requestTimeoutMs: 8000,
        hunterTimeoutMs: 90_000,
        extra: {
          [VANTAGE_KEY]: {
            identities: [tokenIdentity(lab, 'reader'), brokenKubeconfig],
            discoverNodes: false,
          } satisfies VantageSettings,
        },
      }),
      [...discoveryHunters, ...apiserverHunters],
    );
    findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  });

  it('a server answering garbage: one warning line per identity asked', () => {
    const problems = problemsAt(servers.garbage);
    assert.deepEqual(problems.map((p) => [p.hunter, p.kind]).sort(), [
      ['apiserver-anonymous-access', 'warning'],
      ['apiserver-credential-access', 'warning'],
    ]);
    assert.match(
      problems[0].message,
      /as (anonymous|reader): \d+ answers decided nothing \(GET \/api\/v1\/\S+ → 200 application\/octet-stream /,
    );
  });

  it('a server that never answers: one warning each, after one request', () => {
    const problems = problemsAt(servers.silent);
    assert.equal(problems.length, 2);
    for (const p of problems) {
      assert.equal(p.kind, 'warning', 'not a hunter timeout: the survey gave up after its first request');
      assert.match(
        p.message,
        /: GET https:\/\/127\.52\.0\.11:\d+\/api\/v1\/namespaces\?limit=500: .*(timed out|no answer)/,
      );
    }
  });

  it('a 403 that is not a Kubernetes Status (a WAF page) decides nothing', () => {
    const problems = problemsAt(servers.waf);
    assert.equal(problems.length, 2);
    assert.match(problems[0].message, /→ 403 text\/html "<html><body>Request blocked by policy<\/b…"\)$/);
  });

  it('an answer larger than the body limit decides nothing', () => {
    const problems = problemsAt(servers.huge);
    assert.equal(problems.length, 2);
    assert.match(problems[0].message, /→ 200 application\/json, larger than the body limit\)$/);
  });

  it('a kubeconfig naming a server that does not speak TLS: one warning', () => {
    const problems = problemsAt(servers.notTls);
    assert.deepEqual(
      problems.map((p) => p.hunter),
      ['apiserver-credential-access'],
    );
    assert.match(problems[0].message, /as broken-context: GET https:\/\/127\.52\.0\.14:\d+\/api\/v1\/namespaces/);
  });

  it('concludes nothing about the misbehaving servers but their version', () => {
    const bad = new Set(Object.values(servers).map((s) => s.host));
    assert.deepEqual(
      result.events.filter((e) => e.type === 'ApiAccess' && bad.has(e.host)),
      [],
    );
    // The version, and the one thing a TCP connect settles: nothing listens on the host's insecure port.
    assert.deepEqual([...new Set(findings.filter((f) => f.host && bad.has(f.host)).map((f) => f.kb))].sort(), [
      'KF-API-003',
      'KF-API-203',
    ]);
  });

  it('the hunt goes on: the lab next to them is hunted completely', () => {
    const labFindings = new Set(
      findings.filter((f) => f.host === lab.hosts[0].address).map((f) => `${f.kb} ${f.identity}`),
    );
    for (const expected of ['KF-API-002 anonymous', 'KF-API-009 anonymous', 'KF-API-005 reader', 'KF-API-006 reader']) {
      assert.ok(labFindings.has(expected), expected);
    }
    assert.deepEqual(
      result.problems.filter((p) => p.message.startsWith(`${lab.hosts[0].address}:`)),
      [],
    );
    assert.ok(!result.problems.some((p) => p.kind === 'timeout' || p.kind === 'error'));
  });
});
