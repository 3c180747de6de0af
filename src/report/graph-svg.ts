import dagre, { type Point } from '@dagrejs/dagre';
import { drawnGraph } from './graph-view.js';
import type { Report } from './schema.js';

// The attack graph as an SVG string, laid out by dagre while rendering, so the page needs no library.
// dagre's cost grows much faster than the node count, so it lays out the bounded view of graph-view.ts.

const NODE_HEIGHT = 30;
const MAX_LABEL = 38;
const CHAR_WIDTH = 7;

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function shortLabel(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}

/** The graph as SVG; `marked` node ids (the attack paths') are kept drawn and highlighted. */
export function renderGraphSvg(model: Report['graph'], marked: ReadonlySet<string> = new Set()): string {
  if (model.nodes.length === 0) return '<p class="empty">Nothing was found to draw.</p>';
  const graph = drawnGraph(model, undefined, marked);
  const onPath = new Set(graph.nodes.filter((n) => n.onPath).map((n) => n.id));
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) {
    g.setNode(n.id, { width: shortLabel(n.label).length * CHAR_WIDTH + 24, height: NODE_HEIGHT });
  }
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph() as { width?: number; height?: number };

  const edges = (g.edges() as { v: string; w: string }[]).map((ref) => {
    const points: Point[] = g.edge(ref).points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const cls = onPath.has(ref.v) && onPath.has(ref.w) ? 'edge on-path' : 'edge';
    return `<path class="${cls}" data-from="${escapeHtml(ref.v)}" data-to="${escapeHtml(ref.w)}" d="${d}" marker-end="url(#arrow)"/>`;
  });
  const nodes = graph.nodes.map((n) => {
    const box = g.node(n.id) as { x: number; y: number; width: number; height: number };
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const cls = [
      'node',
      `kind-${n.kind}`,
      n.severity ? `sev-${n.severity}` : '',
      n.members ? 'group' : '',
      n.onPath ? 'on-path' : '',
    ]
      .filter(Boolean)
      .join(' ');
    // A group lists its findings' fingerprints: clicking it shows just those rows of the table.
    const members = n.members ? ` data-members="${n.members.join(' ')}"` : '';
    const hint = n.members ? ' (click to list them in the table)' : '';
    return [
      `<g class="${cls}" data-id="${escapeHtml(n.id)}" data-kind="${n.kind}"${n.host ? ` data-host="${escapeHtml(n.host)}"` : ''}${n.severity ? ` data-severity="${n.severity}"` : ''}${members}>`,
      `<title>${escapeHtml(n.label + hint)}</title>`,
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height}" rx="6"/>`,
      `<text x="${box.x.toFixed(1)}" y="${(box.y + 4).toFixed(1)}" text-anchor="middle">${escapeHtml(shortLabel(n.label))}</text>`,
      '</g>',
    ].join('');
  });
  const notes: string[] = [];
  if (onPath.size > 0) notes.push(`${onPath.size} findings on attack paths are outlined`);
  if (graph.grouped > 0) notes.push(`${graph.grouped} findings are drawn in groups of the same kind`);
  if (graph.collapsed > 0) notes.push(`${graph.collapsed} hosts are drawn as one box each`);
  if (graph.omitted.nodes > 0) {
    notes.push(
      `${graph.omitted.nodes} nodes (${graph.omitted.hosts} hosts, ${graph.omitted.findings} findings) are not drawn, to keep the graph readable`,
    );
  }
  const note = notes.length
    ? `<p class="graph-note" id="graph-note">${escapeHtml(`${notes.join('; ')}. The table below lists every finding.`)}</p>`
    : '';
  return [
    note,
    `<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" role="img" aria-label="attack graph">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    `<g class="edges">${edges.join('')}</g>`,
    `<g class="nodes">${nodes.join('')}</g>`,
    '</svg>',
  ]
    .filter(Boolean)
    .join('\n');
}
