import type { HuntContext } from '../../core/hunter.js';
import type { Asker } from './access.js';
import { type ApiTarget, askApi } from './api.js';
import type { Source } from './workloads.js';

// Which version of a resource a server serves, as kubectl's discovery finds it: the resource list of each
// group version (`/apis/batch/v1`), newest first. CronJobs are batch/v1 from Kubernetes 1.21 and only
// batch/v1beta1 from 1.8 to 1.20: a reader that lists batch/v1 alone never sees a 1.20 cluster's CronJobs.

/** The source at the version the server serves it, or that no candidate version serves it. */
export type Served = { kind: 'served'; source: Source } | { kind: 'unserved'; tried: string[] };

/**
 * `source` at the first of its API paths (`api`, then `older`) whose discovery lists the resource. A source
 * with no older path is taken as served. When discovery does not answer (denied, a network failure), the
 * newest path is used as before: the read itself then says what went wrong.
 */
export async function servedSource(ctx: HuntContext, target: ApiTarget, asker: Asker, source: Source): Promise<Served> {
  const candidates = [source.api, ...(source.older ?? [])];
  if (candidates.length === 1) return { kind: 'served', source };
  for (const api of candidates) {
    let listed: boolean | undefined;
    try {
      const answer = await askApi(ctx, target, {
        path: api,
        credential: asker.credential,
        shared: true,
        ...(asker.host !== undefined && { host: asker.host }),
      });
      if (answer.kind === 'absent')
        listed = false; // the group version is not served at all
      else if (answer.kind === 'ok' && Array.isArray(answer.body.resources)) {
        listed = (answer.body.resources as { name?: unknown }[]).some((r) => r?.name === source.resource);
      }
    } catch {
      listed = undefined;
    }
    if (listed === undefined) return { kind: 'served', source };
    if (listed) return { kind: 'served', source: { ...source, api, older: undefined } };
  }
  return { kind: 'unserved', tried: candidates.map((api) => api.replace(/^\/apis\//, '')) };
}

/**
 * servedSource for a reader: the source at its served version, or undefined with a debug line when no
 * version serves it (none exist: nothing was missed, so no coverage gap).
 */
export async function served(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  source: Source,
): Promise<Source | undefined> {
  const found = await servedSource(ctx, target, asker, source);
  if (found.kind === 'served') return found.source;
  ctx.log(
    `${asker.identity}: ${source.resource} not served by this API server (${found.tried.join(', ')}): none to read`,
  );
  return undefined;
}
