import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import type { KfEvent } from '../../src/core/events.js';
import { ENFORCE_LABEL, ENFORCE_VERSION_LABEL } from '../../src/kubernetes/pod-security.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { PATH_USERS } from '../../src/lab/seed-paths.js';
import { namespaceFact } from '../../src/paths/facts.js';
import { EscalationGraph, type StartFact } from '../../src/paths/graph.js';
import { labFacts } from '../helpers/lab-facts.js';
import { huntApiAs } from '../hunters/lab-hunt.js';
import { call } from '../lab/call.js';

// Block 127.150.4.0/24: Pod Security's enforce-version (a namespace pinned to an old policy version is
// judged at it) and labels that do not parse (judged as Pod Security Admission does: restricted, latest),
// against the lab's admission; exemptions, which the API does not show, are a coverage gap.

let lab: Lab;
let admin: string;

const ns = (name: string, labels: Record<string, string>): Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const rootPod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'root' },
  spec: {
    hostPID: true,
    containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true } }],
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
  },
};

before(async () => {
  lab = await startLab({ profile: 'default', base: '127.150.4.2', nodes: 1, etcd: 'off' });
  admin = lab.credentials.admin.token!;
});

after(() => lab.stop());

describe('Pod Security labels as Pod Security Admission reads them', () => {
  it('a level and a pinned version; a level that is no level fails closed; a version that is none is latest', () => {
    assert.deepEqual(namespaceFact(ns('a', { [ENFORCE_LABEL]: 'baseline', [ENFORCE_VERSION_LABEL]: 'v1.22' })), {
      name: 'a',
      podSecurity: 'baseline',
      podSecurityVersion: 'v1.22',
    });
    assert.deepEqual(namespaceFact(ns('b', { [ENFORCE_LABEL]: 'restricted', [ENFORCE_VERSION_LABEL]: 'latest' })), {
      name: 'b',
      podSecurity: 'restricted',
    });
    assert.deepEqual(namespaceFact(ns('c', { [ENFORCE_LABEL]: 'Strict', [ENFORCE_VERSION_LABEL]: '1.22' })), {
      name: 'c',
      podSecurity: 'restricted',
      labelNote:
        'enforce "Strict" is no level: judged restricted; enforce-version "1.22" is no version: judged at latest',
    });
    assert.deepEqual(namespaceFact(ns('d', { [ENFORCE_VERSION_LABEL]: 'v1.01' })), {
      name: 'd',
      labelNote: 'enforce-version "v1.01" is no version: judged at latest',
    });
  });

  it('a namespace pinned to v1.22 baseline refuses the privileged pod (the lab), and the graph says no node', async () => {
    const created = await call(`${lab.apiServer}/api/v1/namespaces`, {
      method: 'POST',
      token: admin,
      body: ns('pinned', { [ENFORCE_LABEL]: 'baseline', [ENFORCE_VERSION_LABEL]: 'v1.22' }),
    });
    assert.equal(created.status, 201, created.text);
    const refused = await call(`${lab.apiServer}/api/v1/namespaces/pinned/pods`, {
      method: 'POST',
      token: admin,
      body: rootPod,
    });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.json.message, /violates PodSecurity "baseline:/);
    const creator: StartFact = { name: 'creator', namespaces: { pinned: { 'create pods': true } } };
    const relabeler: StartFact = {
      name: 'relabeler',
      who: { user: PATH_USERS.relabeler, groups: ['system:authenticated'] },
    };
    const facts = await labFacts(lab, [creator, relabeler]);
    assert.deepEqual(
      facts.namespaces?.find((n) => n.name === 'pinned'),
      { name: 'pinned', podSecurity: 'baseline', podSecurityVersion: 'v1.22' },
    );
    const graph = new EscalationGraph(facts);
    const paths = graph.paths();
    assert.equal(
      paths.find((p) => p.from === 'creator' && p.to === 'root on a node'),
      undefined,
    );
    assert.ok(graph.refusedByLabels().includes('pinned'), graph.refusedByLabels().join(' '));
    // The version is named where a step rests on the level.
    const pinnedStaging = await call(`${lab.apiServer}/api/v1/namespaces/staging`, {
      method: 'PATCH',
      token: admin,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: { metadata: { labels: { [ENFORCE_VERSION_LABEL]: 'v1.24' } } },
    });
    assert.equal(pinnedStaging.status, 200, pinnedStaging.text);
    const again = new EscalationGraph(await labFacts(lab, [relabeler])).paths();
    assert.match(
      again.find((p) => p.from === 'relabeler' && p.to === 'root on a node')!.steps[0].evidence,
      /namespace staging enforces restricted at v1\.24, a label it may change$/,
    );
  });
});

describe('exemptions', () => {
  it('are not readable through the API: a hunt says which namespaces were judged by their labels alone', async () => {
    const hunt = await huntApiAs(lab, 'reader');
    const gaps = hunt.result.events.filter(
      (e): e is KfEvent<'CoverageGap'> => e.type === 'CoverageGap' && e.subject === 'Pod Security exemptions',
    );
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    assert.equal(gaps[0].hunter, 'apiserver-attack-paths');
    assert.equal(gaps[0].reason, 'skipped');
    assert.match(
      gaps[0].detail,
      /judged refused by the labels of \d+ namespaces? \(.*staging.*\) alone: the PodSecurity admission configuration's exemptions/,
    );
  });
});
