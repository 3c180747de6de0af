import { dump } from 'js-yaml';
import { renderHtml } from './html.js';
import { renderKubeHunter } from './kubehunter.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import type { Report } from './schema.js';
import { renderTable } from './table.js';

// Every output format, by the name `--format` takes, with the file name `--output-dir` gives it.

export interface RenderOptions {
  /** Colour for the terminal table. */
  color: boolean;
  /** The table prints only its summary line. */
  quiet: boolean;
}

interface Format {
  fileName: string;
  render(report: Report, options: RenderOptions): string;
}

export const FORMATS = {
  table: { fileName: 'report.txt', render: renderTable },
  json: { fileName: 'report.json', render: (r) => `${JSON.stringify(r, null, 2)}\n` },
  // js-yaml rather than yaml's document model: a third of the time on a 10,000-finding report (bench/report.ts).
  // Like JSON: no anchors for repeated objects, no folded lines, undefined values left out.
  yaml: {
    fileName: 'report.yaml',
    render: (r) => dump(r, { lineWidth: -1, noRefs: true, skipInvalid: true }),
  },
  sarif: { fileName: 'report.sarif', render: renderSarif },
  html: { fileName: 'report.html', render: renderHtml },
  markdown: { fileName: 'report.md', render: renderMarkdown },
  'kube-hunter': { fileName: 'kube-hunter.json', render: renderKubeHunter },
} satisfies Record<string, Format>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

export function render(format: FormatName, report: Report, options: RenderOptions): string {
  return FORMATS[format].render(report, options);
}
