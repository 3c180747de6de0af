import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../../src/core/config.js';
import type { KfEvent } from '../../../src/core/events.js';
import { runHunt } from '../../../src/core/hunt.js';
import { type AnyHunter, defineHunter } from '../../../src/core/hunter.js';
import { parseTarget } from '../../../src/discovery/targets.js';
import { cveHunters } from '../../../src/hunters/cve/index.js';
import { BUNDLED_CVE_FILE, cveDatabase, useCveFile } from '../../../src/kb/cve-data.js';
import { matchCves } from '../../../src/kb/cve-match.js';
import { parseVersion } from '../../../src/kb/version.js';
import { startHttpServer, startTcpServer, type TestServer } from '../../helpers/servers.js';

useCveFile(BUNDLED_CVE_FILE);

/**
 * Stands in for discovery's API server fingerprint, which is not this area's: reads /version from each
 * open port through the hunt's network layer and publishes what it says, as the real one will.
 */
const versionReader = defineHunter({
  id: 'test-version-reader',
  title: 'reads /version like the API server fingerprint',
  mode: 'passive',
  on: 'PortOpen',
  async hunt(event, ctx) {
    const res = await ctx.net.http({ url: `http://${event.host}:${event.port}/version`, timeoutMs: 2000 });
    const body = res.json<{ gitVersion?: unknown }>();
    if (res.status === 200 && typeof body?.gitVersion === 'string') {
      ctx.publish('Version', { host: event.host, port: event.port, component: 'kubernetes', version: body.gitVersion });
    }
  },
});

/** An API server posing on its own address, answering /version with the given gitVersion. */
async function apiServer(host: string, gitVersion: string): Promise<TestServer> {
  return startHttpServer(host, (req, res) => {
    if (req.url !== '/version') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ major: '1', minor: '18', gitVersion, goVersion: 'go1.13.9', platform: 'linux/amd64' }));
  });
}

const servers: Record<string, TestServer> = {};

before(async () => {
  servers.upstream = await apiServer('127.41.0.1', 'v1.18.5');
  servers.eks = await apiServer('127.41.0.2', 'v1.18.5-eks-a5565ad');
  servers.k3s = await apiServer('127.41.0.3', 'v1.18.5+k3s1');
  servers.current = await apiServer('127.41.0.4', 'v1.34.2');
  servers.garbage = await apiServer('127.41.0.5', 'latest-and-greatest');
  servers.oversized = await apiServer('127.41.0.6', `v1.18.5-${'x'.repeat(100_000)}`);
  servers.rc = await apiServer('127.41.0.7', 'v1.33.0-rc.1');
  servers.secondPort = await apiServer('127.41.0.1', 'v1.18.5');
  // Accepts the connection and never answers: the reader times out, the hunt still ends.
  servers.silent = await startTcpServer('127.41.0.8', () => undefined);
});

after(async () => {
  for (const s of Object.values(servers)) await s.close();
});

async function hunt(server: TestServer, options: { includePatchedVersions?: boolean } = {}) {
  const result = await runHunt(
    defaultConfig({
      targets: [parseTarget(server.host)],
      ports: [server.port],
      connectTimeoutMs: 2000,
      requestTimeoutMs: 3000,
      hunterTimeoutMs: 10_000,
      includePatchedVersions: options.includePatchedVersions ?? false,
    }),
    [versionReader, ...(cveHunters as AnyHunter[])],
  );
  const findings = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding');
  return { result, findings, ids: findings.map((f) => f.kb).sort() };
}

function expectedIds(version: string): string[] {
  const parsed = parseVersion(version);
  assert.ok(parsed);
  return matchCves(parsed, 'kubernetes', cveDatabase().file.cves)
    .map((m) => m.cve.id)
    .sort();
}

