import type { HuntContext } from '../../core/hunter.js';
import type { Asker } from './access.js';
import { type ApiTarget, askApi } from './api.js';
import type { Source } from './workloads.js';

// Which version of a resource a server serves, as kubectl's discovery finds it: the resource list of each
// group version (`/apis/batch/v1`), newest first. CronJobs are batch/v1 from Kubernetes 1.21 and only
// batch/v1beta1 from 1.8 to 1.20: a reader that lists batch/v1 alone never sees a 1.20 cluster's CronJobs.

/** The source at the version the server serves it, or that no candidate version serves it. */
export type Served = { kind: 'served'; source: Source } | { kind: 'unserved'; tried: string[] };

/** An answer of the server, or undefined when the network failed (the read then says so). */
async function ask(ctx: HuntContext, target: ApiTarget, asker: Asker, path: string) {
  try {
    return await askApi(ctx, target, {
      path,
      credential: asker.credential,
      shared: true,
      ...(asker.host !== undefined && { host: asker.host }),
    });
  } catch {
    return undefined;
  }
}

/**
 * Whether `api` serves the resource: its discovery's resource list says, else (discovery denied, as it is
 * to anonymous from 1.14) a one-object list of it, which only answers 404 when it is not served. Undefined
 * when neither tells (a list denied too, the network).
 */
async function serves(
  ctx: HuntContext,
  target: ApiTarget,
  asker: Asker,
  api: string,
  resource: string,
): Promise<boolean | undefined> {
  const discovery = await ask(ctx, target, asker, api);
  if (discovery?.kind === 'absent') return false; // the group version is not served at all
  if (discovery?.kind === 'ok' && Array.isArray(discovery.body.resources)) {
    return (discovery.body.resources as { name?: unknown }[]).some((r) => r?.name === resource);
  }
  const list = await ask(ctx, target, asker, `${api}/${resource}?limit=1`);
  if (list?.kind === 'absent') return false;
  return list?.kind === 'ok' ? true : undefined;
}

/**
 * `source` at the first of its API paths (`api`, then `older`) that serves the resource. A source with no
 * older path is taken as served. A path that cannot be told is taken as served: the read itself then says
 * what went wrong.
 */
export async function servedSource(ctx: HuntContext, target: ApiTarget, asker: Asker, source: Source): Promise<Served> {
  const candidates = [source.api, ...(source.older ?? [])];
  if (candidates.length === 1) return { kind: 'served', source };
  for (const api of candidates) {
    if ((await serves(ctx, target, asker, api, source.resource)) !== false) {
      return { kind: 'served', source: { ...source, api, older: undefined } };
    }
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
