import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pendingOf, readJournal } from '../../src/active/journal.js';
import { formatPlan } from '../../src/active/plan.js';
import { defaultConfig, type HuntConfig } from '../../src/core/config.js';
import type { KfEvent } from '../../src/core/events.js';
import type { AnyHunter } from '../../src/core/hunter.js';
import { redactorFor } from '../../src/core/redact.js';
import { parseTarget } from '../../src/discovery/targets.js';
import { Identity, VANTAGE_KEY, type VantageSettings } from '../../src/discovery/vantage/identity.js';
import { podIdentity } from '../../src/discovery/vantage/pod.js';
import { HUNTERS } from '../../src/hunters/index.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { buildReport } from '../../src/report/model.js';
import { renderTable } from '../../src/report/table.js';
import { type HuntResult, runHunt } from '../../src/run/hunt.js';
import { reportValidator } from '../report/validators.js';
import { mutating } from './lab-requests.js';

// This file's loopback block: 127.71.0.0/16. Active hunting of the vulnerable lab with every hunter of the
// project, from remote, with a bare token (as --token-file gives it) and from a pod: every proof is made,
// the lab ends as it began.
const BASE = '127.71.0.2';
const PORTS = [2379, 6443, 8001, 8080, 10250];

let lab: Lab;
let dir: string;
let n = 0;

before(async () => {
  lab = await startLab({ profile: 'vulnerable', base: BASE, nodes: 2 });
  dir = mkdtempSync(join(tmpdir(), 'kf-active-lab-'));
});
after(() => lab.stop());

/**
 * The `--pod` vantage point inside the lab's pod of dev/deployer (its mounted files and environment), and
 * the deployer's token given bare, as `--token-file` gives it: the hunters bind it to the API server found.
 */
function vantages(): Partial<HuntConfig> {
  const files = lab.podFiles(mkdtempSync(join(tmpdir(), 'kf-pod-')), 'dev/deployer');
  const token = new Identity('token-file:deployer', 'token', undefined, {
    token: lab.credentials.deployer.token!,
    trust: { tls: 'unverified' },
  });
  const vantage: VantageSettings = { identities: [podIdentity(files.dir, files.env), token], discoverNodes: false };
  return { extra: { [VANTAGE_KEY]: vantage } };
}

function config(extra: Partial<HuntConfig> = {}): HuntConfig {
  return defaultConfig({
    targets: [parseTarget(`${BASE}-127.71.0.4`)],
    ports: PORTS,
    // Generous: on a loaded 2-core machine a TLS handshake with the lab can take seconds.
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 20_000,
    journalPath: join(dir, `journal-${++n}.jsonl`),
    ...vantages(),
    ...extra,
  });
}

const proofs = (result: HuntResult) =>
  result.events.filter((e): e is KfEvent<'Finding'> => e.type === 'Finding' && e.proof === true);

function hunters(): AnyHunter[] {
  return [...HUNTERS];
}