describe('CVE hunter in a real hunt', () => {
  it('reports one finding per CVE affecting an upstream API server version, with the evidence to act on', async () => {
    const { findings, ids, result } = await hunt(servers.upstream);
    assert.deepEqual(result.problems, []);
    assert.ok(ids.includes('CVE-2020-8559'), 'fixed in 1.18.6');
    assert.ok(ids.includes('CVE-2021-25741') === false, 'a kubelet CVE is not decided by the API server version');
    assert.ok(ids.includes('CVE-2020-8558') === false, 'fixed for kube-proxy in 1.18.4');
    assert.deepEqual(ids, expectedIds('v1.18.5'));
    const f = findings.find((x) => x.kb === 'CVE-2020-8559');
    assert.ok(f);
    assert.equal(f.host, '127.41.0.1');
    assert.equal(f.port, servers.upstream.port);
    assert.equal(f.object, 'Kubernetes v1.18.5');
    assert.match(f.evidence, /v1\.18\.5 seen at 127\.41\.0\.1:\d+ is in the affected range >=1\.18\.0 <1\.18\.6/);
    assert.match(f.evidence, /fixed in 1\.16\.13, 1\.17\.9, 1\.18\.6$/);
    const version = result.events.find((e) => e.type === 'Version');
    assert.ok(version && f.parents.includes(version.id), 'the finding comes from the Version event');
  });

  it('reports a version once per host, however many of its ports disclose it', async () => {
    const result = await runHunt(
      defaultConfig({
        targets: [parseTarget('127.41.0.1')],
        ports: [servers.upstream.port, servers.secondPort.port],
        connectTimeoutMs: 2000,
        requestTimeoutMs: 3000,
      }),
      [versionReader, ...(cveHunters as AnyHunter[])],
    );
    assert.equal(result.events.filter((e) => e.type === 'Version').length, 2, 'both ports disclosed it');
    const ids = result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding').map((f) => f.kb);
    assert.deepEqual(ids.sort(), expectedIds('v1.18.5'), 'each CVE once');
  });

  it('holds back the CVEs of a vendor build in one finding that names them', async () => {
    for (const server of [servers.eks, servers.k3s]) {
      const { findings } = await hunt(server);
      assert.equal(findings.length, 1);
      const [f] = findings;
      assert.equal(f.kb, 'KF-CVE-001');
      assert.match(
        f.evidence,
        /is a vendor build \("(eks-a5565ad|k3s1)"\) of 1\.18\.5; \d+ CVEs affect upstream 1\.18\.5/,
      );
      for (const id of expectedIds('v1.18.5')) assert.ok(f.evidence.includes(id), `${id} named`);
    }
  });

  it('reports a vendor build CVE by CVE with --include-patched-versions', async () => {
    const { findings, ids } = await hunt(servers.eks, { includePatchedVersions: true });
    assert.deepEqual(ids, expectedIds('v1.18.5'));
    for (const f of findings)
      assert.match(
        f.evidence,
        /vendor build "eks-a5565ad" of 1\.18\.5, reported because of --include-patched-versions/,
      );
  });

  it('treats a release candidate as older than its release', async () => {
    const { findings } = await hunt(servers.rc);
    const f = findings.find((x) => x.kb === 'CVE-2025-4563');
    assert.ok(f, 'fixed in 1.33.2, so 1.33.0-rc.1 is affected');
    assert.match(f.evidence, /pre-release rc\.1 counts as older than 1\.33\.0/);
  });

  it('reports nothing for a patched version', async () => {
    const { findings, result } = await hunt(servers.current);
    assert.deepEqual(findings, []);
    assert.ok(result.events.some((e) => e.type === 'Version' && e.version === 'v1.34.2'));
  });

  it('reports nothing, and does not fail, for versions that are not versions', async () => {
    for (const server of [servers.garbage, servers.oversized]) {
      const { findings, result } = await hunt(server);
      assert.deepEqual(findings, []);
      assert.deepEqual(result.problems, []);
      assert.ok(
        result.events.some((e) => e.type === 'Version'),
        'the odd version was still published',
      );
    }
  });

  it('ends the hunt when the server never answers', async () => {
    const { findings, result } = await hunt(servers.silent);
    assert.deepEqual(findings, []);
    assert.equal(result.problems.length, 1);
    assert.match(result.problems[0].message, /timed out|no answer/);
  });
});
