import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServiceKind } from '../../src/core/events.js';
import { EVIDENCE, EXEC_PROBE_PATH, UNIDENTIFIED } from '../../src/discovery/fingerprint/classify.js';
import type { HuntResult } from '../../src/run/hunt.js';
import { makeCert, type Pem } from '../helpers/certs.js';
import { startFlakyServer, startTcpServer, type TestServer } from '../helpers/servers.js';
import { COMPONENTS, type ComponentName, startComponent } from './fakes.js';
import { discoverTargets, eventsOf, serviceAt } from './run.js';

// Block 127.21.0.0/16: one small server per address, each answering like a real component.

interface Case {
  component: ComponentName;
  kind: ServiceKind;
  /** `apiserverCN`: a certificate whose only API server sign is its CN, kube-apiserver. */
  tls?: 'apiserver' | 'apiserverCN' | 'plain';
  port?: number;
  version?: string;
  evidence: RegExp;
}

const CASES: Case[] = [
  {
    component: 'apiserver',
    kind: 'apiserver',
    tls: 'apiserver',
    version: 'v1.29.4',
    evidence: /Kubernetes version JSON/,
  },
  { component: 'apiserverNoAnonymous', kind: 'apiserver', tls: 'plain', evidence: /401.*anonymous access is disabled/ },
  { component: 'apiserverInsecure', kind: 'apiserver', version: 'v1.29.4', evidence: /gitVersion v1\.29\.4/ },
  {
    component: 'kubelet',
    kind: 'kubelet',
    tls: 'plain',
    version: 'v1.29.4',
    evidence: /PodList \(1 pods\) without credentials/,
  },
  {
    component: 'kubeletWebhook',
    kind: 'kubelet',
    tls: 'plain',
    evidence: /resource=nodes, subresource=proxy.*authorization refusal/,
  },
  { component: 'kubeletNoAnonymous', kind: 'kubelet', tls: 'plain', evidence: /"Unauthorized" as plain text/ },
  { component: 'kubeletReadOnly', kind: 'kubelet-readonly', version: 'v1.29.4', evidence: /PodList/ },
  { component: 'etcd', kind: 'etcd', version: '3.4.30', evidence: /etcdserver 3\.4\.30, etcdcluster 3\.4\.0/ },
  { component: 'componentSecurePort', kind: 'controller-manager', tls: 'plain', port: 10257, evidence: /Status/ },
  { component: 'componentSecurePort', kind: 'scheduler', tls: 'plain', port: 10259, evidence: /Status/ },
  { component: 'kubeProxyHealth', kind: 'kube-proxy', evidence: /lastUpdated/ },
  { component: 'kubeProxyMetrics', kind: 'kube-proxy', version: 'v1.29.4', evidence: /proxy mode "iptables"/ },
  { component: 'dashboard', kind: 'dashboard', tls: 'plain', evidence: /Dashboard login status/ },
  { component: 'prometheus', kind: 'prometheus', version: '2.51.2', evidence: /Prometheus build info/ },
  { component: 'nodeExporter', kind: 'node-exporter', version: '1.7.0', evidence: /node_exporter_build_info/ },
  { component: 'grafana', kind: 'grafana', version: '10.4.2', evidence: /Grafana health/ },
  { component: 'loki', kind: 'loki', version: '2.9.6', evidence: /Loki build info/ },
  { component: 'argocd', kind: 'argocd', tls: 'plain', version: 'v2.10.7+b060053', evidence: /Argo CD version/ },
  { component: 'cadvisor', kind: 'cadvisor', version: 'v0.47.2', evidence: /cadvisor_version_info/ },
  { component: 'metricsServer', kind: 'metrics', tls: 'plain', version: 'v0.7.1', evidence: /metrics-server/ },
  {
    component: 'apiserverDevBuild',
    kind: 'apiserver',
    tls: 'apiserverCN',
    version: 'v0.0.0-master+$Format:%H$',
    evidence: /TLS certificate CN kube-apiserver/,
  },
  { component: 'plainWeb', kind: 'unknown', port: 8080, evidence: /text\/html, Server: nginx/ },
];

