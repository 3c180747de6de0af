import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../../src/core/engine.js';
import type { EventPayloads, KfEvent } from '../../../src/core/events.js';
import { nameserver, podActiveSpoofing } from '../../../src/hunters/pod/active-spoofing.js';
import { effectiveCapabilities } from '../../../src/hunters/pod/capabilities.js';
import { Network } from '../../../src/net/network.js';
import { Scope } from '../../../src/net/scope.js';
import { Trace } from '../../../src/net/trace.js';

// No network at all: the preconditions of ARP and DNS spoofing are read from the pod's files (under a
// podRoot written here) and the interfaces; an empty scope proves nothing could have been sent.

const dir = mkdtempSync(join(tmpdir(), 'kf-spoof-'));
const WITH_NET_RAW = '00000000a80425fb';
const WITHOUT_NET_RAW = '00000000a80405fb';

function files(capEff: string | undefined, resolv: string): { podRoot: string } {
  const podRoot = mkdtempSync(join(dir, 'pod-'));
  mkdirSync(join(podRoot, 'proc', 'self'), { recursive: true });
  mkdirSync(join(podRoot, 'etc'));
  if (capEff !== undefined)
    writeFileSync(
      join(podRoot, 'proc/self/status'),
      `Name:\tkubeferret\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`,
    );
  writeFileSync(join(podRoot, 'etc/resolv.conf'), resolv);
  return { podRoot };
}

async function hunt(
  options: Record<string, unknown>,
  credential: Partial<EventPayloads['Credential']> = {},
): Promise<{ findings: KfEvent<'Finding'>[]; debug: string[]; trace: Trace }> {
  const trace = new Trace();
  const network = new Network({
    scope: new Scope([]),
    trace,
    connectTimeoutMs: 500,
    requestTimeoutMs: 500,
    maxBodyBytes: 1024,
  });
  const debug: string[] = [];
  const engine = new Engine(
    [podActiveSpoofing],
    network,
    { active: true, includePatchedVersions: false, cloud: false, ...options },
    { concurrency: 4, perHost: 4, hunterTimeoutMs: 5000, onDebug: (l) => debug.push(l) },
  );
  const release = engine.hold();
  engine.publish('Credential', {
    name: 'pod:dev/app',
    source: 'pod',
    apiServer: { host: '10.96.0.1', port: 443, scheme: 'https' },
    secret: { token: 'x' },
    ...credential,
  });
  release();
  await engine.run();
  return { findings: engine.known('Finding'), debug, trace };
}

const POD_NET = [{ name: 'eth0', cidr: '10.244.1.5/24' }];

describe('spoofing preconditions from the pod', () => {
  it('CAP_NET_RAW, a shared pod network and the DNS server on it: both findings, no packet sent', async () => {
    const r = await hunt({
      ...files(WITH_NET_RAW, 'search dev.svc.cluster.local\nnameserver 10.244.1.10\n'),
      podInterfaces: POD_NET,
    });
    assert.deepEqual(
      r.findings.map((f) => f.kb),
      ['KF-NET-001', 'KF-NET-002'],
    );
    assert.match(
      r.findings[0].evidence,
      /CapEff 00000000a80425fb in .* includes CAP_NET_RAW; eth0 10\.244\.1\.5\/24 is shared/,
    );
    assert.match(
      r.findings[1].evidence,
      /the DNS server 10\.244\.1\.10 .* is on the pod network 10\.244\.1\.5\/24 \(eth0\)/,
    );
    assert.ok(r.findings.every((f) => /no packet was sent/.test(f.evidence)));
    assert.equal(r.trace.counts.requests + r.trace.counts.refused, 0);
  });

  it('a DNS server behind a service address is not on the pod network: only ARP spoofing', async () => {
    const r = await hunt({ ...files(WITH_NET_RAW, 'nameserver 10.96.0.10\n'), podInterfaces: POD_NET });
    assert.deepEqual(
      r.findings.map((f) => f.kb),
      ['KF-NET-001'],
    );
    assert.ok(r.debug.some((l) => /DNS server 10\.96\.0\.10 is not on the pod network/.test(l)));
  });

  it('without CAP_NET_RAW, without a shared network, or without the status file: nothing', async () => {
    const none = [
      await hunt({ ...files(WITHOUT_NET_RAW, 'nameserver 10.244.1.10\n'), podInterfaces: POD_NET }),
      await hunt({
        ...files(WITH_NET_RAW, 'nameserver 10.244.1.10\n'),
        podInterfaces: [{ name: 'eth0', cidr: '10.244.1.5/32' }],
      }),
      await hunt({ ...files(undefined, 'nameserver 10.244.1.10\n'), podInterfaces: POD_NET }),
    ];
    assert.deepEqual(
      none.map((r) => r.findings.length),
      [0, 0, 0],
    );
    assert.ok(none[2].debug.some((l) => /cannot read CapEff from/.test(l)));
  });

  it('runs only from the pod vantage point', async () => {
    const r = await hunt(
      { ...files(WITH_NET_RAW, 'nameserver 10.244.1.10\n'), podInterfaces: POD_NET },
      { source: 'kubeconfig', name: 'dev@cluster' },
    );
    assert.deepEqual(r.findings, []);
  });

  it('reads capability masks and resolv.conf as the kernel and libc write them', () => {
    assert.equal(effectiveCapabilities('CapPrm:\t0000000000000000\nCapEff:\t000001ffffffffff\n'), 0x1ffffffffffn);
    assert.equal(effectiveCapabilities('Name: x\n'), undefined);
    assert.equal(nameserver('# generated\noptions ndots:5\nnameserver  fd00::a\nnameserver 10.0.0.1\n'), 'fd00::a');
    assert.equal(nameserver('nameserver not-an-address\n'), undefined);
  });
});
