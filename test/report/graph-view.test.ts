import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render } from '../../src/report/formats.js';
import { drawnGraph, MAX_DRAWN_NODES, pathNodeIds } from '../../src/report/graph-view.js';
import type { Report } from '../../src/report/schema.js';
import { largeReport } from './large-report.js';

// What the HTML graph draws of a report's graph: bounded whatever the findings count, nothing lost
// without being counted. The reports here are built in memory (large-report.ts); no socket is opened.

/** Every finding of the report is drawn, inside a drawn group, or counted as not drawn: exactly once. */
function assertAccounted(report: Report, view: ReturnType<typeof drawnGraph>): void {
  const drawn = new Set<string>();
  for (const n of view.nodes) {
    if (n.members) for (const fp of n.members) drawn.add(fp);
    else if (n.kind === 'finding') drawn.add(n.id.slice('finding:'.length));
  }
  const all = new Set(report.findings.map((f) => f.fingerprint));
  for (const fp of drawn) assert.ok(all.has(fp), `drawn ${fp} is a finding of the report`);
  assert.equal(drawn.size + view.omitted.findings, all.size, 'every finding drawn or counted once');
  const ids = new Set(view.nodes.map((n) => n.id));
  for (const e of view.edges)
    assert.ok(ids.has(e.from) && ids.has(e.to), `edge ${e.from} -> ${e.to} joins drawn nodes`);
}

describe('the drawn graph', () => {
  it('draws a small graph whole, one box per node', () => {
    const report = largeReport({ findings: 14, hosts: 1 });
    // 12 CVEs of one version, the anonymous-access finding, one pod: no two leaves of one kind share parents.
    const view = drawnGraph(report.graph);
    assert.deepEqual(view.nodes.map((n) => n.id).sort(), report.graph.nodes.map((n) => n.id).sort());
    assert.equal(view.edges.length, report.graph.edges.length);
    assert.equal(view.grouped, 0);
    assert.deepEqual(view.omitted, { hosts: 0, nodes: 0, findings: 0 });
  });

  it('folds leaf findings of one kind under the same parents into a group, keeps those that chain further', () => {
    const report = largeReport({ findings: 14 + 29, hosts: 1 });
    const view = drawnGraph(report.graph);
    assertAccounted(report, view);
    const groups = view.nodes.filter((n) => n.members);
    // 30 pod findings cycle over three kinds: 10 of each.
    assert.deepEqual(groups.map((g) => g.members!.length).sort(), [10, 10, 10]);
    for (const g of groups) {
      assert.match(g.label, /^10 × KF-POD-00\d /);
      const kinds = new Set(report.findings.filter((f) => g.members!.includes(f.fingerprint)).map((f) => f.kb));
      assert.equal(kinds.size, 1, 'a group holds one kind');
      assert.ok(
        view.edges.some((e) => e.to === g.id && e.from.startsWith('access:')),
        'under the access it came from',
      );
    }
    assert.equal(view.grouped, 30);
    // The anonymous-access finding leads to the access node: it keeps its own box.
    const anonymous = report.findings.find((f) => f.kb === 'KF-KUBELET-001')!;
    assert.ok(view.nodes.some((n) => n.id === `finding:${anonymous.fingerprint}`));
  });

  for (const findings of [2_000, 10_000, 30_000]) {
    it(`stays within ${MAX_DRAWN_NODES} nodes for ${findings} findings and counts what it leaves out`, () => {
      const report = largeReport({ findings, hosts: 40 });
      assert.ok(report.graph.nodes.length > findings);
      const view = drawnGraph(report.graph);
      assert.ok(view.nodes.length <= MAX_DRAWN_NODES, `${view.nodes.length} nodes drawn`);
      assertAccounted(report, view);
      assert.ok(view.grouped > findings / 2, 'most findings are drawn in groups');
      // Each host is drawn, in detail or as one box, or counted as left out.
      const drawnHosts = view.nodes.filter((n) => n.kind === 'host').length;
      assert.equal(drawnHosts + view.omitted.hosts, report.hosts.length);
      assert.equal(view.omitted.hosts, 0, 'forty hosts fit, some as one box each');
      assert.ok(view.collapsed > 0);
      for (const n of view.nodes.filter((x) => x.kind === 'host' && x.members)) {
        const own = report.findings.filter((f) => f.host === n.host).map((f) => f.fingerprint);
        assert.deepEqual([...n.members!].sort(), own.sort(), `${n.label} stands for all its host's findings`);
      }
      if (view.omitted.nodes > 0) {
        const note = view.nodes.find((n) => n.id === 'omitted');
        assert.ok(note, 'what is left out has its own box');
        assert.match(note.label, new RegExp(`${view.omitted.findings} findings`));
      }
    });
  }

  it('bounds a graph of many hosts with one service each, and of one host with thousands of kinds', () => {
    const many = largeReport({ findings: 5_000, hosts: 2_000 });
    const manyView = drawnGraph(many.graph);
    assert.ok(manyView.nodes.length <= MAX_DRAWN_NODES);
    // More hosts than boxes: the gravest drawn (most as one box each), the rest counted.
    assert.ok(manyView.collapsed > 0 && manyView.omitted.hosts > 0);
    assert.equal(manyView.nodes.filter((n) => n.kind === 'host').length + manyView.omitted.hosts, many.hosts.length);
    assertAccounted(many, manyView);
    // Distinct leaves under distinct parents cannot fold: the cut keeps hosts and services first.
    const flat: Report['graph'] = { nodes: [], edges: [] };
    flat.nodes.push({ id: 'host:h', kind: 'host', label: 'h', host: 'h' });
    for (let i = 0; i < 3_000; i++) {
      flat.nodes.push({ id: `version:h:${i}`, kind: 'version', label: `v${i}`, host: 'h' });
      flat.edges.push({ from: 'host:h', to: `version:h:${i}` });
    }
    const flatView = drawnGraph(flat);
    assert.equal(flatView.nodes.length, MAX_DRAWN_NODES);
    assert.ok(flatView.nodes.some((n) => n.id === 'host:h'));
    assert.equal(flatView.omitted.nodes, 3_001 - (MAX_DRAWN_NODES - 1));
  });
});