describe('fingerprinting by conversation', () => {
  const servers: TestServer[] = [];
  let apiCert: Pem;
  let plainCert: Pem;
  let cnCert: Pem;
  let result: HuntResult;
  const at = (i: number) => `127.21.0.${i + 2}`;

  before(async () => {
    apiCert = makeCert({
      cn: 'kube-apiserver',
      dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ips: ['10.96.0.1'],
    });
    plainCert = makeCert({ cn: 'node-1@1714640000' });
    cnCert = makeCert({ cn: 'kube-apiserver' });
    const certs = { apiserver: apiCert, apiserverCN: cnCert, plain: plainCert };
    for (const [i, c] of CASES.entries()) {
      const tls = c.tls && certs[c.tls];
      servers.push(await startComponent(c.component, at(i), { tls, port: c.port }));
    }
    const garbage = await startTcpServer('127.21.1.3', (s) =>
      s.end('\x00\x01\x02 not a protocol anyone speaks\r\n\r\n'),
    );
    servers.push(garbage);
    result = await discoverTargets(
      servers.map((s) => `${s.host}:${s.port}`),
      // Generous: under a full parallel test run a TLS handshake on this 2-core machine can take seconds.
      { requestTimeoutMs: 6000, connectTimeoutMs: 5000 },
    );
  });

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  for (const [i, c] of CASES.entries()) {
    it(`recognises ${c.component} as ${c.kind}`, () => {
      const s = serviceAt(result, at(i), servers[i].port);
      assert.equal(s.kind, c.kind, s.evidence.join(' | '));
      assert.equal(s.scheme, c.tls ? 'https' : 'http');
      assert.equal(s.version, c.version);
      assert.match(s.evidence[0], c.evidence, s.evidence.join(' | '));
    });
  }

  it('summarises the TLS certificate, and names the API server SANs in the evidence', () => {
    const s = serviceAt(result, at(0), servers[0].port);
    assert.ok(s.cert, 'a certificate summary');
    assert.match(s.cert.subject, /CN=kube-apiserver/);
    assert.ok(s.cert.sans.includes('dns:kubernetes.default.svc'));
    assert.ok(s.evidence.some((e) => /TLS certificate names kubernetes, kubernetes\.default/.test(e)));
  });

  it('publishes Version events for the CVE hunters', () => {
    const versions = eventsOf(result, 'Version').map((v) => `${v.component} ${v.version} ${v.host}`);
    assert.ok(versions.includes(`kubernetes v1.29.4 ${at(0)}`), versions.join(', '));
    assert.ok(versions.includes(`kubelet v1.29.4 ${at(3)}`), versions.join(', '));
    assert.ok(versions.includes(`etcd 3.4.30 ${at(7)}`), versions.join(', '));
    assert.ok(!versions.some((v) => v.startsWith('kubernetes v0.7.1')), 'metrics-server is not a Kubernetes version');
  });

  it('weighs all the evidence: an empty major with an API server certificate and Status is an API server', () => {
    const i = CASES.findIndex((c) => c.component === 'apiserverDevBuild');
    const s = serviceAt(result, at(i), servers[i].port);
    assert.ok(
      s.evidence.some((e) => /GET \/api → 403: Status 403 \(Forbidden\)/.test(e)),
      s.evidence.join(' | '),
    );
    assert.ok(
      s.evidence.some((e) => /empty major: a build without version stamps/.test(e)),
      s.evidence.join(' | '),
    );
  });

  it('reports a port that speaks neither HTTP nor HTTPS as unknown', () => {
    const s = serviceAt(result, '127.21.1.3', servers[CASES.length].port);
    assert.equal(s.kind, 'unknown');
    assert.match(s.evidence[0], /does not speak HTTP or HTTPS/);
  });

  it('asks kubectl proxy-like questions only on plain HTTP, and never twice', () => {
    assert.equal(result.problems.length, 0, result.problems.map((p) => p.message).join('\n'));
    assert.ok(EVIDENCE.CLIENT_CERT_REQUIRED.length > 0 && EXEC_PROBE_PATH.includes('/exec'));
  });
});

