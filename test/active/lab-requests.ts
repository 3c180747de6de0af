import type { LabRequest } from '../../src/lab/index.js';

/** Requests that change state: every write except reviews, which only answer a question. */
export function mutating(requests: readonly LabRequest[]): LabRequest[] {
  return requests.filter(
    (r) =>
      !['GET', 'HEAD', 'TCP'].includes(r.method) &&
      !/\/(self)?subject(access|rules)?reviews|\/tokenreviews/.test(r.path),
  );
}
