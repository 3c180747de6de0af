import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { defineHunter } from '../../src/core/hunter.js';
import { apiserverHunters } from '../../src/hunters/apiserver/index.js';
import { secretsHunter } from '../../src/hunters/apiserver/secrets.js';
import { exposedHunters } from '../../src/hunters/exposed/index.js';
import { kubeletHunters } from '../../src/hunters/kubelet/index.js';
import { type Lab, PORTS, startLab } from '../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';
import { type Hunt, huntLab, huntServices, type LabHunt } from './lab-hunt.js';

// Loopback block 127.69.0.0/16 (see test/README.md).

const SA_TOKEN = 'kubernetes.io/service-account-token';

// Each size past the point where a finding used to vanish (issue 12): 4,000 pods cut /pods at 8 MiB,
// 10,000 pods cut /stats/summary at 1 MiB, ~4,000 namespaces passed the 1 MiB cap of an unpaged list,
// 10,000 Opaque Secrets listed before the token Secrets outlasted 20 pages of 500.
const PODS = 10_000;
const SECRETS = 10_000;
const NAMESPACES = 4_000;

describe('hunting a lab the size of a real cluster', () => {
  let lab: Lab;
  let hunt: LabHunt;
  let node: string;

  before(async () => {
    lab = await startLab({
      profile: 'vulnerable',
      base: '127.69.0.2',
      nodes: 1,
      etcd: 'off',
      scale: { podsPerNode: PODS, secrets: SECRETS, namespaces: NAMESPACES },
    });
    node = lab.hosts[1].address;
    hunt = await huntLab(lab, {
      hunters: [...kubeletHunters, ...apiserverHunters, ...exposedHunters],
      ports: [PORTS.apiserver, PORTS.apiserverInsecure, PORTS.kubectlProxy, PORTS.kubelet, PORTS.kubeletReadOnly],
    });
  });
  after(() => lab?.stop());

  const on = (kb: string, host: string) =>
    hunt.findings.filter((f) => f.kb === kb && f.host === host && (f.port === undefined || f.port === PORTS.kubelet));

  it('leaves nothing unexamined', () => {
    assert.deepEqual(
      hunt.gaps.map((g) => `${g.hunter} ${g.subject}: ${g.detail}`),
      [],
    );
  });

  it('reads every pod of the node: the risky ones listed last are found, and every handler probed', () => {
    for (const kb of [
      'KF-KUBELET-001',
      'KF-KUBELET-004',
      'KF-KUBELET-005',
      'KF-KUBELET-007',
      'KF-KUBELET-008',
      'KF-KUBELET-011',
      'KF-KUBELET-018',
    ]) {
      assert.equal(on(kb, node).length, 1, `${kb} on the node's authenticated port`);
    }
    const pods = on('KF-KUBELET-001', node)[0].evidence;
    const listed = Number(/PodList of (\d+) pods/.exec(pods)?.[1]);
    assert.ok(listed > PODS, `${listed} pods counted`);
    assert.doesNotMatch(pods, /partial/);
    const privileged = on('KF-KUBELET-010', node).map((f) => f.object ?? '');
    assert.equal(privileged.length, 2, privileged.join(', '));
    assert.equal(privileged[0], 'pod default/debug-tools');
    assert.match(privileged[1], /^pod kube-system\/kube-proxy-/);
    assert.ok(
      on('KF-KUBELET-014', node).some((f) => /^pod logging\/log-collector-/.test(f.object ?? '')),
      'the /var/log mount of the log collector',
    );
    assert.match(on('KF-KUBELET-018', node)[0].evidence, new RegExp(`and ${listed} pods$`));
  });

  it('asks for /pods once per kubelet port, discovery and hunters together', () => {
    const asked = hunt.requests.filter((r) => r.component === 'kubelet' && r.path === '/pods');
    assert.deepEqual(asked.map((r) => r.port).sort(), [PORTS.kubelet, PORTS.kubeletReadOnly]);
  });

  it('lists every Secret to the end, so the token Secrets after 10,000 others are found', () => {
    const tokens = hunt.of('KF-API-008', 'anonymous');
    assert.equal(tokens.length, 1);
    assert.doesNotMatch(tokens[0].evidence, /partial/);
    const listed = hunt.of('KF-API-007', 'anonymous')[0].evidence;
    const secrets = Number(/listed (\d+) secrets/.exec(listed)?.[1]);
    assert.ok(secrets > SECRETS, `${secrets} secrets counted`);
    // Every added Secret and the lab's own Opaque ones (their number changes as the lab grows).
    const opaque = Number(/: (\d+) Opaque, \d+ kubernetes.io\/service-account-token/.exec(listed)?.[1]);
    assert.ok(opaque > SECRETS, listed);
    const pages = hunt.requests.filter((r) => r.path.startsWith('/api/v1/secrets?limit=500'));
    assert.ok(pages.length > SECRETS / 500, `${pages.length} pages asked`);
    assert.ok(
      hunt.requests.every((r) => r.component !== 'kube-apiserver' || !/\/(secrets|namespaces|pods)$/.test(r.path)),
      'every list is asked with a limit',
    );
  });

  it('pages the namespaces a kubectl proxy lends, and reports it', () => {
    const [proxy] = hunt.findings.filter((f) => f.kb === 'KF-PROXY-001');
    assert.ok(proxy, 'KF-PROXY-001');
    // Counted whole: the first page's remainingItemCount says how many the list holds.
    const n = Number(/listed (\d+) namespaces/.exec(proxy.evidence)?.[1]);
    assert.ok(n > NAMESPACES, `${n} namespaces counted: ${proxy.evidence}`);
    assert.doesNotMatch(proxy.evidence, /partial|at least/);
    const pages = hunt.requests.filter(
      (r) => r.component === 'kubectl-proxy' && /^\/api\/v1\/namespaces(\?|$)/.test(r.path),
    );
    assert.ok(pages.length >= 1, 'namespaces were listed through the proxy');
    const unpaged = pages.filter((r) => !r.path.includes('limit='));
    assert.deepEqual(
      unpaged.map((r) => r.path),
      [],
    );
  });
});