describe('the HTML page of a large report', () => {
  it('draws at most the bounded graph, lists every finding in the table and says what is grouped', () => {
    const report = largeReport({ findings: 10_000 });
    const html = render('html', report, { color: false, quiet: false });
    const boxes = html.match(/<g class="node /g) ?? [];
    assert.ok(boxes.length > 10 && boxes.length <= MAX_DRAWN_NODES, `${boxes.length} boxes`);
    assert.equal((html.match(/<tr class="sev-/g) ?? []).length, 10_000);
    assert.match(html, /id="graph-note">\d+ findings are drawn in groups of the same kind/);
    const groups = [...html.matchAll(/data-members="([0-9a-f ]+)"/g)].map((m) => m[1].split(' ').length);
    assert.ok(groups.length > 0 && groups.every((n) => n >= 2));
  });
});

/**
 * A report of `findings` findings with one attack path resting on a finding the plain drawing does not
 * show as its own box (folded into a group, its host collapsed, or cut).
 */
function reportWithPath(findings: number): { report: Report; marked: string } {
  const report = largeReport({ findings });
  const plain = new Set(drawnGraph(report.graph).nodes.map((n) => n.id));
  const on = report.findings.findLast((f) => !plain.has(`finding:${f.fingerprint}`));
  assert.ok(on, 'a finding the plain drawing folds');
  report.paths = [
    {
      host: on.host ?? '127.38.0.1',
      port: 6443,
      from: 'anonymous',
      to: 'root on a node',
      steps: [
        {
          action: 'exec-node',
          subject: 'root on a node',
          evidence: `exec into ${on.object}`,
          findings: [on.fingerprint],
        },
      ],
    },
  ];
  return { report, marked: `finding:${on.fingerprint}` };
}

describe('attack paths in the drawn graph', () => {
  it('keeps the nodes of a path drawn as their own box and marked, however large the graph', () => {
    for (const findings of [1_000, 3_000]) {
      const { report, marked } = reportWithPath(findings);
      const ids = pathNodeIds(report);
      assert.deepEqual([...ids], [marked]);
      const view = drawnGraph(report.graph, MAX_DRAWN_NODES, ids);
      const node = view.nodes.find((n) => n.id === marked);
      assert.ok(node?.onPath, `${findings}: drawn and marked`);
      assert.ok(view.nodes.length <= MAX_DRAWN_NODES);
      assert.equal(view.nodes.filter((n) => n.onPath).length, 1);
      assertAccounted(report, view);
    }
  });
});
