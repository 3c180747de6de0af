import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { defineHunter } from '../../../src/core/hunter.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { type HuntResult, runHunt } from '../../../src/run/hunt.js';
import { startHttpServer, type TestServer } from '../../helpers/servers.js';

// This file's loopback block: 127.76.0.0/16. A kubelet stub whose answers each test sets: containers that
// cannot run `id`, a /var/log escape whose read fails (the link must still go), answers that are garbage.
const HOST = '127.76.0.2';

interface Stub {
  pods: unknown;
  /** Answer to POST /run/<ns>/<pod>/<container>?cmd=…, by `<pod>/<container> <cmd>`. */
  run: (key: string) => [number, string];
  logs: (path: string) => [number, string];
}

let server: TestServer;
let stub: Stub;
const seen: string[] = [];
let dir: string;

const pod = (name: string, containers: string[], extra: { volumes?: unknown[]; mounts?: unknown[] } = {}) => ({
  metadata: { name, namespace: 'default' },
  spec: {
    containers: containers.map((c) => ({ name: c, volumeMounts: extra.mounts ?? [] })),
    volumes: extra.volumes ?? [],
  },
  status: { phase: 'Running' },
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kf-kubelet-'));
  server = await startHttpServer(HOST, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    const answer = ([status, body]: [number, string]) => {
      res.writeHead(status);
      res.end(body);
    };
    if (url.pathname === '/pods')
      return answer([200, typeof stub.pods === 'string' ? stub.pods : JSON.stringify(stub.pods)]);
    const run = /^\/run\/default\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (run && req.method === 'POST') return answer(stub.run(`${run[1]}/${run[2]} ${url.searchParams.get('cmd')}`));
    if (url.pathname.startsWith('/logs/') || url.pathname.startsWith('/containerLogs/'))
      return answer(stub.logs(url.pathname));
    answer([404, 'not found']);
  });
});
after(() => server.close());
beforeEach(() => {
  seen.length = 0;
});

/** Stands in for the passive kubelet hunters: every kubelet weakness found on the stub. */
const findings = defineHunter({
  id: 'test-kubelet-findings',
  title: 'passive kubelet findings',
  mode: 'passive',
  on: 'PortOpen',
  reports: ['KF-KUBELET-006', 'KF-KUBELET-004', 'KF-KUBELET-012', 'KF-KUBELET-014'],
  async hunt(e, ctx) {
    ctx.publish('ServiceFound', { host: e.host, port: e.port, kind: 'kubelet', scheme: 'http', evidence: ['stub'] });
    for (const kb of ['KF-KUBELET-006', 'KF-KUBELET-004', 'KF-KUBELET-012', 'KF-KUBELET-014'])
      ctx.report({ kb, host: e.host, port: e.port, evidence: 'stub' });
  },
});

function hunt(): Promise<HuntResult> {
  return runHunt(
    defaultConfig({
      targets: [parseTarget(`${HOST}:${server.port}`)],
      active: true,
      yes: true,
      journalPath: join(dir, `j-${Math.random().toString(36).slice(2)}.jsonl`),
    }),
    [findings, ...kubeletHunters],
  );
}

const proofs = (r: HuntResult) =>
  r.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.proof === true);

