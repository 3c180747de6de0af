import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { defineHunter } from '../../../src/core/hunter.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { apiserverActiveObjects } from '../../../src/hunters/apiserver/active-objects.js';
import { runHunt } from '../../../src/run/hunt.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';

// This file's loopback block: 127.74.0.0/16. An API server that enforces Pod Security and gives the
// identity nothing but pods in its own namespace: the hunter falls back to an unprivileged pod there.
const HOST = '127.74.0.2';
const NAMESPACE = 'team-a';
/** A service-account token as the API server issues them: only its claims matter here. */
const TOKEN = [
  Buffer.from('{"alg":"RS256"}').toString('base64url'),
  Buffer.from(JSON.stringify({ 'kubernetes.io': { namespace: NAMESPACE, serviceaccount: { name: 'ci' } } })).toString(
    'base64url',
  ),
  'c2lnbmF0dXJl',
].join('.');

const forbidden = (message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Forbidden',
  code: 403,
  message,
});

let server: TestServer;
const pods = new Map<string, unknown>();
const seen: string[] = [];
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kf-api-objects-'));
  server = await startHttpServer(HOST, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      seen.push(`${req.method} ${path}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { kind: 'Status', code: 401 });
      const podPath = new RegExp(`^/api/v1/namespaces/${NAMESPACE}/pods(?:/([^/]+))?$`).exec(path);
      if (!podPath) return send(403, forbidden(`${req.method} ${path} is forbidden`));
      const name = podPath[1];
      if (req.method === 'POST') {
        const pod = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (pod.spec.containers[0].securityContext?.privileged) {
          return send(
            403,
            forbidden(
              `pods "${pod.metadata.name}" is forbidden: violates PodSecurity "baseline:latest": privileged (container "proof" must not set securityContext.privileged=true), host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "host")`,
            ),
          );
        }
        pods.set(pod.metadata.name, pod);
        return send(201, pod);
      }
      if (!name || !pods.has(name)) return send(404, { kind: 'Status', code: 404 });
      if (req.method === 'PATCH') return send(200, pods.get(name));
      if (req.method === 'DELETE') {
        pods.delete(name);
        return send(200, { kind: 'Status', status: 'Success' });
      }
      send(405, {});
    });
  });
});
after(() => server.close());
beforeEach(() => {
  seen.length = 0;
});

/** Stands in for the vantage point (the token) and the passive hunter that found what it may do. */
function access(can: Record<string, boolean>) {
  return defineHunter({
    id: 'test-access',
    title: 'publishes the credential and its access',
    mode: 'passive',
    on: 'PortOpen',
    async hunt(e, ctx) {
      const apiServer = { host: e.host, port: e.port, scheme: 'http' as const };
      ctx.publish('Credential', { name: 'token-file:ci', source: 'token', apiServer, secret: { token: TOKEN } });
      ctx.publish('ApiAccess', {
        ...apiServer,
        identity: 'token-file:ci',
        via: 'credential',
        credential: 'token-file:ci',
        can,
      });
    },
  });
}

function config() {
  return defaultConfig({
    targets: [parseTarget(`${HOST}:${server.port}`)],
    active: true,
    yes: true,
    journalPath: join(dir, `j-${Math.random().toString(36).slice(2)}.jsonl`),
  });
}

describe('apiserver-active-objects where Pod Security refuses privileged pods', () => {
  it("falls back to an unprivileged pod in the token's own namespace, proves create, patch and delete, leaves nothing", async () => {
    const result = await runHunt(config(), [access({}), apiserverActiveObjects]);
    const proofs = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.proof === true);
    assert.deepEqual(
      proofs.map((f) => [f.kb, f.identity]),
      [
        ['KF-API-109', 'token-file:ci'],
        ['KF-API-111', 'token-file:ci'],
        ['KF-API-112', 'token-file:ci'],
      ],
    );
    assert.match(proofs[0].object ?? '', new RegExp(`^pod ${NAMESPACE}/kubeferret-${result.runId}-[0-9a-f]{6}$`));
    // The refusal is a defence that held, reported with the server's own words.
    const defences = result.events.filter(
      (e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.kb === 'KF-API-201',
    );
    assert.equal(defences.length, 1);
    assert.equal(defences[0].identity, 'token-file:ci');
    assert.equal(defences[0].object, proofs[0].object);
    assert.match(
      defences[0].evidence,
      /^create privileged pod team-a\/kubeferret-\S+ .* as token-file:ci → HTTP 403: pods "kubeferret-\S+" is forbidden: violates PodSecurity "baseline:latest": privileged/,
    );
    assert.equal(pods.size, 0);
    assert.deepEqual(
      seen.filter((s) => !s.startsWith('GET')),
      [
        'POST /api/v1/namespaces',
        `POST /apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles`,
        'POST /apis/rbac.authorization.k8s.io/v1/clusterroles',
        `POST /api/v1/namespaces/${NAMESPACE}/pods`,
        `POST /api/v1/namespaces/${NAMESPACE}/pods`,
        `PATCH /api/v1/namespaces/${NAMESPACE}/pods/${proofs[0].object?.split('/')[1]}`,
        `DELETE /api/v1/namespaces/${NAMESPACE}/pods/${proofs[0].object?.split('/')[1]}`,
      ],
    );
    assert.deepEqual(
      result.changes.map((c) => [c.action.replace(/kubeferret-\S+/g, 'X'), c.undone]),
      [
        [`create pod ${NAMESPACE}/X`, true],
        [`patch pod ${NAMESPACE}/X (add label kubeferret/patched)`, true],
      ],
    );
  });

  it('does not try what the passive hunter found refused', async () => {
    const result = await runHunt(config(), [
      access({ 'create namespaces': false, 'create roles': false, 'create clusterroles': false, 'create pods': false }),
      apiserverActiveObjects,
    ]);
    assert.ok(result.engine.huntersRun.includes('apiserver-active-objects'));
    assert.deepEqual(
      seen.filter((s) => !s.startsWith('GET')),
      [],
    );
  });
});
