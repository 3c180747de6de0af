import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';
import { assertOnlyReads, huntApiAs, huntDiscovered, type LabHunt } from '../lab-hunt.js';

// CronJobs are served as batch/v1beta1 only on Kubernetes 1.8-1.20 (the vulnerable lab is 1.16): they
// are read there as kubectl's discovery finds them, and a server serving no version of them is read for
// none. Loopback block 127.147.0.0/16.

const LAB_BASE = '127.147.0.2';

describe('CronJobs on a 1.16 server: read from batch/v1beta1', () => {
  let lab: Lab;
  let hunt: LabHunt;
  before(async () => {
    lab = await startLab({ profile: 'vulnerable', base: LAB_BASE, nodes: 1, etcd: 'off' });
    hunt = await huntApiAs(lab, 'reader');
  });
  after(async () => {
    await lab?.stop();
  });

  it('asks discovery, lists batch/v1beta1 cronjobs, never batch/v1 cronjobs (not served in 1.16)', () => {
    assertOnlyReads(hunt);
    const paths = hunt.requests.map((r) => `${r.status} ${r.path.split('?')[0]}`);
    assert.ok(paths.includes('200 /apis/batch/v1'), 'batch/v1 discovery read');
    assert.ok(paths.includes('200 /apis/batch/v1beta1'), 'batch/v1beta1 discovery read');
    assert.ok(paths.includes('200 /apis/batch/v1beta1/cronjobs'), 'CronJobs listed at batch/v1beta1');
    assert.equal(
      paths.filter((p) => p.endsWith('/apis/batch/v1/cronjobs')).length,
      0,
      'batch/v1 cronjobs never asked for',
    );
    assert.deepEqual(
      hunt.gaps.filter((g) => g.subject.includes('cronjobs')),
      [],
    );
  });

  it("the lab's CronJobs are judged: KF-OPS-013 (every 5 minutes, Allow) and KF-OPS-011 (pinned to a gone node)", () => {
    assert.deepEqual(
      hunt.of('KF-OPS-013').map((f) => f.object),
      ['fleet/CronJob/sync-inventory'],
    );
    assert.ok(
      hunt.of('KF-OPS-011').some((f) => f.object === 'fleet/CronJob/nightly-reindex'),
      'the CronJob pinned to the gone node',
    );
  });

  /** A relay to the lab's insecure port that answers `refuse(url)` itself when it says so. */
  const relay = (address: string, seen: string[], refuse: (url: string) => number | undefined) =>
    startHttpServer(
      address,
      (req, res) => {
        const url = req.url ?? '/';
        seen.push(url);
        const status = refuse(url);
        if (status !== undefined) {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status }));
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

  it('a server serving CronJobs in no version: nothing listed, nothing asked of them, no gap', async () => {
    // As a server would that had dropped batch/v1beta1.
    const seen: string[] = [];
    const server: TestServer = await relay('127.147.0.10', seen, (url) =>
      url.startsWith('/apis/batch/v1beta1') ? 404 : undefined,
    );
    try {
      const bare = await huntDiscovered([{ host: '127.147.0.10', port: PORTS.apiserverInsecure }], {
        hunters: apiserverHunters,
      });
      assert.ok(
        seen.some((u) => u.startsWith('/apis/batch/v1/jobs')),
        'Jobs were read (batch/v1 is served)',
      );
      assert.deepEqual(
        seen.filter((u) => u.includes('/cronjobs')),
        [],
        'no list of a resource discovery does not serve',
      );
      assert.ok(bare.of('KF-OPS-011').length > 0, 'the rest was judged');
      assert.deepEqual(bare.of('KF-OPS-013'), []);
      assert.deepEqual(
        bare.gaps.filter((g) => g.subject.includes('cronjobs')),
        [],
      );
    } finally {
      await server.close();
    }
  });

  it('discovery denied (as to anonymous from 1.14): a one-object list tells, 404 at batch/v1, read at batch/v1beta1', async () => {
    const seen: string[] = [];
    const server: TestServer = await relay('127.147.0.11', seen, (url) =>
      url === '/apis/batch/v1' || url === '/apis/batch/v1beta1' ? 403 : undefined,
    );
    try {
      const bare = await huntDiscovered([{ host: '127.147.0.11', port: PORTS.apiserverInsecure }], {
        hunters: apiserverHunters,
      });
      assert.ok(seen.includes('/apis/batch/v1/cronjobs?limit=1'), 'the probe at batch/v1');
      assert.ok(
        seen.some((u) => u.startsWith('/apis/batch/v1beta1/cronjobs?limit=250')),
        'the CronJobs read at batch/v1beta1',
      );
      assert.deepEqual(
        bare.of('KF-OPS-013').map((f) => f.object),
        ['fleet/CronJob/sync-inventory'],
      );
    } finally {
      await server.close();
    }
  });
});
