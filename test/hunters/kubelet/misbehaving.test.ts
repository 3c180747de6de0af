import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KfEvent } from '../../../src/core/events.js';
import { kubeletHunters } from '../../../src/hunters/kubelet/index.js';
import { HOSTILE_PORTS, type Lab, startLab } from '../../../src/lab/index.js';
import { selfSignedServing } from '../../../src/lab/pki.js';
import { startHttpServer, startHttpsServer, type TestServer } from '../../helpers/servers.js';
import { type Hunt, huntServices, type KnownService } from '../lab-hunt.js';

// Loopback block 127.61.0.0/16 (see test/README.md).

describe("kubelet hunters on the lab's hostile host", () => {
  let lab: Lab;
  let hunt: Hunt;
  let services: KnownService[];
  const dir = mkdtempSync(join(tmpdir(), 'kubeferret-kubelet-'));
  const trace = join(dir, 'trace.jsonl');

  before(async () => {
    lab = await startLab({ profile: 'hardened', base: '127.61.0.2', nodes: 1, etcd: 'off', hostile: true });
    const host = lab.hosts.find((h) => h.role === 'hostile')!.address;
    // Each misbehaving port announced as a kubelet, as a fooled fingerprint would.
    services = [
      { host, port: HOSTILE_PORTS.silent, kind: 'kubelet', scheme: 'https' },
      { host, port: HOSTILE_PORTS.badTls, kind: 'kubelet', scheme: 'https' },
      { host, port: HOSTILE_PORTS.garbage, kind: 'kubelet-readonly', scheme: 'http' },
      { host, port: HOSTILE_PORTS.huge, kind: 'kubelet-readonly', scheme: 'http' },
      { host, port: HOSTILE_PORTS.redirect, kind: 'kubelet-readonly', scheme: 'http' },
    ];
    hunt = await huntServices(services, { hunters: kubeletHunters, config: { tracePath: trace } });
  });
  after(async () => {
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing, and the hunt ends', () => {
    assert.deepEqual(hunt.findings, []);
    assert.equal(hunt.result.interrupted, false);
  });

  it('says at most one line per port, and the right one', () => {
    const problems = hunt.result.problems.filter((p) => p.hunter.startsWith('kubelet-'));
    for (const s of services) {
      const mine = problems.filter((p) => p.subject === `${s.host}:${s.port}`);
      assert.ok(mine.length <= 1, `${s.port}: ${mine.map((p) => p.message).join(' | ')}`);
    }
    for (const p of problems) {
      assert.equal(p.kind, 'warning');
      assert.ok(!p.message.includes('\n'), 'one line');
      assert.ok(!/\n\s+at /.test(p.message), 'no stack trace');
    }
    const said = (port: number) => problems.find((p) => p.subject.endsWith(`:${port}`))?.message ?? '';
    assert.match(said(HOSTILE_PORTS.silent), /GET https:\/\/.*:10250\/pods: .*(timed out|no answer in time)/);
    assert.match(said(HOSTILE_PORTS.badTls), /TLS/);
    assert.match(said(HOSTILE_PORTS.garbage), /not a valid HTTP answer|connection reset|protocol/);
    assert.equal(said(HOSTILE_PORTS.huge), '', 'a 50 MB body that is not JSON is dropped, not a failure');
    assert.equal(said(HOSTILE_PORTS.redirect), '', 'a redirect is an answer, not a failure');
  });

  it('follows no redirect out of the scope and stops reading a huge body at its first byte that is not JSON', () => {
    assert.equal(lab.requests.filter((r) => r.component === 'outside').length, 0);
    const reads = readFileSync(trace, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { url: string; hunter: string; bytes?: number })
      .filter((r) => r.url.includes(`:${HOSTILE_PORTS.huge}/`) && r.hunter.startsWith('kubelet-'));
    assert.ok(reads.length >= 4, 'every kubelet path was asked');
    // Streamed reads stop at the first chunk that is not JSON; the others keep 512 KiB at most.
    for (const r of reads) assert.ok((r.bytes ?? 0) <= 1024 * 1024, `${r.url}: ${r.bytes} bytes read`);
    assert.ok(
      reads.some((r) => r.url.endsWith('/pods') && (r.bytes ?? 0) > 0),
      '/pods was read, and given up',
    );
    // A body that is no PodList is an answer, not a gap (the silent port is one, and says so).
    assert.deepEqual(
      hunt.gaps.filter((g) => g.port === HOSTILE_PORTS.huge),
      [],
      'a body that is no PodList is no coverage gap',
    );
    assert.ok(
      hunt.gaps.every((g) => g.port === HOSTILE_PORTS.silent || g.port === HOSTILE_PORTS.badTls),
      hunt.gaps.map((g) => `${g.port} ${g.subject} ${g.reason}`).join('; '),
    );
  });
});

