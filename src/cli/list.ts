import type { Command } from 'commander';
import { HUNTERS } from '../hunters/index.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list every hunter: id, title, passive or active, and the event it listens for')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const rows = HUNTERS.map((h) => ({ id: h.id, title: h.title, mode: h.mode, on: h.on, reports: h.reports ?? [] }));
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const width = Math.max(2, ...rows.map((r) => r.id.length));
      console.log(`${'ID'.padEnd(width)}  MODE     LISTENS FOR   TITLE`);
      for (const r of rows) console.log(`${r.id.padEnd(width)}  ${r.mode.padEnd(7)}  ${r.on.padEnd(12)}  ${r.title}`);
      console.log(
        `\n${rows.length} hunters (${rows.filter((r) => r.mode === 'active').length} active, run only with --active)`,
      );
    });
}
