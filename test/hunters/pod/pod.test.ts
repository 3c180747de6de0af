import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { podHunters } from '../../../src/hunters/pod/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntLab, podVantage, tokenIdentity } from '../lab-hunt.js';

// Block 127.53.0.0/16: the pod vantage. The pod's files (/proc/self/status, /proc/self/mountinfo) are
// written by the test under a directory the hunters read through the `podRoot` option.

const HUNTERS = [...apiserverHunters, ...podHunters];

/** A containerd pod with the host's /var/log, its root, a runtime socket and a data disk mounted writable. */
const EXPOSED_MOUNTINFO = `1450 1302 0:312 / / rw,relatime master:478 - overlay overlay rw,lowerdir=/var/lib/containerd/l1,upperdir=/var/lib/containerd/u1,workdir=/var/lib/containerd/w1
1451 1450 0:314 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1452 1450 0:315 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
1457 1450 259:1 /var/log /var/log rw,relatime - ext4 /dev/nvme0n1p1 rw,discard
1458 1450 259:1 /var/lib/kubelet/pods/0a1b/volumes/kubernetes.io~empty-dir/cache /cache rw,relatime - ext4 /dev/nvme0n1p1 rw
1459 1450 259:1 /var/lib/kubelet/pods/0a1b/etc-hosts /etc/hosts rw,relatime - ext4 /dev/nvme0n1p1 rw
1460 1450 259:1 /var/lib/kubelet/pods/0a1b/containers/app/1f2e /dev/termination-log rw,relatime - ext4 /dev/nvme0n1p1 rw
1461 1450 259:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/hostname /etc/hostname rw,relatime - ext4 /dev/nvme0n1p1 rw
1462 1450 259:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/nvme0n1p1 rw
1463 1450 0:301 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw,size=65536k
1464 1450 259:1 /etc/ssl/certs /etc/ssl/certs ro,relatime - ext4 /dev/nvme0n1p1 rw
1465 1450 0:25 /containerd/containerd.sock /run/containerd/containerd.sock rw,nosuid,nodev - tmpfs tmpfs rw,mode=755
1466 1450 259:1 / /host rw,relatime - ext4 /dev/nvme0n1p1 rw
1467 1450 8:17 /srv/data\\040dir /data\\040dir rw - xfs /dev/sdb1 rw
`;

/** The same kind of pod under the restricted Pod Security Standard: nothing of the host, no capabilities. */
const RESTRICTED_MOUNTINFO = `1450 1302 0:312 / / rw,relatime master:478 - overlay overlay rw,lowerdir=/var/lib/containerd/l1
1451 1450 0:314 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1458 1450 259:1 /var/lib/kubelet/pods/0a1b/volumes/kubernetes.io~empty-dir/tmp /tmp rw,relatime - ext4 /dev/nvme0n1p1 rw
1459 1450 259:1 /var/lib/kubelet/pods/0a1b/etc-hosts /etc/hosts rw,relatime - ext4 /dev/nvme0n1p1 rw
1463 1450 0:301 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw,size=65536k
`;

/** /proc/self/status around CapEff; the default container runtime set includes CAP_NET_RAW. */
function status(capEff: string): string {
  return `Name:\tkubeferret\nUmask:\t0022\nState:\tR (running)\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\nCapBnd:\t${capEff}\nNoNewPrivs:\t0\n`;
}

let workdir: string;
const labs: Record<string, Lab> = {};

function podRoot(name: string, files: { status?: string; mountinfo?: string; mounts?: string }): string {
  const root = join(workdir, name);
  mkdirSync(join(root, 'proc', 'self'), { recursive: true });
  if (files.status !== undefined) writeFileSync(join(root, 'proc/self/status'), files.status);
  if (files.mountinfo !== undefined) writeFileSync(join(root, 'proc/self/mountinfo'), files.mountinfo);
  if (files.mounts !== undefined) writeFileSync(join(root, 'proc/self/mounts'), files.mounts);
  return root;
}

