import { escapeHtml, renderGraphSvg } from './graph-svg.js';
import { pathNodeIds } from './graph-view.js';
import { type Report, toolLabel } from './schema.js';
import {
  COVERAGE_REASON_TEXT,
  chainText,
  countsText,
  gapWhere,
  SEVERITIES_DESC,
  seconds,
  statsLine,
  summaryLine,
} from './text.js';

// One self-contained page: styles and the filter script inline, the graph as inline SVG, and a
// Content-Security-Policy that forbids every fetch, so opening it never touches the network.

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:0 24px 48px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:20px 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6475;margin:0 0 8px}
.summary{font-weight:600}
.graph-wrap{overflow:auto;border:1px solid #d8dde6;background:#fff;border-radius:6px;max-height:70vh}
#graph .edge{fill:none;stroke:#8a93a6;stroke-width:1.3}
#graph .arrowhead{fill:#8a93a6}
#graph .node rect{stroke-width:1.4;fill:#eef1f6;stroke:#8a93a6}
#graph .node text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:#1d2330}
#graph .kind-host rect{fill:#1d2330;stroke:#1d2330}#graph .kind-host text{fill:#fff;font-weight:600}
#graph .kind-service rect,#graph .kind-port rect{fill:#e3ecfb;stroke:#4a78c2}
#graph .kind-credential rect,#graph .kind-access rect{fill:#f1e8fb;stroke:#8752c4}
#graph .sev-critical rect{fill:#fde2e2;stroke:#b3001b;stroke-width:2.2}
#graph .sev-high rect{fill:#fdeadf;stroke:#d9480f}
#graph .sev-medium rect{fill:#fff6d6;stroke:#c99700}
#graph .sev-low rect{fill:#e1f3f8;stroke:#1b8aa8}
#graph .sev-info rect{fill:#f0f1f3;stroke:#9aa1ad}
#graph .node.dimmed{opacity:.18}
#graph .node.on-path rect{stroke:#6f1ab1;stroke-width:3.2}#graph .edge.on-path{stroke:#6f1ab1;stroke-width:2.6}
#attack-paths li{margin:4px 0}#attack-paths ol{margin:2px 0 6px}
#graph .group{cursor:pointer}#graph .group rect{stroke-dasharray:5 2}
.graph-note{margin:6px 10px;color:#5b6475}
.filters{display:flex;gap:14px;align-items:center;flex-wrap:wrap;margin:8px 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d8dde6;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6}
td.chain,td.evidence{font:12px ui-monospace,Menlo,Consolas,monospace;word-break:break-word}
.sev{font-weight:600;text-transform:uppercase;font-size:12px}
.sev-critical .sev{color:#b3001b}.sev-high .sev{color:#d9480f}.sev-medium .sev{color:#9a7400}.sev-low .sev{color:#1b8aa8}.sev-info .sev{color:#6b7280}
tr.suppressed{opacity:.55}
details{margin:4px 0}
`;

// Hides the rows (and dims the graph's finding nodes) that the severity boxes and host menu exclude; a
// click on a group of findings in the graph keeps only its rows until "all findings" is clicked.
const SCRIPT = `
(function(){
  var boxes=[].slice.call(document.querySelectorAll('input[data-filter-severity]'));
  var host=document.getElementById('host-filter');
  var reset=document.getElementById('group-filter');
  var only=null;
  function apply(){
    var on={};boxes.forEach(function(b){on[b.value]=b.checked;});
    var h=host.value;
    [].slice.call(document.querySelectorAll('#findings tbody tr')).forEach(function(r){
      r.hidden=!(on[r.dataset.severity]&&(h===''||r.dataset.host===h)&&(!only||only[r.dataset.fingerprint]));
    });
    reset.hidden=!only;
    [].slice.call(document.querySelectorAll('#graph .kind-finding')).forEach(function(n){
      n.classList.toggle('dimmed',!(on[n.dataset.severity]&&(h===''||n.dataset.host===h)));
    });
  }
  [].slice.call(document.querySelectorAll('#graph g[data-members]')).forEach(function(g){
    g.addEventListener('click',function(){
      only={};g.dataset.members.split(' ').forEach(function(f){only[f]=true;});
      reset.textContent='all findings (showing '+g.querySelector('title').textContent.split(' (click')[0]+')';
      apply();document.getElementById('findings').scrollIntoView();
    });
  });
  reset.addEventListener('click',function(){only=null;apply();});
  boxes.forEach(function(b){b.addEventListener('change',apply);});
  host.addEventListener('change',apply);
  apply();
})();
`;

function list(items: string[]): string {
  return items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : '';
}

export function renderHtml(report: Report): string {
  const e = escapeHtml;
  const { scan, stats, trace } = report;
  const hosts = [...new Set(report.findings.map((f) => f.host ?? ''))].filter(Boolean);
  const rows = report.findings.map((f) => {
    const aliases = [...f.aliases.khv, ...f.aliases.mitre].join(', ');
    const refs = f.references.map((r) => `<li>${e(r)}</li>`).join('');
    return [
      `<tr class="sev-${f.severity}${f.baseline === 'suppressed' ? ' suppressed' : ''}" data-severity="${f.severity}" data-host="${e(f.host ?? '')}" data-fingerprint="${f.fingerprint}">`,
      `<td class="sev">${f.severity}</td>`,
      `<td>${e(f.kb)}${aliases ? `<br><small>${e(aliases)}</small>` : ''}</td>`,
      `<td>${e(f.title)}${f.proof ? ' <strong>(proven)</strong>' : f.possible ? ` <em>(possible: not checked whether ${e(f.possible)})</em>` : ''}${f.defence ? ' <strong>(defence held)</strong>' : ''}${f.baseline ? ` <small>[${f.baseline}]</small>` : ''}`,
      `<details><summary>details</summary><p>${e(f.description)}</p><p><strong>Remediation:</strong> ${e(f.remediation)}</p>${refs ? `<ul>${refs}</ul>` : ''}</details></td>`,
      `<td>${e(f.location)}</td>`,
      `<td class="chain">${e(chainText(f))}</td>`,
      `<td class="evidence">${e(f.evidence)}</td>`,
      '</tr>',
    ].join('');
  });
  const access =
    report.access.rows.length === 0
      ? ''
      : `<h2>Identities compared</h2><table id="access"><thead><tr><th>endpoint</th><th>check</th>${report.access.identities
          .map((i) => `<th>${e(i)}</th>`)
          .join('')}</tr></thead><tbody>${report.access.rows
          .map(
            (r) =>
              `<tr><td>${e(r.endpoint)}</td><td>${e(r.check)}</td>${report.access.identities
                .map(
                  (i) => `<td>${r.allowed[i] === undefined ? '–' : r.allowed[i] ? '<strong>yes</strong>' : 'no'}</td>`,
                )
                .join('')}</tr>`,
          )
          .join('')}</tbody></table>`;
  const coverage =
    report.coverage.length === 0
      ? ''
      : `<h2>Not fully examined</h2><table id="coverage"><thead><tr><th>where</th><th>what</th><th>reason</th><th>hunter</th><th>detail</th></tr></thead><tbody>${report.coverage
          .map(
            (g) =>
              `<tr data-reason="${g.reason}"><td>${e(gapWhere(g))}</td><td>${e(g.subject)}</td><td title="${e(COVERAGE_REASON_TEXT[g.reason])}">${g.reason}</td><td>${e(g.hunterTitle)}</td><td class="evidence">${e(g.detail)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  // Each path with its numbered steps, under the graph that outlines the findings they rest on.
  const paths =
    report.paths.length === 0
      ? ''
      : `<h3>Attack paths (computed, not walked)</h3><ul id="attack-paths">${report.paths
          .map(
            (p) =>
              `<li data-from="${e(p.from)}" data-to="${e(p.to)}"><strong>${e(`${p.from} → ${p.to}`)}</strong> (${p.steps.length} ${p.steps.length === 1 ? 'step' : 'steps'}, ${e(`${p.host}:${p.port}`)})<ol>${p.steps
                .map((s) => `<li>${e(`${s.action} → ${s.subject}: ${s.evidence}`)}</li>`)
                .join('')}</ol></li>`,
          )
          .join('')}</ul>`;
  const sections: string[] = [];
  if (report.baseline && report.baseline.fixed.length > 0) {
    sections.push(
      `<h2>Fixed since the baseline</h2>${list(report.baseline.fixed.map((f) => e(`${f.kb} ${f.title} — ${f.location}`)))}`,
    );
  }
  if (report.changes.length > 0) {
    sections.push(
      `<h2>Changes made by active hunters</h2>${list(
        report.changes.map(
          (c) =>
            `${e(`${c.action} on ${c.target} (${c.hunter})`)}: ${c.undone ? 'undone' : `<strong>not undone</strong> ${e(c.undoError ?? '')}`}`,
        ),
      )}`,
    );
  }
  if (report.notContacted.length > 0) {
    sections.push(
      `<h2>Seen, not contacted</h2>${list(report.notContacted.map((n) => e(`${n.address}: ${n.reason} (${n.origin})`)))}`,
    );
  }
  if (report.problems.length > 0) {
    sections.push(
      `<h2>Problems</h2>${list(report.problems.map((p) => e(`${p.kind}: ${p.hunter} on ${p.subject}: ${p.message}`)))}`,
    );
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kubeferret report · ${e(scan.targets.join(' '))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>kubeferret report</h1>
<p class="meta">${e(`${scan.mode} hunt of ${scan.targets.join(', ') || '-'} · vantage ${scan.vantagePoints.join(', ') || '-'} · identities ${scan.identities.map((i) => i.name).join(', ') || 'none'} · ${scan.startedAt} · ${seconds(scan.durationMs)} · kubeferret ${toolLabel(report.tool)}${scan.interrupted ? ' · interrupted' : ''}`)}</p>
<p class="summary" id="summary">${e(summaryLine(report))}</p>
<h2>Attack graph</h2>
<div class="graph-wrap">${renderGraphSvg(report.graph, pathNodeIds(report))}</div>
${paths}
<h2>Findings</h2>
<div class="filters">
${SEVERITIES_DESC.map((s) => `<label><input type="checkbox" data-filter-severity value="${s}" checked> ${s}</label>`).join('\n')}
<label>host <select id="host-filter"><option value="">all hosts</option>${hosts.map((h) => `<option value="${e(h)}">${e(h)}</option>`).join('')}</select></label>
<button type="button" id="group-filter" hidden>all findings</button>
</div>
<table id="findings"><thead><tr><th>severity</th><th>id</th><th>finding</th><th>location</th><th>chain</th><th>evidence</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
${coverage}
${access}
${sections.join('\n')}
<h2>Audit trail</h2>
<p id="trace">${e(`${trace.path ? `trace file ${trace.path}` : 'no trace file'} · ${trace.requests} requests, ${trace.refused} refused`)}<br>
${e(`by host: ${countsText(trace.byHost)}`)}<br>${e(`by hunter: ${countsText(trace.byHunter)}`)}</p>
<p>${e(statsLine(stats))}</p>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
