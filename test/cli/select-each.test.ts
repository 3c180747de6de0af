import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectHunters, selectionRecorder } from '../../src/cli/flags/select.js';
import { defaultConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import type { AnyHunter } from '../../src/core/hunter.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { type Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, PORTS, startLab } from '../../src/lab/index.js';
import { runHunt } from '../../src/run/hunt.js';
import { runKubeferret } from '../helpers/cli.js';
import { startHttpServer, type TestServer } from '../helpers/servers.js';
import { podVantage, tokenIdentity } from '../hunters/lab-hunt.js';

// Blocks 127.156.1.0/24 and 127.156.5.0/24 (of correct5's 127.156.0.0/16): for every hunter, `--only <its id>` against the lab
// finds what that hunter finds in a full run, because the hunters it needs to hear its events are kept. The
// lab, as the reader and from a pod (its service account, capabilities and mounts: the pod hunters), beside a
// kube-proxy in IPVS with the kernel's UDP timeout (the lab's own run iptables), so that the running-kube-proxy
// path of KF-OPS-008 has something to find. Hunters that find nothing in the full run (active ones, cloud
// metadata, those whose component the lab lacks) have nothing to compare. Then the default lab as the
// reader, where the paths through tokens found later (apiserver-attack-paths-late) are found.

const IPVS_PROXY = '127.156.1.40';
let lab: Lab;
let defaultLab: Lab;
let proxy: TestServer;
let workdir: string;
let identities: Identity[];

const answer = (res: http.ServerResponse, type: string, body: string) => {
  res.writeHead(200, { 'content-type': type });
  res.end(body);
};

before(async () => {
  [lab, defaultLab] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.156.1.2', nodes: 1, etcd: 'simulated' }),
    startLab({ profile: 'default', base: '127.156.5.2', nodes: 1, etcd: 'off' }),
  ]);
  workdir = mkdtempSync(join(tmpdir(), 'kubeferret-select-each-'));
  // A pod with the runtime's default capabilities and the node's /var/log, as the CI runner of passive.test.
  mkdirSync(join(workdir, 'root', 'proc', 'self'), { recursive: true });
  writeFileSync(join(workdir, 'root/proc/self/status'), 'Name:\tkubeferret\nCapEff:\t00000000a80425fb\n');
  writeFileSync(
    join(workdir, 'root/proc/self/mountinfo'),
    [
      '1450 1302 0:312 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/l1',
      '1457 1450 259:1 /var/log /var/log rw,relatime - ext4 /dev/sda1 rw',
      '1463 1450 0:301 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw',
    ].join('\n'),
  );
  identities = [tokenIdentity(lab, 'reader'), podVantage(lab, join(workdir, 'sa'), 'dev/deployer')];
  proxy = await startHttpServer(
    IPVS_PROXY,
    (req, res) => {
      if (req.url === '/proxyMode') answer(res, 'text/plain', 'ipvs');
      else if (req.url === '/configz')
        answer(
          res,
          'application/json',
          JSON.stringify({ 'kubeproxy.config.k8s.io': { mode: 'ipvs', ipvs: { udpTimeout: '0s' } } }),
        );
      else if (req.url === '/metrics')
        answer(res, 'text/plain', 'kubeproxy_sync_proxy_rules_duration_seconds_count 1\n');
      else {
        res.writeHead(404);
        res.end('404 page not found\n');
      }
    },
    PORTS.kubeProxyMetrics,
  );
});
after(async () => {
  await proxy?.close();
  await Promise.all([lab?.stop(), defaultLab?.stop()]);
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** What a hunt is of: its targets and identities, and where its pod's files are. */
interface Setup {
  targets: string[];
  identities: Identity[];
  podRoot?: string;
}

/** A passive hunt of `setup` with these hunters. */
async function hunt(setup: Setup, hunters: readonly AnyHunter[]): Promise<KfEvent[]> {
  const config = defaultConfig({
    targets: setup.targets.map(parseTarget),
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 15_000,
    hunterTimeoutMs: 120_000,
    extra: {
      [VANTAGE_KEY]: { identities: setup.identities, discoverNodes: false } satisfies VantageSettings,
      ...(setup.podRoot !== undefined && { podRoot: setup.podRoot }),
    },
  });
  return (await runHunt(config, hunters)).events;
}

/** KB ids each hunter reported, by hunter id. */
function reported(events: readonly KfEvent[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type !== 'Finding') continue;
    if (!out.has(e.publisher)) out.set(e.publisher, new Set());
    out.get(e.publisher)?.add(e.kb);
  }
  return out;
}

/**
 * For every hunter that reports in a full hunt of `setup`, a hunt with `--only <its id>`: what it lost (the
 * KB ids it no longer finds, and what the selection kept), and the partial-run notes by hunter id.
 */
async function everyHunter(
  setup: Setup,
  full: Map<string, Set<string>>,
): Promise<{ missing: string[]; notes: Map<string, string> }> {
  const missing: string[] = [];
  const notes = new Map<string, string>();
  for (const [id, kbs] of [...full].sort(([a], [b]) => a.localeCompare(b))) {
    const s = selectHunters(HUNTERS, { only: [id] });
    assert.ok(s);
    const events = await hunt(setup, [...s.hunters, selectionRecorder(s)]);
    const found = reported(events).get(id) ?? new Set();
    const lost = [...kbs].filter((kb) => !found.has(kb));
    if (lost.length > 0) missing.push(`${id}: ${lost.join(', ')} (kept ${[...s.kept.keys()].join(', ') || 'nothing'})`);
    // The run says it was partial, naming what it kept for whom.
    const note = events.find((e) => e.type === 'CoverageGap' && e.publisher === 'selection');
    assert.ok(note?.type === 'CoverageGap' && note.reason === 'skipped', id);
    notes.set(id, note.detail);
  }
  return { missing, notes };
}

describe('--only <hunter id> finds what the hunter finds in a full run', () => {
  it('for every passive hunter that reports in a full hunt of the lab, remote and from a pod', async () => {
    const setup = {
      targets: [...lab.hosts.map((h) => h.address), IPVS_PROXY],
      identities,
      podRoot: join(workdir, 'root'),
    };
    const full = reported(await hunt(setup, HUNTERS));
    assert.ok(full.get('ops-kube-proxy-ipvs-dns')?.has('KF-OPS-008'), 'the IPVS kube-proxy is judged once settled');
    assert.ok(
      [...full.keys()].some((id) => id.startsWith('pod-')),
      'the pod hunters find something',
    );
    const { missing, notes } = await everyHunter(setup, full);
    assert.deepEqual(missing, []);
    assert.match(
      notes.get('ops-kube-proxy-ipvs-dns') ?? '',
      /ops-kube-proxy-ipvs \(needed by ops-kube-proxy-ipvs-dns\)/,
    );
  });

  it('on the command line: --only ops-kube-proxy-ipvs-dns finds KF-OPS-008 and says what it kept for it', async () => {
    const r = await runKubeferret([
      'hunt',
      lab.hosts[0].address,
      IPVS_PROXY,
      '--ports',
      `${PORTS.apiserver},${PORTS.kubeProxyMetrics}`,
      '--format',
      'json',
      '--fail-on',
      'none',
      '--only',
      'ops-kube-proxy-ipvs-dns',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /^kubeferret: partial run: --only ops-kube-proxy-ipvs-dns: .*ops-kube-proxy-ipvs \(needed by ops-kube-proxy-ipvs-dns\)/m,
    );
    // The kept hunters' own findings are in the report too (the survey's KF-API-*): what they found, they found.
    const findings = (JSON.parse(r.stdout).findings as { kb: string; evidence: string }[]).filter(
      (f) => f.kb === 'KF-OPS-008',
    );
    assert.equal(findings.length, 1, r.stdout);
    assert.match(findings[0].evidence, new RegExp(`^kube-proxy at ${IPVS_PROXY}:${PORTS.kubeProxyMetrics}: `));
  });

  it('for every passive hunter that reports in a full hunt of the default lab as its reader', async () => {
    const setup = {
      targets: defaultLab.hosts.map((h) => h.address),
      identities: [tokenIdentity(defaultLab, 'reader')],
    };
    const full = reported(await hunt(setup, HUNTERS));
    assert.ok(full.has('apiserver-attack-paths-late'), 'the paths through tokens read later are found');
    const { missing, notes } = await everyHunter(setup, full);
    assert.deepEqual(missing, []);
    assert.match(
      notes.get('apiserver-attack-paths-late') ?? '',
      /apiserver-secrets \(needed by [^)]*apiserver-attack-paths-late/,
    );
  });
});