before(async () => {
  workdir = mkdtempSync(join(tmpdir(), 'kubeferret-pod-'));
  [labs.vulnerable, labs.hardened] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.53.0.2', nodes: 1, etcd: 'off' }),
    startLab({ profile: 'hardened', base: '127.53.1.2', nodes: 1, etcd: 'off' }),
  ]);
});

after(async () => {
  await Promise.all(Object.values(labs).map((l) => l.stop()));
  rmSync(workdir, { recursive: true, force: true });
});

function podHunt(lab: Lab, serviceAccount: string, root: string) {
  return huntLab(lab, {
    hunters: HUNTERS,
    ports: [PORTS.apiserver],
    addresses: [lab.hosts[0].address],
    identities: [
      podVantage(lab, join(workdir, `sa-${lab.profile}-${serviceAccount.replace('/', '-')}`), serviceAccount),
    ],
    config: { extra: { podRoot: root } },
  });
}

describe('the pod vantage in the vulnerable lab', () => {
  let hunt: Awaited<ReturnType<typeof podHunt>>;
  before(async () => {
    const root = podRoot('exposed', { status: status('00000000a80425fb'), mountinfo: EXPOSED_MOUNTINFO });
    hunt = await podHunt(labs.vulnerable, 'default/reader', root);
  });

  it('reports the mounted token with what it may do, as the API server answered it', () => {
    assert.deepEqual(hunt.result.problems, []);
    const [token, ...more] = hunt.of('KF-POD-001');
    assert.equal(more.length, 0);
    assert.equal(token.identity, 'pod:default/reader');
    assert.equal(token.object, 'container of pod:default/reader');
    assert.equal(
      token.evidence,
      `the mounted token of pod:default/reader is accepted by ${labs.vulnerable.hosts[0].address}:6443 and may list namespaces, list nodes, list pods, list roles, list clusterroles`,
    );
    const access = hunt.access.find((a) => a.identity === 'pod:default/reader');
    assert.ok(access && token.parents.includes(access.id), 'from the pod identity ApiAccess');
    assert.equal(hunt.of('KF-API-005', 'pod:default/reader').length, 1, 'its API findings too');
    assert.ok(
      hunt.requests.some((r) => r.identity === 'system:serviceaccount:default:reader'),
      'the lab saw the pod token',
    );
  });

  it('reports CAP_NET_RAW from the effective capabilities', () => {
    const [caps, ...more] = hunt.of('KF-POD-002');
    assert.equal(more.length, 0);
    assert.equal(caps.evidence, 'CapEff 00000000a80425fb includes CAP_NET_RAW (bit 13)');
    assert.equal(caps.path, '/proc/self/status');
  });

  it('reports each writable host mount, and none of the pod own volumes or read-only mounts', () => {
    const mounts = hunt.of('KF-POD-003');
    assert.deepEqual(mounts.map((f) => f.path).sort(), [
      '/data dir',
      '/host',
      '/run/containerd/containerd.sock',
      '/var/log',
    ]);
    const byPath = Object.fromEntries(mounts.map((f) => [f.path, f.evidence]));
    assert.equal(
      byPath['/var/log'],
      'host /var/log (ext4 on /dev/nvme0n1p1) is mounted writable at /var/log (/proc/self/mountinfo)',
    );
    assert.equal(
      byPath['/host'],
      'host / (ext4 on /dev/nvme0n1p1) is mounted writable at /host (/proc/self/mountinfo)',
    );
    assert.match(byPath['/data dir'], /^host \/srv\/data dir \(xfs on \/dev\/sdb1\)/);
  });

  it('sent nothing but GET and the self reviews, and put no secret in any event', () => {
    assertOnlyReads(hunt);
    assertNoSecrets(labs.vulnerable, hunt.result);
  });

  it('says when every capability is held', async () => {
    const root = podRoot('privileged', { status: status('000001ffffffffff'), mountinfo: RESTRICTED_MOUNTINFO });
    const privileged = await podHunt(labs.vulnerable, 'default/reader', root);
    const [caps] = privileged.of('KF-POD-002');
    assert.equal(
      caps.evidence,
      'CapEff 000001ffffffffff includes CAP_NET_RAW (bit 13), and every other capability (a privileged container)',
    );
    assert.deepEqual(privileged.of('KF-POD-003'), []);
  });

  it('falls back to /proc/self/mounts, which does not name the host directory', async () => {
    const root = podRoot('mounts-only', {
      status: status('0000000000000000'),
      mounts: [
        'overlay / overlay rw,relatime,lowerdir=/var/lib/containerd/l1 0 0',
        'proc /proc proc rw,nosuid 0 0',
        '/dev/nvme0n1p1 /var/log ext4 rw,relatime 0 0',
        '/dev/nvme0n1p1 /etc/hosts ext4 rw,relatime 0 0',
        '/dev/nvme0n1p1 /etc/config ext4 ro,relatime 0 0',
        'tmpfs /var/run/secrets/kubernetes.io/serviceaccount tmpfs ro,relatime 0 0',
      ].join('\n'),
    });
    const fallback = await podHunt(labs.vulnerable, 'default/reader', root);
    assert.deepEqual(
      fallback.of('KF-POD-003').map((f) => f.evidence),
      ['/dev/nvme0n1p1 (ext4, host directory unknown) is mounted writable at /var/log (/proc/self/mounts)'],
    );
    assert.deepEqual(fallback.of('KF-POD-002'), [], 'no capabilities');
  });

  it('reads nothing it cannot, says so only in the debug log, and goes on', async () => {
    const empty = await podHunt(labs.vulnerable, 'default/reader', podRoot('empty', {}));
    assert.deepEqual(empty.result.problems, []);
    assert.deepEqual(
      empty.ids.filter((id) => id !== 'KF-POD-001' && id.startsWith('KF-POD')),
      [],
    );
    assert.equal(empty.of('KF-POD-001').length, 1);
  });
});

