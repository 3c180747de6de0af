import { UsageError } from '../core/errors.js';
import { REPORT_VERSION, type Report, reportSchema } from './schema.js';

/** Reads a saved JSON report (`--format json`) back; a broken, foreign or newer file is one clear line. */
export function parseReport(text: string, path: string): Report {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON: give a report written with --format json`);
  }
  const head = json as { $schema?: unknown; reportVersion?: unknown } | null;
  if (
    !head ||
    typeof head !== 'object' ||
    typeof head.$schema !== 'string' ||
    !head.$schema.startsWith('urn:kubeferret:report:')
  ) {
    throw new UsageError(`${path} is not a kubeferret report: give a report written with --format json`);
  }
  if (head.reportVersion !== REPORT_VERSION) {
    throw new UsageError(
      `${path} is a kubeferret report of version ${String(head.reportVersion)}; this kubeferret reads version ${REPORT_VERSION}`,
    );
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `${path} is not a valid kubeferret report: ${issue.path.join('.') || 'top level'}: ${issue.message}`,
    );
  }
  return parsed.data;
}
