import type { AnyHunter } from '../../src/core/hunter.js';
import type { LabRequest } from '../../src/lab/index.js';

/**
 * Requests that change state: everything but GET and HEAD, less the requests the hunters declare as reads
 * (`readOnlyRequests`: a self review, an etcd range read, an empty `/run` probe).
 */
export function mutating(requests: readonly LabRequest[], hunters: readonly AnyHunter[]): LabRequest[] {
  const reads = hunters.flatMap((h) => h.readOnlyRequests ?? []);
  return requests.filter((r) => {
    if (['GET', 'HEAD', 'TCP'].includes(r.method)) return false;
    const path = r.path.split('?')[0];
    return !reads.some((d) => d.method === r.method && path.startsWith(d.path));
  });
}
