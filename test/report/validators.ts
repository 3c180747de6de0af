import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// The readers each format is checked with: ajv against the published report schema (draft 2020-12) and
// against the official SARIF 2.1.0 schema (draft-07) vendored under test/fixtures/report.

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;
const ROOT = join(import.meta.dirname, '..', '..');

function errorsOf(validate: { errors?: unknown[] | null }): string {
  return JSON.stringify(validate.errors?.slice(0, 5), null, 1);
}

export function reportSchemaFile(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'schema', 'report.schema.json'), 'utf8'));
}

export function reportValidator(): (data: unknown) => string | undefined {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(reportSchemaFile());
  return (data) => (validate(data) ? undefined : errorsOf(validate));
}

export function sarifValidator(): (data: unknown) => string | undefined {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'report', 'sarif-schema-2.1.0.json'), 'utf8'));
  const validate = ajv.compile(schema);
  return (data) => (validate(data) ? undefined : errorsOf(validate));
}
