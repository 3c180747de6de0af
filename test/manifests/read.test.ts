import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { opsFindings as allOpsFindings } from '../../src/hunters/ops/checks.js';
import { OPS_KB } from '../../src/hunters/ops/objects.js';
import { readManifest } from '../../src/manifests/read.js';

// Manifests read with their lines (the first part of `kubeferret check`), and the ops checks run on them.

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'ops');
/** The checks these fixtures are about; the DNS ones (which also see their workloads' ndots) are dns.yaml's. */
const opsFindings = (...args: Parameters<typeof allOpsFindings>) =>
  allOpsFindings(...args).filter((f) => (Object.values(OPS_KB) as string[]).includes(f.kb));
const read = (name: string) => readManifest(readFileSync(join(FIXTURES, name), 'utf8'), name);

describe('reading manifests with their lines', () => {
  it('reads every document of a multi-document file, with the line each starts on and the lines of fields', () => {
    const { objects, skipped } = read('checkout.yaml');
    assert.deepEqual(skipped, [], 'the empty last document is no problem');
    assert.deepEqual(
      objects.map((o) => [o.kind, o.line]),
      [
        ['Deployment', 2],
        ['HorizontalPodAutoscaler', 19],
      ],
    );
    assert.equal(objects[0].lineOf(['spec', 'replicas']), 8);
    assert.equal(objects[0].lineOf(['spec', 'no-such-field']), 2, 'a missing field is the object line');
  });

  it('opens a List (JSON too) into its items, and names an item that is not an object', () => {
    const { objects, skipped } = read('list.json');
    assert.deepEqual(
      objects.map((o) => [o.kind, o.line]),
      [['DaemonSet', 5]],
    );
    assert.equal(objects[0].lineOf(['spec', 'template', 'spec', 'terminationGracePeriodSeconds']), 14);
    assert.deepEqual(skipped, ['list.json:20: list item 1 is not a Kubernetes object']);
  });

  it('follows a line inside a literal block (a Corefile), and falls back to the key in any other style', () => {
    const { objects } = read('dns.yaml');
    assert.equal(objects[0].lineOf(['data', 'Corefile'], 6), 13, 'autopath, line 6 of the Corefile');
    assert.equal(objects[0].lineOf(['data', 'Corefile']), 7, 'the key without a line inside');
    assert.equal(objects[1].lineOf(['data', 'config.conf'], 4), 26, '|- keeps its lines too');
    const json = readManifest(
      '{"apiVersion": "v1", "kind": "ConfigMap",\n "data": {"Corefile": ".:53 {\\n autopath\\n}"}}',
      'cm.json',
    );
    assert.equal(json.objects[0].lineOf(['data', 'Corefile'], 2), 2, 'a quoted string: the key line');
  });

  it('a file that is not Kubernetes YAML is one line per document, and nothing is thrown', () => {
    const { objects, skipped } = read('not-kubernetes.yaml');
    assert.deepEqual(objects, []);
    assert.equal(skipped.length, 2);
    assert.equal(skipped[0], 'not-kubernetes.yaml:1: not a Kubernetes object (no apiVersion and kind)');
    assert.match(skipped[1], /^not-kubernetes\.yaml:\d+: not YAML: /);
    assert.doesNotMatch(skipped[1], /\n/);
  });

  it('garbage (binary, a lone scalar, an empty file) is a line or nothing, never a throw', () => {
    assert.deepEqual(readManifest('', 'empty.yaml'), { objects: [], skipped: [] });
    assert.deepEqual(readManifest('42\n', 'n.yaml').skipped, [
      'n.yaml:1: not a Kubernetes object (no apiVersion and kind)',
    ]);
    const binary = readManifest('\u0000\u0001\u00ff{[', 'b.bin');
    assert.equal(binary.objects.length, 0);
    assert.equal(binary.skipped.length, 1);
  });
});

describe('the ops checks on manifests', () => {
  it('the manifest of an autoscaled Deployment that sets replicas is KF-OPS-001 at the Deployment', () => {
    const found = opsFindings(read('checkout.yaml').objects, 'manifest');
    assert.deepEqual(
      found.map((f) => [f.kb, f.where]),
      [['KF-OPS-001', 'fleet/Deployment/checkout']],
    );
    assert.match(
      found[0].detail,
      /HorizontalPodAutoscaler checkout \(3-40 replicas\) but its manifest sets spec\.replicas 3/,
    );
  });

  it('a DaemonSet in a List is KF-OPS-002 (:latest) and KF-OPS-003 (two hours)', () => {
    const found = opsFindings(read('list.json').objects, 'manifest');
    assert.deepEqual(
      found.map((f) => [f.kb, f.where]),
      [
        ['KF-OPS-002', 'fleet/DaemonSet/log-shipper'],
        ['KF-OPS-003', 'fleet/DaemonSet/log-shipper'],
      ],
    );
  });

  it('without the autoscaler, the same Deployment is nothing', () => {
    const deployment = read('checkout.yaml').objects.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(opsFindings(deployment, 'manifest'), []);
  });
});
