import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { AnyHunter } from '../../../src/core/hunter.js';
import { attackPathsHunter } from '../../../src/hunters/apiserver/attack-paths.js';
import { bindCredentialHunter, bindServerHunter } from '../../../src/hunters/apiserver/bind-credentials.js';
import { credentialAccessHunter } from '../../../src/hunters/apiserver/credential-access.js';
import { insecurePortHunter } from '../../../src/hunters/apiserver/insecure-port.js';
import { secretsHunter } from '../../../src/hunters/apiserver/secrets.js';
import { workloadsHunter } from '../../../src/hunters/apiserver/workloads.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntDiscovered, huntLab, type LabHunt, tokenIdentity } from '../lab-hunt.js';

// Block 127.146.0.0/16 (one /24 per suite): the pods and the RBAC objects are read once per API server and
// run, whichever hunters need them (workloads, attack paths, secrets ranking), and each consumer still gets
// its findings, and its gap when the read was cut.

const survey: AnyHunter[] = [bindCredentialHunter, bindServerHunter, credentialAccessHunter];
const consumers: AnyHunter[] = [workloadsHunter, attackPathsHunter, secretsHunter];

/** What a consumer reported, without the evidence (which names the reader). */
const reported = (hunt: Hunt, hunters: readonly AnyHunter[]) =>
  hunt.findings
    .filter((f) => hunters.some((h) => h.id === f.publisher))
    .map((f) => `${f.publisher} ${f.kb} ${f.object} ${f.identity ?? '-'}`)
    .sort();

/** Requests for the first page of a full read of `path` (pages of 250), by identity. */
const firstPages = (hunt: LabHunt, path: string) =>
  hunt.requests.filter((r) => r.path === `${path}?limit=250`).map((r) => r.identity ?? 'anonymous');

describe('the hunters that need pods and RBAC, on the default lab with two identities', () => {
  let lab: Lab;
  let together: LabHunt;
  const alone: Hunt[] = [];

  before(async () => {
    lab = await startLab({ profile: 'default', base: '127.146.1.2', nodes: 1, etcd: 'off' });
    const identities = [tokenIdentity(lab, 'reader'), tokenIdentity(lab, 'admin')];
    const options = { ports: [PORTS.apiserver], addresses: [lab.hosts[0].address], identities };
    together = await huntLab(lab, { ...options, hunters: [...survey, ...consumers] });
    // Each consumer on its own: what it reports when it reads for itself alone.
    for (const consumer of consumers) alone.push(await huntLab(lab, { ...options, hunters: [...survey, consumer] }));
  });

  after(() => lab.stop());

  it('lists the pods once for the server; the other identity lists one pod to show it may', () => {
    assert.deepEqual(together.result.problems, []);
    const readers = [lab.credentials.reader.user, lab.credentials.admin.user];
    assert.equal(together.access.filter((a) => a.can['list pods']).length, 2);
    const full = firstPages(together, '/api/v1/pods');
    assert.equal(full.length, 1, `one full read of the pods, not ${full.join(', ')}`);
    const shown = together.requests.filter((r) => r.path === '/api/v1/pods?limit=1').map((r) => r.identity);
    assert.equal(shown.length, 1, `one identity shows it may list pods: ${shown.join(', ')}`);
    assert.notEqual(shown[0], full[0]);
    assert.deepEqual([...full, ...shown].sort(), readers.sort());
  });

  it('lists each kind of controller once for the server too (workload checks and templates of the paths)', () => {
    for (const path of ['/apis/apps/v1/deployments', '/apis/apps/v1/daemonsets', '/apis/batch/v1/cronjobs']) {
      const full = firstPages(together, path);
      assert.equal(full.length, 1, `${path} read in full by ${full.join(', ')}`);
    }
  });

  it('reads each kind of RBAC object once per identity, not once per hunter', () => {
    for (const resource of ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings']) {
      const pages = firstPages(together, `/apis/rbac.authorization.k8s.io/v1/${resource}`);
      assert.ok(pages.length > 0, `${resource} read`);
      assert.equal(new Set(pages).size, pages.length, `${resource} read by ${pages.join(', ')}`);
    }
  });

  it('gives every consumer the findings it gives when it reads alone', () => {
    for (const [i, consumer] of consumers.entries()) {
      const own = reported(alone[i], [consumer]);
      assert.deepEqual(reported(together, [consumer]), own, consumer.id);
    }
    const kbs = new Set(together.findings.map((f) => f.kb));
    for (const kb of ['KF-PATH-001', 'KF-WORKLOAD-005', 'KF-OPS-001']) assert.ok(kbs.has(kb), `${kb} reported`);
    // Alone, each consumer read the pods itself: the sharing is what made the one read above.
    assert.equal(firstPages(alone[1] as LabHunt, '/api/v1/pods').length, 1);
  });
});