/** A kubelet the test scripts: each path answers what `routes` says; anything else 404 like a Go mux. */
function scripted(routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = Object.entries(routes).find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`));
    if (route) return route[1](req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
  };
}

const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const text =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
  };

const REAL_POD = {
  metadata: { name: 'shell', namespace: 'team' },
  spec: {
    containers: [
      { name: 'sh', securityContext: { privileged: true }, volumeMounts: [{ name: 'logs', mountPath: '/l' }] },
    ],
    volumes: [{ name: 'logs', hostPath: { path: '/var/log/' } }],
  },
  status: { phase: 'Running' },
};

describe('kubelet hunters on kubelets that answer oddly', () => {
  const servers: TestServer[] = [];
  let hunt: Hunt;
  const at = (i: number) => servers[i];

  before(async () => {
    const tls = await selfSignedServing('odd-kubelet', ['odd-kubelet'], ['127.61.1.1']);
    servers.push(
      // 0: a login page for everything.
      await startHttpsServer('127.61.1.1', text(200, '<html><title>Sign in</title></html>'), tls),
      // 1: a PodList full of junk around one real pod; debugging handlers off (404 page not found).
      await startHttpsServer(
        '127.61.1.2',
        scripted({
          '/pods': json({
            kind: 'PodList',
            items: [
              null,
              42,
              'x',
              { metadata: null },
              { spec: { containers: [null, { securityContext: 'yes' }] } },
              REAL_POD,
            ],
          }),
          '/healthz': text(200, 'ok'),
          // The build-info label as kubelets before 1.17 spelled it.
          '/metrics': text(
            200,
            '# TYPE kubernetes_build_info gauge\nkubernetes_build_info{gitVersion="v1.15.3",major="1"} 1\n',
          ),
        }),
        tls,
      ),
      // 2: a read-only port whose PodList is larger than the old 8 MiB cap, and cut short by the server.
      await startHttpServer(
        '127.61.1.3',
        scripted({
          '/pods': (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"kind":"PodList","apiVersion":"v1","items":[');
            const item = `${JSON.stringify(REAL_POD)},`;
            res.end(item.repeat(Math.ceil((9 * 1024 * 1024) / item.length)));
          },
        }),
      ),
      // 3: anonymous authenticated but refused by authorization.
      await startHttpsServer(
        '127.61.1.4',
        text(403, 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource=proxy)'),
        tls,
      ),
      // 4: an old kubelet that redirects streams to the runtime's streaming server.
      await startHttpsServer(
        '127.61.1.5',
        scripted({
          '/pods': json({ kind: 'PodList', items: [REAL_POD] }),
          '/exec': text(302, '', { location: '/cri/exec/SeCrEtStReAmToKeN' }),
          '/attach': text(302, '', { location: '/cri/attach/SeCrEtStReAmToKeN' }),
          '/portForward': text(302, '', { location: '/cri/portforward/SeCrEtStReAmToKeN' }),
          '/run': text(404, 'pod does not exist'),
        }),
        tls,
      ),
    );
    const kinds = ['kubelet', 'kubelet', 'kubelet-readonly', 'kubelet', 'kubelet'] as const;
    hunt = await huntServices(
      servers.map((s, i) => ({ host: s.host, port: s.port, kind: kinds[i], scheme: i === 2 ? 'http' : 'https' })),
      { hunters: kubeletHunters },
    );
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  const found = (i: number) =>
    hunt.findings
      .filter((f) => f.host === at(i).host)
      .map((f) => `${f.kb}${f.object ? ` ${f.object}` : ''}`)
      .sort();

  it('survives every answer: no problem reported', () => {
    assert.deepEqual(hunt.result.problems, []);
  });

  it('reports nothing for a page that is not a kubelet answer, and a refusal by RBAC as the defence it is', () => {
    assert.deepEqual(found(0), []);
    assert.deepEqual(found(3), ['KF-KUBELET-202']);
  });

  it('reads the one real pod among junk, and no handler that answers "page not found"', () => {
    assert.deepEqual(found(1), [
      'KF-KUBELET-001',
      'KF-KUBELET-002',
      'KF-KUBELET-009',
      'KF-KUBELET-010 pod team/shell',
      'KF-KUBELET-011',
      'KF-KUBELET-014 pod team/shell',
      'KF-KUBELET-017',
    ]);
    const versions = hunt.result.events.filter((e): e is KfEvent<'Version'> => e.type === 'Version');
    assert.deepEqual(
      versions.map((v) => [v.publisher, v.component, v.version, v.host]),
      [['kubelet-access', 'kubelet', 'v1.15.3', at(1).host]],
    );
    const varlog = hunt.findings.find((f) => f.kb === 'KF-KUBELET-014' && f.host === at(1).host);
    assert.match(
      hunt.findings.find((f) => f.kb === 'KF-KUBELET-002' && f.host === at(1).host)!.evidence,
      /: 1 pod spec \(team\/shell\)$/,
    );
    assert.equal(
      varlog?.evidence,
      `pod team/shell: sh mounts host /var/log/ at /l, writable (hostPath, readOnly not set; listed at :${at(1).port}/pods)`,
    );
  });

  it('reads every pod of a PodList past the old cap, says the list was cut short, and reports the gap', () => {
    assert.deepEqual(found(2), [
      'KF-KUBELET-002',
      'KF-KUBELET-010 pod team/shell',
      'KF-KUBELET-014 pod team/shell',
      'KF-KUBELET-015',
    ]);
    const items = Math.ceil((9 * 1024 * 1024) / (JSON.stringify(REAL_POD).length + 1));
    const listed = hunt.of('KF-KUBELET-002').find((f) => f.host === at(2).host);
    assert.match(
      listed?.evidence ?? '',
      new RegExp(`${items} pod specs .*partial: the list was cut after ${items} pods`),
    );
    const gaps = hunt.gaps.filter((g) => g.host === at(2).host);
    assert.ok(gaps.length > 0, 'the cut list is a coverage gap');
    for (const g of gaps) {
      assert.equal(g.subject, '/pods');
      assert.equal(g.reason, 'error');
      assert.match(g.detail, new RegExp(`read up to pod ${items} .*ended before the JSON document did`));
    }
  });

  it('takes a redirect to the CRI streaming server as an open handler, without showing its token', () => {
    assert.deepEqual(found(4), [
      'KF-KUBELET-001',
      'KF-KUBELET-002',
      'KF-KUBELET-005 container team/shell/sh',
      'KF-KUBELET-006',
      'KF-KUBELET-007 container team/shell/sh',
      'KF-KUBELET-008 container team/shell/sh',
      'KF-KUBELET-010 pod team/shell',
      'KF-KUBELET-011',
      'KF-KUBELET-014 pod team/shell',
    ]);
    for (const f of hunt.findings) assert.ok(!f.evidence.includes('SeCrEtStReAmToKeN'));
  });
});