describe('the pod vantage in the hardened lab', () => {
  it('finds nothing for a restricted pod whose token may do nothing, only the defences that held', async () => {
    const root = podRoot('restricted', { status: status('0000000000000000'), mountinfo: RESTRICTED_MOUNTINFO });
    const hunt = await podHunt(labs.hardened, 'default/nobody', root);
    assert.deepEqual(hunt.result.problems, []);
    // Anonymous callers refused and the insecure port shut: what held, reported as such.
    assert.deepEqual(
      hunt.ids.filter((id) => id !== 'KF-API-006'),
      ['KF-API-202', 'KF-API-203'],
    );
    const access = hunt.access.find((a) => a.identity === 'pod:default/nobody');
    assert.ok(access, 'the token was accepted and asked');
    assert.ok(Object.values(access.can).every((v) => v === false));
    assertOnlyReads(hunt);
  });
});

describe('without the pod vantage', () => {
  it('the pod hunters do not run, whatever the files say', async () => {
    const root = podRoot('not-a-pod', { status: status('00000000a80425fb'), mountinfo: EXPOSED_MOUNTINFO });
    const hunt = await huntLab(labs.vulnerable, {
      hunters: HUNTERS,
      ports: [PORTS.apiserver],
      addresses: [labs.vulnerable.hosts[0].address],
      identities: [tokenIdentity(labs.vulnerable, 'reader')],
      config: { extra: { podRoot: root } },
    });
    assert.deepEqual(
      hunt.ids.filter((id) => id.startsWith('KF-POD')),
      [],
    );
    for (const id of ['pod-net-raw', 'pod-host-mounts', 'pod-service-account-token']) {
      assert.ok(!hunt.result.engine.huntersRun.includes(id), `${id} not run`);
    }
  });
});