describe('active hunting of the vulnerable lab', () => {
  it('a passive hunt sends no request that changes anything', async () => {
    const before = await lab.snapshot();
    const from = lab.requests.length;
    const result = await runHunt(config(), hunters());
    assert.ok(result.engine.huntersRun.includes('apiserver-credential-access'), 'the passive side ran');
    assert.ok(!result.engine.huntersRun.some((h) => h.includes('-active-')), 'no active hunter ran');
    assert.deepEqual(mutating(lab.requests.slice(from), HUNTERS), []);
    assert.deepEqual(await lab.snapshot(), before);
  });

  it('an active hunt makes every proof, names the identity of each, and leaves the lab exactly as it was', async () => {
    const before = await lab.snapshot();
    const from = lab.requests.length;
    const cfg = config({ active: true, yes: true });
    const result = await runHunt(cfg, hunters());
    assert.deepEqual(
      result.problems.filter((p) => p.hunter.includes('-active-')),
      [],
    );
    const found = proofs(result);
    const by = (identity: string) =>
      found
        .filter((f) => f.identity === identity)
        .map((f) => f.kb)
        .sort();
    const api = [
      'KF-API-101',
      'KF-API-102',
      'KF-API-103',
      'KF-API-104',
      'KF-API-105',
      'KF-API-106',
      'KF-API-107',
      'KF-API-108',
      'KF-API-110',
      'KF-API-111',
      'KF-API-112',
    ];
    assert.deepEqual(by('insecure-port'), api);
    // Anonymous callers: the API server (cluster-admin), both kubelets, etcd.
    assert.deepEqual(
      [...new Set(by('anonymous'))],
      [
        ...api,
        'KF-ETCD-101',
        'KF-ETCD-102',
        'KF-ETCD-103',
        'KF-KUBELET-101',
        'KF-KUBELET-102',
        'KF-KUBELET-103',
        'KF-KUBELET-104',
      ].sort(),
    );
    // The bare token is the deployer's, as the pod's is (the server says so): one user, surveyed and
    // proved once, as the pod's identity (given first).
    assert.deepEqual(by('token-file:deployer'), []);
    // The deployer may only run pods in its own namespace: that is exactly what it proves, there.
    assert.ok(
      found
        .filter((f) => f.identity === 'pod:dev/deployer' && f.kb.startsWith('KF-API-'))
        .every((f) => f.object?.startsWith('pod dev/')),
    );
    assert.deepEqual(by('kubectl-proxy'), ['KF-PROXY-101']);
    // The tokens the open etcd holds are identities too (etcd-tokens): the three cluster-admin ones prove
    // what anonymous callers do through the API, the others what little they may.
    const fromEtcd = [...new Set(found.filter((f) => f.identity?.startsWith('etcd:')).map((f) => f.identity!))];
    assert.deepEqual(fromEtcd.map((i) => i.replace(/-token-\w+$/, '')).sort(), [
      'etcd:kube-system/lab-admin',
      'etcd:kubernetes-dashboard/kubernetes-dashboard',
      'etcd:ops/operator',
    ]);
    for (const identity of fromEtcd) assert.deepEqual(by(identity), api);
    // The pod's token is the deployer's too: the passive credential hunter finds it may create pods in dev.
    assert.deepEqual(by('pod:dev/deployer'), ['KF-API-110', 'KF-API-111', 'KF-API-112', 'KF-POD-101']);
    assert.match(found.find((f) => f.kb === 'KF-POD-101')?.evidence ?? '', /may in namespace dev: .*create.*pods/);
    assert.match(
      found.find((f) => f.kb === 'KF-KUBELET-104')?.evidence ?? '',
      /read the node's \/etc\/hostname: "lab-node-\d"; link removed/,
    );
    assert.match(
      found.find((f) => f.kb === 'KF-KUBELET-101')?.evidence ?? '',
      /`id` → uid=0\(root\).*`uname -a` → Linux /,
    );
    assert.match(found.find((f) => f.kb === 'KF-PROXY-101')?.evidence ?? '', /Kubernetes v1\.16\.0/);

    // Every object created was named and labelled for this run.
    const posted = mutating(lab.requests.slice(from), HUNTERS).filter((r) => r.method === 'POST' && r.status === 201);
    assert.ok(posted.length >= 9);
    // Per API identity with full rights 7 (namespace, role and its patch, cluster role and its patch, pod
    // and its patch: the insecure port, anonymous and the three cluster-admin tokens from etcd), the
    // deployer's pod and its patch (once: the token and the pod are one user), the etcd key, and a
    // /var/log link on each node (log-collector, a DaemonSet, mounts it on both).
    const links = result.changes.filter((c) => c.hunter === 'kubelet-active-varlog-escape').length;
    assert.equal(links, 2, JSON.stringify(result.changes.map((c) => [c.hunter, c.action])));
    assert.equal(result.changes.length, 5 * 7 + 2 + 1 + links);
    assert.ok(
      result.changes.every((c) => c.undone),
      JSON.stringify(result.changes.filter((c) => !c.undone)),
    );
    assert.ok(
      result.changes
        .filter((c) => c.action.startsWith('create'))
        .every((c) => c.action.includes(`kubeferret-${result.runId}`)),
    );
    assert.deepEqual(pendingOf(readJournal(cfg.journalPath!)), []);
    assert.deepEqual(await lab.snapshot(), before);
  });

  it('a dry run changes nothing and plans the exact requests', async () => {
    const before = await lab.snapshot();
    const from = lab.requests.length;
    const cfg = config({ active: true, dryRun: true });
    const result = await runHunt(cfg, hunters());
    assert.deepEqual(mutating(lab.requests.slice(from), HUNTERS), []);
    assert.deepEqual(await lab.snapshot(), before);
    assert.deepEqual(result.changes, []);
    assert.equal(existsSync(cfg.journalPath!), false);
    assert.deepEqual(
      proofs(result).filter((f) => !['KF-KUBELET-102', 'KF-KUBELET-103', 'KF-PROXY-101', 'KF-POD-101'].includes(f.kb)),
      [],
    );
    const plan = formatPlan(result.plan, redactorFor(result.events));
    writeFileSync(join(dir, 'plan.txt'), plan);
    const ns = result.plan.find((p) => p.hunter === 'apiserver-active-objects' && p.identity === 'anonymous');
    assert.equal(ns?.request.method, 'POST');
    assert.equal(ns?.request.url, `https://${BASE}:6443/api/v1/namespaces`);
    assert.deepEqual(JSON.parse(ns?.request.body ?? '{}').metadata.labels, {
      'app.kubernetes.io/managed-by': 'kubeferret',
      'kubeferret/run-id': result.runId,
    });
    assert.match(plan, /apiserver-active-objects as insecure-port: create privileged pod kubeferret-/);
    assert.match(plan, /"hostPID":true,"hostNetwork":true/);
    assert.match(plan, /etcd-active-keys as anonymous: put etcd key \/kubeferret\/[a-z2-7]{8}\/proof/);
    assert.match(plan, /kubelet-active-varlog-escape as anonymous: create symlink \/var\/log\/kubeferret-/);
    assert.match(plan, /POST https:\/\/127\.71\.0\.\d:10250\/run\/.*\?cmd=ln%20-s%20%2F%20/);
    assert.match(plan, /kubelet-active-run as anonymous: run `id` in /);

    // The report carries the same plan, valid against the published schema.
    const report = buildReport(result);
    assert.equal(reportValidator()(JSON.parse(JSON.stringify(report))), undefined);
    assert.equal(report.plan.length, result.plan.length);
    assert.ok(
      report.plan.some(
        (p) => p.identity === 'anonymous' && p.request.startsWith(`POST https://${BASE}:6443/api/v1/namespaces {`),
      ),
    );
    assert.match(
      renderTable(report, { color: false, quiet: false }),
      /planned by active hunters \(dry run: none of it was sent\)/,
    );
  });
});
