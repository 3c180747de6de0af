// Writes schema/report.schema.json from the report model (src/report/schema.ts).
// Run after changing the model: node --import tsx scripts/report-schema.ts
import { writeFileSync } from 'node:fs';
import { reportJsonSchema } from '../src/report/schema.js';

writeFileSync(
  new URL('../schema/report.schema.json', import.meta.url),
  `${JSON.stringify(reportJsonSchema(), null, 2)}\n`,
);
