import { type ResourceType, STORED } from './resources.js';
import { isBulk } from './seed-bulk.js';
import type { Store } from './store.js';

/** How kube-apiserver names a resource's keys under /registry (nodes were once "minions"). */
const PREFIX: Record<string, string> = {
  nodes: 'minions',
  services: 'services/specs',
  endpoints: 'services/endpoints',
};

function keyOf(rt: ResourceType, namespace: string | undefined, name: string): string {
  return ['/registry', PREFIX[rt.resource] ?? rt.resource, ...(namespace ? [namespace] : []), name].join('/');
}

/** The /registry keys and JSON values the API server would have written for the store's objects. */
export function registryEntries(store: Store, controlPlane: string): [string, string][] {
  const out: [string, string][] = [];
  for (const rt of STORED) {
    if (rt.review) continue;
    // Bulk objects (LabScale) stay out of etcd: writing 100,000 keys to the real etcd one by one takes minutes.
    for (const o of store.view(rt))
      if (!isBulk(o)) out.push([keyOf(rt, o.metadata.namespace, o.metadata.name ?? ''), JSON.stringify(o)]);
  }
  out.push(
    [
      `/registry/masterleases/${controlPlane}`,
      JSON.stringify({
        kind: 'Endpoints',
        apiVersion: 'v1',
        metadata: { creationTimestamp: null },
        subsets: [{ addresses: [{ ip: controlPlane }] }],
      }),
    ],
    [
      '/registry/ranges/serviceips',
      JSON.stringify({
        kind: 'RangeAllocation',
        apiVersion: 'v1',
        metadata: { creationTimestamp: null },
        range: '10.96.0.0/12',
      }),
    ],
    [
      '/registry/ranges/servicenodeports',
      JSON.stringify({
        kind: 'RangeAllocation',
        apiVersion: 'v1',
        metadata: { creationTimestamp: null },
        range: '30000-32767',
      }),
    ],
  );
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
