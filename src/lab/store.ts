import { createHash, randomUUID } from 'node:crypto';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { groupVersion, type ResourceType } from './resources.js';

/** Any API object. Typed objects (kubernetes-types) are checked where they are built. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const keyOf = (rt: ResourceType) => `${rt.group}/${rt.resource}`;
const nameKey = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
/** The order lists come in (as `localeCompare` orders, done once per change rather than per request). */
const collate = new Intl.Collator().compare;

/** A stable, UUID-shaped id for a seeded object, so seeded state reads the same in every run. */
export function stableUid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Kubernetes timestamps: RFC 3339, whole seconds. */
export function timestamp(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export type StoreChange = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rt: ResourceType; object: KubeObject };

/**
 * The API server's state: every object by resource, namespace and name, with one resource-version
 * counter like etcd's revision. Reads hand out copies, so callers cannot change stored objects.
 */
export class Store {
  private revision = 1000;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  /** Each table's objects in list order, kept until one changes (a seeded lab of 100,000 pods). */
  private readonly sorted = new Map<string, KubeObject[]>();
  private readonly listeners: ((change: StoreChange) => void)[] = [];

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private table(rt: ResourceType): Map<string, KubeObject> {
    let t = this.tables.get(keyOf(rt));
    if (!t) {
      t = new Map();
      this.tables.set(keyOf(rt), t);
    }
    return t;
  }

  /** Objects of a type, in one namespace or all, sorted by namespace and name like the real server. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    return this.view(rt, namespace).map((o) => structuredClone(o));
  }

  /**
   * The stored objects themselves, in list order, for readers that only serialize them (a kubelet's pod
   * list, a page of a list): no copy per object. Callers must not change them; `list` hands out copies.
   */
  view(rt: ResourceType, namespace?: string): readonly KubeObject[] {
    const table = this.table(rt);
    let all = this.sorted.get(keyOf(rt));
    if (!all) {
      all = [...table.keys()].sort(collate).map((k) => table.get(k)!);
      this.sorted.set(keyOf(rt), all);
    }
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.table(rt).get(nameKey(rt.namespaced ? namespace : undefined, name));
    return o ? structuredClone(o) : undefined;
  }

  has(rt: ResourceType, namespace: string | undefined, name: string): boolean {
    return this.table(rt).has(nameKey(rt.namespaced ? namespace : undefined, name));
  }

  /**
   * Stores a new object, filling in what the server owns: uid, resourceVersion, creationTimestamp.
   * `seed` makes the uid stable and backdates the object (seeded cluster content).
   */
  create(rt: ResourceType, object: KubeObject, seed?: { created: Date }): KubeObject {
    const o = structuredClone(object);
    o.apiVersion = groupVersion(rt);
    o.kind = rt.kind;
    const meta = o.metadata as Mutable<ObjectMeta>;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    const ns = rt.namespaced ? meta.namespace : undefined;
    if (!rt.namespaced) delete meta.namespace;
    meta.uid = seed ? stableUid(`${rt.resource}/${ns ?? ''}/${meta.name}`) : randomUUID();
    meta.creationTimestamp = timestamp(seed?.created);
    this.revision++;
    meta.resourceVersion = String(this.revision);
    o.metadata = orderMeta(meta);
    this.table(rt).set(nameKey(ns, meta.name ?? ''), o);
    this.sorted.delete(keyOf(rt));
    this.emit({ type: 'ADDED', rt, object: o });
    return structuredClone(o);
  }

  /** Replaces a stored object (an update or patch), bumping its resourceVersion. */
  replace(rt: ResourceType, object: KubeObject): KubeObject {
    const o = structuredClone(object);
    this.revision++;
    (o.metadata as Mutable<ObjectMeta>).resourceVersion = String(this.revision);
    o.metadata = orderMeta(o.metadata);
    this.table(rt).set(nameKey(rt.namespaced ? o.metadata.namespace : undefined, o.metadata.name ?? ''), o);
    this.sorted.delete(keyOf(rt));
    this.emit({ type: 'MODIFIED', rt, object: o });
    return structuredClone(o);
  }

  remove(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = nameKey(rt.namespaced ? namespace : undefined, name);
    const o = this.table(rt).get(key);
    if (!o) return undefined;
    this.table(rt).delete(key);
    this.sorted.delete(keyOf(rt));
    this.revision++;
    this.emit({ type: 'DELETED', rt, object: o });
    return structuredClone(o);
  }

  private emit(change: StoreChange): void {
    for (const l of [...this.listeners]) l(change);
  }
}

const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
];

/** Metadata fields in the order the real server writes them. */
function orderMeta(meta: ObjectMeta): ObjectMeta {
  const out: Record<string, unknown> = {};
  const m = meta as Record<string, unknown>;
  for (const k of META_ORDER) if (m[k] !== undefined) out[k] = m[k];
  for (const k of Object.keys(m)) if (!(k in out) && m[k] !== undefined) out[k] = m[k];
  return out as ObjectMeta;
}