describe('active kubelet hunters against a kubelet that misbehaves', () => {
  it('skip a container that cannot run the commands and prove with the next', async () => {
    stub = {
      pods: { items: [pod('distroless', ['app']), pod('shell', ['sh'])] },
      run: (key) =>
        key.startsWith('distroless/') ? [500, 'exec: "id": executable file not found in $PATH'] : [200, `${key} ok`],
      logs: () => [404, 'no'],
    };
    const r = await hunt();
    assert.deepEqual(
      proofs(r).map((f) => [f.kb, f.object]),
      [['KF-KUBELET-101', 'container default/shell/sh']],
    );
    assert.match(proofs(r)[0].evidence, /`id` → shell\/sh id ok; `uname -a` → shell\/sh uname -a ok/);
    // The run, container-logs, system-logs and /var/log hunters all need the pods: one request between them.
    assert.deepEqual(
      seen.filter((s) => s.startsWith('GET /pods')),
      ['GET /pods'],
    );
  });

  it('remove the /var/log link even when reading through it fails, and report no proof', async () => {
    stub = {
      pods: {
        items: [
          pod('collector', ['fluentd'], {
            volumes: [{ name: 'varlog', hostPath: { path: '/var/log/' } }],
            mounts: [{ name: 'varlog', mountPath: '/host/log' }],
          }),
        ],
      },
      run: () => [200, ''],
      logs: () => [404, 'no such file'],
    };
    const r = await hunt();
    assert.deepEqual(proofs(r), []);
    const link = `/host/log/kubeferret-${r.runId}`;
    assert.deepEqual(
      seen.filter(
        (s) =>
          s.startsWith('POST /run/default/collector/fluentd?cmd=l') ||
          s.startsWith('POST /run/default/collector/fluentd?cmd=rm'),
      ),
      [
        `POST /run/default/collector/fluentd?cmd=${encodeURIComponent(`ln -s / ${link}`)}`,
        `POST /run/default/collector/fluentd?cmd=${encodeURIComponent(`rm -f ${link}`)}`,
      ],
    );
    assert.deepEqual(
      r.changes.map((c) => c.undone),
      [true],
    );
  });

  for (const [hostPath, mountPath, linkDir, logsDir] of [
    ['/var', '/host-var', '/host-var/log', ''],
    ['/', '/host/', '/host/var/log', ''],
    ['/var/log/pods', '/p', '/p', 'pods/'],
  ]) {
    it(`escape through a writable mount of ${hostPath} at ${mountPath}: the link goes where the node's /var/log is`, async () => {
      stub = {
        pods: {
          items: [
            pod('cache', ['c'], {
              volumes: [{ name: 'host', hostPath: { path: hostPath } }],
              mounts: [{ name: 'host', mountPath }],
            }),
          ],
        },
        run: () => [200, ''],
        logs: (path) => (/\/kubeferret-[a-z0-9]+\/etc\/hostname$/.test(path) ? [200, 'node-7\n'] : [404, 'no']),
      };
      const r = await hunt();
      const link = `${linkDir}/kubeferret-${r.runId}`;
      assert.deepEqual(
        seen.filter(
          (s) =>
            s.startsWith('POST /run/default/cache/c?cmd=l') ||
            s.startsWith('POST /run/default/cache/c?cmd=rm') ||
            s.startsWith('GET /logs/k') ||
            s.startsWith('GET /logs/p'),
        ),
        [
          `POST /run/default/cache/c?cmd=${encodeURIComponent(`ln -s / ${link}`)}`,
          `GET /logs/${logsDir}kubeferret-${r.runId}/etc/hostname`,
          `POST /run/default/cache/c?cmd=${encodeURIComponent(`rm -f ${link}`)}`,
        ],
      );
      const proof = proofs(r).find((f) => f.kb === 'KF-KUBELET-104');
      assert.equal(proof?.object, 'pod default/cache');
      assert.match(
        proof?.evidence ?? '',
        new RegExp(
          `^linked /var/log/${logsDir}kubeferret-${r.runId} → / through default/cache/c \\(mounts the host ${hostPath.replace(/\/$/, '') || '/'} at ${mountPath.replace(/(.)\/$/, '$1')}\\) and read the node's /etc/hostname: "node-7"; link removed$`,
        ),
      );
      assert.deepEqual(
        r.changes.map((c) => c.undone),
        [true],
      );
    });
  }

  it('leave a read-only /var/log mount alone', async () => {
    stub = {
      pods: {
        items: [
          pod('reader', ['c'], {
            volumes: [{ name: 'varlog', hostPath: { path: '/var/log' } }],
            mounts: [{ name: 'varlog', mountPath: '/var/log', readOnly: true }],
          }),
        ],
      },
      run: () => [200, 'x'],
      logs: () => [404, ''],
    };
    const r = await hunt();
    assert.ok(!seen.some((s) => s.includes('cmd=ln')));
    assert.deepEqual(r.changes, []);
  });

  it('answer garbage: nothing proved, nothing changed, nothing fails', async () => {
    stub = { pods: '<html>not json', run: () => [200, ''], logs: () => [200, '<html>no links</html>'] };
    const r = await hunt();
    assert.deepEqual(proofs(r), []);
    assert.deepEqual(r.changes, []);
    assert.deepEqual(r.problems, []);
    assert.ok(!seen.some((s) => s.startsWith('POST')));
  });
});