describe('hunting a kubelet whose /pods trickles past the hunters’ deadline', () => {
  let lab: Lab;
  let hunt: LabHunt;
  let node: string;

  before(async () => {
    lab = await startLab({
      profile: 'vulnerable',
      base: '127.69.1.2',
      nodes: 1,
      etcd: 'off',
      scale: { podsPerNode: 3_000 },
      faults: [{ port: PORTS.kubelet, trickle: { bytes: 8 * 1024, everyMs: 50 } }],
    });
    node = lab.hosts[1].address;
    hunt = await huntLab(lab, {
      hunters: kubeletHunters,
      addresses: [node],
      ports: [PORTS.kubelet],
      config: { hunterTimeoutMs: 2_000 },
    });
  });
  after(() => lab?.stop());

  it('reports the kubelet with what it read, saying the list was cut', () => {
    const [anonymous] = hunt.of('KF-KUBELET-001');
    assert.ok(anonymous, 'KF-KUBELET-001 from the part of the list that was read');
    assert.match(anonymous.evidence, /PodList of \d+ pods .*\(partial: the list was cut after \d+ pods: .*timed out/);
  });

  it('publishes the cut as a coverage gap with what was examined', () => {
    const gaps = hunt.gaps.filter((g) => g.host === node && g.port === PORTS.kubelet && g.subject === '/pods');
    assert.ok(gaps.length > 0, JSON.stringify(hunt.gaps));
    for (const g of gaps) {
      assert.equal(g.reason, 'deadline');
      assert.match(g.detail, /^\/pods was read up to pod \d+ \(\d+ bytes\), then: .*timed out/);
    }
    const readers = new Set(gaps.map((g) => g.hunter));
    assert.ok(readers.has('kubelet-access'), [...readers].join(', '));
  });
});

/** A hunter that announces, for every API server found, that anonymous callers have these rights. */
function anonymousMay(can: Record<string, boolean>) {
  return defineHunter({
    id: 'test-anonymous-access',
    title: 'announces what anonymous callers may do',
    mode: 'passive',
    on: 'ServiceFound',
    async hunt(service, ctx) {
      ctx.publish('ApiAccess', {
        host: service.host,
        port: service.port,
        scheme: service.scheme,
        identity: 'anonymous',
        via: 'anonymous',
        can,
      });
    },
  });
}

describe('listing Secrets when a page of the list fails', () => {
  let server: TestServer;
  let hunt: Hunt;
  const row = (ns: string, name: string, type: string, account?: string) => ({
    cells: [name, type, 1, '1d'],
    object: {
      metadata: {
        name,
        namespace: ns,
        ...(account && { annotations: { 'kubernetes.io/service-account.name': account } }),
      },
    },
  });
  const table = (rows: unknown[], next?: string) => ({
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '9', ...(next && { continue: next }) },
    columnDefinitions: ['Name', 'Type', 'Data', 'Age'].map((name) => ({ name })),
    rows,
  });

  before(async () => {
    // An API server whose Secrets list has three pages: the second ends the connection mid-answer.
    server = await startHttpServer('127.69.2.1', (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (body: unknown) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname !== '/api/v1/secrets') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
        return;
      }
      const page = url.searchParams.get('continue');
      assert.equal(url.searchParams.get('limit'), '500', 'every page asks with a limit');
      if (!page) {
        send(
          table([row('a', 'opaque-1', 'Opaque'), row('kube-system', 'builder-token-x', SA_TOKEN, 'builder')], 'page-2'),
        );
      } else if (page === 'page-2') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"kind":"Table","rows":[');
        setTimeout(() => res.socket?.resetAndDestroy(), 20);
      } else send(table([row('kube-system', 'never-seen-token', SA_TOKEN, 'admin')]));
    });
    const access = anonymousMay({ 'list secrets': true, '* *': true });
    hunt = await huntServices([{ host: server.host, port: server.port, kind: 'apiserver', scheme: 'http' }], {
      hunters: [access, secretsHunter],
    });
  });
  after(() => server?.close());

  it('reports what the pages read showed, saying the listing is partial', () => {
    const [listed] = hunt.of('KF-API-007');
    assert.match(
      listed.evidence,
      /^anonymous listed at least 2 secrets .*\(partial: the listing stopped after 1 page: page 2: /,
    );
    const [tokens] = hunt.of('KF-API-008');
    assert.match(tokens.evidence, /kube-system\/builder-token-x \(service account builder\)/);
    assert.doesNotMatch(tokens.evidence, /never-seen-token/);
    assert.match(tokens.evidence, /\(partial: /);
  });

  it('publishes the failed page as a coverage gap with what was examined', () => {
    assert.deepEqual(
      hunt.gaps.map((g) => [g.hunter, g.subject, g.reason]),
      [['apiserver-secrets', 'list secrets (anonymous)', 'page-failed']],
    );
    assert.match(hunt.gaps[0].detail, /^2 secrets in 1 page were examined \(all namespaces\), then: page 2: /);
  });
});

describe('listing Secrets when the server answers the list with something else', () => {
  let server: TestServer;
  let hunt: Hunt;

  before(async () => {
    server = await startHttpServer('127.69.3.1', (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><title>Sign in</title></html>');
    });
    const access = anonymousMay({ 'list secrets': true });
    hunt = await huntServices([{ host: server.host, port: server.port, kind: 'apiserver', scheme: 'http' }], {
      hunters: [access, secretsHunter],
    });
  });
  after(() => server?.close());

  it('reports no Secrets, and says they could not be examined', () => {
    assert.deepEqual(hunt.findings, []);
    assert.deepEqual(
      hunt.gaps.map((g) => [g.subject, g.reason]),
      [['list secrets (anonymous)', 'error']],
    );
    assert.match(
      hunt.gaps[0].detail,
      /^no Secret could be examined: all namespaces: GET \/api\/v1\/secrets → 200 text\/html /,
    );
  });
});