// The vulnerable lab's insecure port behind a relay that fails the second page of pods (the read is cut
// once, and each hunter that used it says so) and resets every listing of Secrets.
const RELAY = '127.146.2.10';
const LAB_BASE = '127.146.2.2';

describe('a page of pods that fails mid-read', () => {
  let lab: Lab;
  let relay: TestServer;
  let hunt: Hunt;
  const podPages: string[] = [];

  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: LAB_BASE, nodes: 1, etcd: 'off', scale: { podsPerNode: 300 } });
    relay = await startHttpServer(
      RELAY,
      (req, res) => {
        const url = req.url ?? '/';
        if (url.startsWith('/api/v1/pods?limit=250')) podPages.push(url);
        if (url.startsWith('/api/v1/secrets?')) {
          // The token Secrets cannot be listed at all: the paths are computed without them, with a gap.
          req.socket.destroy();
          return;
        }
        if (url.startsWith('/api/v1/pods?limit=250&continue=')) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcd went away","code":500}');
          return;
        }
        const upstream = http.request(
          { host: LAB_BASE, port: PORTS.apiserverInsecure, path: url, method: req.method, headers: req.headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      },
      PORTS.apiserverInsecure,
    );
    hunt = await huntDiscovered([{ host: RELAY, port: PORTS.apiserverInsecure }], {
      hunters: [insecurePortHunter, workloadsHunter, attackPathsHunter],
    });
  });

  after(async () => {
    await relay?.close();
    await lab?.stop();
  });

  it('reads the first page once and fails on the second once', () => {
    assert.equal(podPages.filter((p) => p === '/api/v1/pods?limit=250').length, 1, podPages.join(' '));
    assert.ok(podPages.length <= 4, `no read again after the failure: ${podPages.join(' ')}`);
  });

  it('is a page-failed gap for each hunter that used the read', () => {
    const cut = hunt.gaps.filter((g) => g.subject === 'list pods (insecure-port)');
    const by = cut.map((g) => `${g.hunter} ${g.reason}`).sort();
    assert.deepEqual(by, ['apiserver-attack-paths page-failed', 'apiserver-workloads page-failed']);
    for (const g of cut) assert.match(g.detail, /500 Status etcd went away; 250 objects read in all namespaces/);
  });

  it('computes the paths without the token Secrets it could not list, and says so', () => {
    const secrets = hunt.gaps.filter(
      (g) => g.hunter === 'apiserver-attack-paths' && g.subject === 'list secrets (insecure-port)',
    );
    assert.equal(secrets.length, 1, JSON.stringify(hunt.gaps.map((g) => `${g.hunter} ${g.subject}`)));
    assert.match(secrets[0].detail, /0 token Secrets in the first 0 pages/);
  });

  it('still reports what the first page showed', () => {
    assert.ok(hunt.of('KF-API-001').length > 0, 'the insecure port');
    assert.ok(hunt.of('KF-PATH-001').length + hunt.of('KF-WORKLOAD-007').length > 0, 'paths from what was read');
  });
});
