import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiserverHunters } from '../../../src/hunters/apiserver/index.js';
import { type Lab, PORTS, startLab } from '../../../src/lab/index.js';
import { assertNoSecrets, assertOnlyReads, huntApiAs, huntLab, type LabHunt } from '../lab-hunt.js';

// Block 127.57.0.0/16: pod specs and plain-text credentials read through the API, checked against the lab.

let vulnerable: Lab;
let standard: Lab;

before(async () => {
  [vulnerable, standard] = await Promise.all([
    startLab({ profile: 'vulnerable', base: '127.57.0.2', nodes: 1, etcd: 'off' }),
    startLab({ profile: 'default', base: '127.57.1.2', nodes: 1, etcd: 'off' }),
  ]);
});

after(async () => {
  await Promise.all([vulnerable.stop(), standard.stop()]);
});

const objectsOf = (hunt: LabHunt, kb: string) => hunt.of(kb).map((f) => f.object);

describe('workloads read through the API on the vulnerable lab, without credentials', () => {
  let hunt: LabHunt;
  before(async () => {
    hunt = await huntLab(vulnerable, { hunters: apiserverHunters, ports: [PORTS.apiserver] });
  });

  it("reports the privileged, host-sharing and host-mounting pods where they are, a controller's pods as the controller", async () => {
    assert.deepEqual(hunt.result.problems, []);
    const debug = 'default/Pod/debug-tools';
    // The DaemonSets' pods show what their templates show: the finding is the DaemonSet's.
    const collector = 'logging/DaemonSet/log-collector';
    const proxy = 'kube-system/DaemonSet/kube-proxy';
    assert.deepEqual(objectsOf(hunt, 'KF-WORKLOAD-001').sort(), [debug, proxy].sort());
    assert.deepEqual(objectsOf(hunt, 'KF-WORKLOAD-002').sort(), [debug, proxy].sort());
    // kube-proxy mounts the node's /lib/modules and /run/xtables.lock, as kubeadm's DaemonSet does.
    assert.deepEqual(objectsOf(hunt, 'KF-WORKLOAD-003').sort(), [debug, collector, proxy].sort());
    const [modules] = hunt.of('KF-WORKLOAD-003').filter((f) => f.object === proxy);
    assert.match(modules.evidence, /\/lib\/modules/);
    assert.match(modules.evidence, /\/run\/xtables\.lock/);
    const [root] = hunt.of('KF-WORKLOAD-003').filter((f) => f.object === debug);
    assert.match(root.evidence, /hostPath \/ \(the node's root filesystem\)/);
    const [varlog] = hunt.of('KF-WORKLOAD-003').filter((f) => f.object === collector);
    assert.match(varlog.evidence, /hostPath \/var\/log \(the node logs/);
    const [shared] = hunt.of('KF-WORKLOAD-002').filter((f) => f.object === debug);
    assert.match(shared.evidence, /hostPID: true, hostNetwork: true/);
    assert.match(shared.evidence, /read through the API as anonymous at /);
    for (const f of hunt.findings.filter((x) => x.kb.startsWith('KF-WORKLOAD-'))) {
      assert.equal(f.port, undefined, 'a fact about the object, not the port');
      assert.equal(f.identity, undefined);
    }
  });

  it('reads pod templates of the controllers the lab serves', () => {
    const roots = objectsOf(hunt, 'KF-WORKLOAD-005');
    assert.ok(roots.includes('default/Deployment/web'), `the web Deployment's template runs as root: ${roots}`);
    assert.ok(objectsOf(hunt, 'KF-WORKLOAD-001').includes('kube-system/DaemonSet/kube-proxy'), 'privileged template');
    // The coredns pod, and its Deployment's template, drop every capability and forbid privilege escalation.
    assert.ok(!roots.some((o) => o?.includes('/coredns')), `coredns is restricted: ${roots}`);
    assert.ok(!roots.includes('default/Pod/debug-tools'), 'a privileged container is reported as such');
  });

  it("reports the web Deployment's DB_PASSWORD and the app-config DATABASE_URL, redacted, and not the decoys", () => {
    // Its pod holds the same literal, from the template: one finding, the Deployment's.
    const web = 'default/Deployment/web';
    const held = hunt.of('KF-WORKLOAD-006');
    assert.deepEqual(held.map((f) => f.object).sort(), ['default/ConfigMap/app-config', web].sort());
    const [env] = held.filter((f) => f.object === web);
    assert.match(env.evidence, /holds 1 credential in environment literals: DB_PASSWORD = \[redacted /);
    assert.match(env.evidence, /2 secret-like names kept out as not credentials \(PASSWORD_FILE, TOKEN_TTL\)/);
    const [config] = held.filter((f) => f.object === 'default/ConfigMap/app-config');
    assert.match(config.evidence, /DATABASE_URL = \[redacted \S+\] \(a connection URL with a password\)/);
    assert.match(config.evidence, /SESSION_TOKEN_TTL/, 'the decoy is named among those kept out');
    assert.doesNotMatch(config.evidence, /LOG_LEVEL/);
    assertNoSecrets(vulnerable, hunt.result);
  });

  it('only reads', () => {
    assertOnlyReads(hunt);
    const lists = hunt.requests.filter((r) => r.path.startsWith('/apis/apps/v1/deployments?limit='));
    assert.ok(lists.length > 0, 'Deployments were listed');
  });
});

describe('workloads read through the API on the default lab, with credentials', () => {
  it("a reader that may list pods and ConfigMaps (no Secrets) sees the pods' weaknesses; no ConfigMap holds a credential", async () => {
    const hunt = await huntApiAs(standard, 'reader');
    assert.deepEqual(hunt.result.problems, []);
    assert.equal(standard.can('reader', { verb: 'list', group: '', resource: 'configmaps' }), true);
    assert.equal(standard.can('reader', { verb: 'list', group: '', resource: 'secrets' }), false);
    assert.equal(standard.can('reader', { verb: 'list', group: '', resource: 'pods' }), true);
    assert.deepEqual(objectsOf(hunt, 'KF-WORKLOAD-001'), ['kube-system/DaemonSet/kube-proxy']);
    assert.match(hunt.of('KF-WORKLOAD-001')[0].evidence, /as reader at /);
    assert.deepEqual(hunt.of('KF-WORKLOAD-006'), [], 'no credentials in the default lab');
    // The lab's log is shared with the hunts the other tests run at the same time: the reader's own requests.
    const configMaps = hunt.requests.filter(
      (r) => r.path.startsWith('/api/v1/configmaps') && r.identity === 'system:serviceaccount:default:reader',
    );
    assert.ok(configMaps.length > 0 && configMaps.every((r) => r.status === 200), 'ConfigMaps read');
  });

  it('the deployer, allowed pods only in dev, reads dev and nothing of other namespaces', async () => {
    const hunt = await huntApiAs(standard, 'deployer');
    assert.deepEqual(hunt.result.problems, []);
    assert.ok(hunt.requests.some((r) => r.path.startsWith('/api/v1/namespaces/dev/pods?limit=') && r.status === 200));
    for (const f of hunt.findings.filter((x) => x.kb.startsWith('KF-WORKLOAD-'))) {
      assert.ok(f.object?.startsWith('dev/'), `${f.object} is in dev`);
    }
  });
});