describe('ports that stall (a busy machine, a lossy link)', () => {
  // 127.21.2.0/24. Connections stalled at first (accepted, then silent: the TLS handshake never ends), as
  // a busy component or a lossy link does; short deadlines, so the retries are quick.
  const servers: Record<string, TestServer> = {};
  let result: HuntResult;
  let kubeletConnections = 0;

  before(async () => {
    const cert = makeCert({ cn: 'node-1@1714640000' });
    servers.kubelet = await startFlakyServer('127.21.2.2', COMPONENTS.kubelet, { stall: 1, tls: cert }, 10250);
    // Three stalls spend the network's three attempts: the fingerprint's patient second ask gets through.
    servers.controllerManager = await startFlakyServer(
      '127.21.2.3',
      COMPONENTS.componentSecurePort,
      { stall: 3, tls: cert },
      10257,
    );
    servers.scheduler = await startFlakyServer(
      '127.21.2.4',
      COMPONENTS.componentSecurePort,
      { stall: 2, tls: cert },
      10259,
    );
    servers.silentTls = await startTcpServer('127.21.2.5', () => undefined, 10259);
    servers.tarpit = await startTcpServer('127.21.2.6', () => undefined);
    // Answers /version, then nothing: stops before it could be told what it is.
    servers.fallsSilent = await startTcpServer('127.21.2.7', (s) => {
      s.once('data', (d) => {
        if (String(d).startsWith('GET /version ')) {
          s.write(
            'HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 19\r\n\r\n404 page not found\n',
          );
        }
      });
    });
    result = await discoverTargets(
      Object.values(servers).map((s) => `${s.host}:${s.port}`),
      { requestTimeoutMs: 3000, handshakeTimeoutMs: 1500, connectTimeoutMs: 3000 },
    );
    kubeletConnections = servers.kubelet.connections();
  });

  after(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  const gaps = () => eventsOf(result, 'CoverageGap');

  it('identifies the kubelet, controller-manager and scheduler once their stalls are retried past', () => {
    assert.equal(serviceAt(result, '127.21.2.2', 10250).kind, 'kubelet');
    assert.equal(serviceAt(result, '127.21.2.3', 10257).kind, 'controller-manager');
    assert.equal(serviceAt(result, '127.21.2.4', 10259).kind, 'scheduler');
    assert.ok(kubeletConnections >= 2, 'the stalled connection was given up and another made');
    for (const host of ['127.21.2.2', '127.21.2.3', '127.21.2.4']) {
      assert.deepEqual(
        gaps().filter((g) => g.host === host),
        [],
        `no gap for ${host}`,
      );
    }
  });

  it('reports a port that never answers as unidentified (timed out), asked twice, with an unanswered gap', () => {
    for (const [host, port] of [
      ['127.21.2.5', 10259],
      ['127.21.2.6', servers.tarpit.port],
    ] as const) {
      const s = serviceAt(result, host, port);
      assert.equal(s.kind, 'unknown');
      assert.ok(s.evidence[0].startsWith(UNIDENTIFIED), s.evidence.join(' | '));
      assert.ok(!s.evidence.join(' ').includes('no Kubernetes'), 'silence is not an answer');
      const [gap, ...more] = gaps().filter((g) => g.host === host);
      assert.equal(more.length, 0);
      assert.equal(gap?.reason, 'unanswered');
      assert.equal(gap?.subject, `port ${port}`);
      assert.equal(gap?.hunter, 'fingerprint');
      assert.match(
        gap?.detail ?? '',
        /GET \/version went unanswered, also when asked again with 2× the request deadline/,
      );
    }
  });

  it('concludes nothing from a port that fell silent mid-conversation, and names what went unanswered', () => {
    const s = serviceAt(result, '127.21.2.7', servers.fallsSilent.port);
    assert.equal(s.kind, 'unknown');
    assert.ok(s.evidence[0].startsWith(UNIDENTIFIED), s.evidence.join(' | '));
    assert.ok(!s.evidence.join(' ').includes('no Kubernetes'), s.evidence.join(' | '));
    const [gap] = gaps().filter((g) => g.host === '127.21.2.7');
    assert.equal(gap?.reason, 'unanswered');
  });

  it('answers with one line per problem, and none for the silent ports (they are gaps, not errors)', () => {
    assert.deepEqual(result.problems, []);
  });
});
