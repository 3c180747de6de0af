import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { type Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { applicability } from '../../src/kb/cve-conditions.js';
import { BUNDLED_CVE_FILE, cveDatabase, useCveFile } from '../../src/kb/cve-data.js';
import { matchCves } from '../../src/kb/cve-match.js';
import { atLeast, severityOf } from '../../src/kb/index.js';
import { parseVersion } from '../../src/kb/version.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { TraceRecord } from '../../src/net/trace.js';
import { type HuntResult, runHunt } from '../../src/run/hunt.js';
import { requireComponent } from '../helpers/components.js';
import { assertNoSecrets, kubeconfigIdentity, podVantage } from '../hunters/lab-hunt.js';

// Block 127.80.0.0/16. A passive hunt of the whole lab as a user runs it: the default ports, every
// hunter, and every vantage point the lab supports at once (remote, a kubeconfig identity, a pod). The
// vulnerable lab yields exactly the findings in golden/passive-vulnerable.json; the hardened one nothing
// of medium severity or above; neither receives a request that could change anything.

useCveFile(BUNDLED_CVE_FILE);

const GOLDEN = join(import.meta.dirname, 'golden', 'passive-vulnerable.json');

/** What the pod kubeferret runs in looks like from inside: its capabilities and mounts. */
const POD_FILES = {
  /** A CI runner pod in `dev` with the runtime's default capabilities and the node's /var/log. */
  exposed: {
    status: 'Name:\tkubeferret\nCapEff:\t00000000a80425fb\n',
    mountinfo: [
      '1450 1302 0:312 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/l1',
      '1457 1450 259:1 /var/log /var/log rw,relatime - ext4 /dev/sda1 rw',
      '1459 1450 259:1 /var/lib/kubelet/pods/0a1b/etc-hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw',
      '1463 1450 0:301 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw',
    ].join('\n'),
  },
  /** A pod under the restricted Pod Security Standard. */
  restricted: {
    status: 'Name:\tkubeferret\nCapEff:\t0000000000000000\n',
    mountinfo: [
      '1450 1302 0:312 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/l1',
      '1463 1450 0:301 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw',
    ].join('\n'),
  },
};

let workdir: string;
const labs: Record<string, Lab> = {};

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'kubeferret-integration-'));
  [labs.vulnerable, labs.hardened] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.80.0.2' }),
    startLab({ profile: 'hardened', base: '127.80.1.2' }),
  ]);
});

after(async () => {
  await Promise.all(Object.values(labs).map((l) => l.stop()));
  rmSync(workdir, { recursive: true, force: true });
});

interface Hunt {
  result: HuntResult;
  findings: KfEvent<'Finding'>[];
  requests: Lab['requests'];
  trace: TraceRecord[];
}

/** `kubeferret hunt <the lab's addresses> --kubeconfig … --pod --trace …` with the default ports. */
async function huntWholeLab(lab: Lab, identities: Identity[], pod: keyof typeof POD_FILES): Promise<Hunt> {
  const dir = join(workdir, lab.profile);
  const root = join(dir, 'pod-root');
  mkdirSync(join(root, 'proc', 'self'), { recursive: true });
  writeFileSync(join(root, 'proc/self/status'), POD_FILES[pod].status);
  writeFileSync(join(root, 'proc/self/mountinfo'), POD_FILES[pod].mountinfo);
  const tracePath = join(dir, 'trace.jsonl');
  const before = lab.requests.length;
  const result = await runHunt(
    defaultConfig({
      targets: lab.hosts.map((h) => parseTarget(h.address)),
      connectTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      hunterTimeoutMs: 120_000,
      tracePath,
      extra: {
        [VANTAGE_KEY]: { identities, discoverNodes: false } satisfies VantageSettings,
        podRoot: root,
      },
    }),
    HUNTERS,
  );
  return {
    result,
    findings: result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding'),
    requests: lab.requests.slice(before),
    trace: readFileSync(tracePath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TraceRecord),
  };
}

const REVIEW =
  /^\/apis\/(authorization\.k8s\.io\/v1\/selfsubject(access|rules)reviews|authentication\.k8s\.io\/v1(beta1|alpha1)?\/selfsubjectreviews)$/;
