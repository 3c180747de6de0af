import type { FsEntry } from './hostfs.js';
import { groupVersion, STORED } from './resources.js';
import type { Store } from './store.js';

/** The lab's mutable state, deterministic: the same state always gives the same JSON. */
export interface LabSnapshot {
  /** API objects by `<group/version>/<resource>`, each without the fields the server changes on every write. */
  objects: Record<string, unknown[]>;
  /** etcd keys and values (null when etcd is off). */
  etcd: Record<string, string> | null;
  /** Each node's /var/log: paths, types and link targets. */
  hosts: Record<string, FsEntry[]>;
  /** Container filesystems that changed since they started, by `<pod uid>/<container>`. */
  containers: Record<string, FsEntry[]>;
}

/** Fields that change on every write or differ between runs, left out of snapshots. */
const VOLATILE_META = ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation'];

/** JSON with object keys sorted at every level. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function objectsSnapshot(store: Store): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const rt of STORED) {
    if (rt.review) continue;
    out[`${groupVersion(rt)}/${rt.resource}`] = store.list(rt).map((o) => {
      const meta = { ...o.metadata } as Record<string, unknown>;
      for (const k of VOLATILE_META) delete meta[k];
      return canonical({ ...o, metadata: meta });
    });
  }
  return out;
}