const KV_RANGE = /^\/v3(alpha|beta)?\/kv\/range$/;

/** A POST to the kubelet's /run whose command is empty: the kubelet answers, nothing is executed. */
function emptyRun(path: string): boolean {
  const url = new URL(path, 'http://kubelet');
  return /^\/run\//.test(url.pathname) && url.searchParams.get('cmd') === '';
}

/** The lab received only reads, self reviews, and /run with an empty command. */
function assertNothingChanged(requests: Lab['requests']): void {
  const other = requests.filter(
    (r) =>
      !(
        r.method === 'GET' ||
        r.method === 'HEAD' ||
        // Self reviews, sent to the API server directly or through the kubectl proxy (seen at both).
        (r.method === 'POST' && ['kube-apiserver', 'kubectl-proxy'].includes(r.component) && REVIEW.test(r.path)) ||
        (r.method === 'POST' && r.component === 'kubelet' && emptyRun(r.path))
      ),
  );
  assert.deepEqual(
    other.map((r) => `${r.component} ${r.method} ${r.path}`),
    [],
  );
}

/** The findings a golden list compares: ids, and the identity each identity-bound finding was made with. */
function summary(findings: KfEvent<'Finding'>[]) {
  const kf = findings.filter((f) => !f.kb.startsWith('CVE-'));
  return {
    ids: [...new Set(kf.map((f) => f.kb))].sort(),
    byIdentity: [...new Set(kf.filter((f) => f.identity).map((f) => `${f.kb} ${f.identity}`))].sort(),
  };
}

describe('a passive hunt of the whole vulnerable lab', () => {
  let hunt: Hunt;
  before(async () => {
    const jane = await kubeconfigIdentity(labs.vulnerable, 'jane', workdir);
    const pod = podVantage(labs.vulnerable, join(workdir, 'vulnerable-sa'), 'dev/deployer');
    hunt = await huntWholeLab(labs.vulnerable, [jane, pod], 'exposed');
  });

  it('finds exactly the golden set of weaknesses', (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    assert.deepEqual(hunt.result.problems, []);
    // KUBEFERRET_UPDATE_GOLDEN=1 rewrites the golden list from this hunt: review its diff before committing.
    if (process.env.KUBEFERRET_UPDATE_GOLDEN === '1') {
      writeFileSync(GOLDEN, `${JSON.stringify(summary(hunt.findings), null, 2)}\n`);
    }
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as ReturnType<typeof summary>;
    assert.deepEqual(summary(hunt.findings), golden);
  });

  it('reports the CVEs the CVE data gives for every version disclosed, except those whose conditions fail', () => {
    const versions = hunt.result.events.filter((e): e is KfEvent<'Version'> => e.type === 'Version');
    assert.deepEqual([...new Set(versions.map((v) => v.component))].sort(), ['etcd', 'kubelet', 'kubernetes']);
    const observations = hunt.result.events.filter((e): e is KfEvent<'Observation'> => e.type === 'Observation');
    const expected = new Set<string>();
    const refuted = new Set<string>();
    for (const v of versions) {
      const parsed = parseVersion(v.version);
      assert.ok(parsed, v.version);
      // What was observed on any port that disclosed the same version of the component counts.
      const ports = versions
        .filter((o) => o.host === v.host && o.component === v.component && o.version === v.version)
        .map((o) => o.port);
      for (const m of matchCves(parsed, v.component, cveDatabase().file.cves)) {
        const a = applicability(m.cve, { host: v.host, ports, components: m.components }, observations);
        (a.outcome === 'not-applicable' ? refuted : expected).add(m.cve.id);
      }
    }
    const reported = new Set(hunt.findings.filter((f) => f.kb.startsWith('CVE-')).map((f) => f.kb));
    assert.ok(expected.size > 0);
    assert.deepEqual([...reported].sort(), [...expected].sort());
    // The lab's nodes are Linux and its etcd has no authentication: these are the refuted ones.
    for (const id of [
      'CVE-2023-3676',
      'CVE-2023-3955',
      'CVE-2023-5528',
      'CVE-2024-5321',
      'CVE-2024-9042',
      'CVE-2021-28235',
    ]) {
      assert.ok(!reported.has(id), `${id} is not reported`);
    }
    assert.ok(refuted.has('CVE-2023-3676') && refuted.has('CVE-2021-28235'));
  });

  it('sent nothing that could change state: the lab log holds reads, self reviews and an empty /run', (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    assertNothingChanged(hunt.requests);
    assert.ok(
      hunt.requests.some((r) => r.method === 'POST' && r.component === 'kubelet'),
      'the /run probe was made',
    );
    // The real etcd is a process of its own, outside the lab log: the trace shows what it was sent, which
    // is the v3 gateway's range read (a POST by the gateway's design; /v3beta and /v3alpha on older
    // servers) on the client and peer ports, and nothing else.
    const rangeRead = (r: TraceRecord) => r.method === 'POST' && KV_RANGE.test(new URL(r.url).pathname);
    assert.ok(hunt.trace.some((r) => rangeRead(r) && new URL(r.url).port === '2379'));
    const sent = hunt.trace.filter((r) => !r.refused && r.method !== 'CONNECT');
    const other = sent.filter((r) => {
      const url = new URL(r.url);
      return !(
        r.method === 'GET' ||
        r.method === 'HEAD' ||
        (r.method === 'POST' && (REVIEW.test(url.pathname) || emptyRun(url.pathname + url.search))) ||
        rangeRead(r)
      );
    });
    assert.deepEqual(
      other.map((r) => `${r.method} ${r.url}`),
      [],
    );
  });

  type LabRequestSeen = Lab['requests'][number];
  /** How often each of the lab requests `which` selects was received, by `key`. */
  const timesAsked = (which: (r: LabRequestSeen) => boolean, key: (r: LabRequestSeen) => string) => {
    const asked = new Map<string, number>();
    for (const r of hunt.requests.filter(which)) asked.set(key(r), (asked.get(key(r)) ?? 0) + 1);
    return asked;
  };

  it("asked each kubelet port for its pods once, whichever hunters needed them (discovery's included)", () => {
    const asked = timesAsked(
      (q) => q.component === 'kubelet' && q.path.split('?')[0] === '/pods',
      (r) => `${r.host}:${r.port} as ${r.identity}`,
    );
    assert.ok(asked.size >= 4, 'both ports of every node');
    assert.deepEqual(
      [...asked].filter(([, n]) => n > 1),
      [],
    );
  });

  it("listed Secrets once per identity: the secrets hunter reuses the survey's first page", () => {
    const asked = timesAsked(
      (q) => /^\/api\/v1\/(namespaces\/[^/]+\/)?secrets\?limit=/.test(q.path),
      (r) => `${r.host}:${r.port} ${r.path} as ${r.identity}`,
    );
    assert.ok(asked.size >= 2, 'several identities listed Secrets');
    assert.deepEqual(
      [...asked].filter(([, n]) => n > 1),
      [],
    );
  });

  it('hunted from every vantage point, and put no secret in any event', () => {
    const identities = new Set(hunt.result.events.filter((e) => e.type === 'ApiAccess').map((e) => e.identity));
    for (const who of ['insecure-port', 'anonymous', 'jane@lab', 'pod:dev/deployer']) {
      assert.ok(identities.has(who), `${who} was asked`);
    }
    assertNoSecrets(labs.vulnerable, hunt.result);
  });
});

describe('a passive hunt of the whole hardened lab', () => {
  it('finds nothing of medium severity or above, with least-privileged identities, and changes nothing', async (t) => {
    if (!requireComponent(t, 'etcd', 'etcd-server')) return;
    const nobody = await kubeconfigIdentity(labs.hardened, 'nobody', workdir);
    const pod = podVantage(labs.hardened, join(workdir, 'hardened-sa'), 'default/default');
    const hunt = await huntWholeLab(labs.hardened, [nobody, pod], 'restricted');
    assert.deepEqual(hunt.result.problems, []);
    const serious = hunt.findings.filter((f) => atLeast(severityOf(f), 'medium'));
    assert.deepEqual(
      serious.map((f) => `${f.kb} ${f.host ?? ''}:${f.port ?? ''} ${f.evidence}`),
      [],
    );
    assert.ok(hunt.findings.length > 0, 'informational findings remain (certificates, rules)');
    assertNothingChanged(hunt.requests);
    assertNoSecrets(labs.hardened, hunt.result);
  });
});
