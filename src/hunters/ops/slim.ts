import type { OpsObject } from './objects.js';

// What the operational checks keep of a pod read through the API. apiserver-workloads keeps every pod of
// the cluster until the checks run (they relate pods to their owners and nodes), so a pod must cost
// little: at 50,000 pods the whole objects took 190 MB of heap (bench/ops.ts), the slim ones a fraction.
//
// A pod a controller owns and that runs is its owner's template, which the checks read from the owner:
// of it they keep where it runs, what it requests there (what is free on a node is its allocatable less
// its pods' requests), how it resolves names and what its status counts (restarts, crash loops, since
// when). A pod that is not running (Pending, Failed, Unknown) keeps its whole spec and conditions: those
// are the pods the scheduling checks look into, and they are few unless something is wrong, which is when
// they matter.
// A pod no controller owns is checked as a spec of its own and keeps it whole.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * The spec fields kept of a running, owned pod: where it runs, what placed it there, and how it resolves
 * names (the DNS checks count the pods that keep ndots 5, src/hunters/ops/dns.ts).
 */
const PLACEMENT = [
  'nodeName',
  'nodeSelector',
  'priorityClassName',
  'priority',
  'schedulerName',
  'dnsPolicy',
  'dnsConfig',
  'hostNetwork',
  'overhead',
] as const;

/**
 * One copy of each small value many pods repeat (namespaces, node names, phases, owners, requests,
 * selectors): JSON.parse gives every pod its own copies, which at 50,000 pods cost more than the rest of
 * what is kept. Bounded: past SHARED_MAX values it starts over, so it never holds more than a few MB.
 */
const SHARED_MAX = 50_000;
const sharedValues = new Map<string, unknown>();

function shared<T>(value: T): T {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  const key = typeof value === 'string' ? `s${value}` : `o${JSON.stringify(value)}`;
  if (key.length > 256) return value;
  const known = sharedValues.get(key);
  if (known !== undefined) return known as T;
  if (sharedValues.size >= SHARED_MAX) sharedValues.clear();
  sharedValues.set(key, value);
  return value;
}

/** A pod as the checks keep it (see above); anything that is not an object is handed back as it came. */
export function slimPod(item: OpsObject['item']): OpsObject['item'] {
  if (!isObject(item)) return item;
  const meta: Json = isObject(item.metadata) ? item.metadata : {};
  const refs = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : undefined;
  const status = isObject(item.status) ? item.status : {};
  const spec = isObject(item.spec) ? item.spec : undefined;
  const owned = !!refs && refs.length > 0;
  const running = status.phase === 'Running' || status.phase === 'Succeeded';
  const statuses = Array.isArray(status.containerStatuses) ? status.containerStatuses : undefined;
  const slim: OpsObject['item'] & Json = {
    metadata: {
      name: meta.name,
      namespace: shared(meta.namespace),
      // A pod that does not run is grouped under its owner (pod-template-hash) and aged (scheduling.ts).
      ...(!running && { labels: meta.labels, creationTimestamp: meta.creationTimestamp }),
      ...(owned && {
        ownerReferences: refs.map((r) =>
          isObject(r) ? shared({ kind: r.kind, name: r.name, controller: r.controller }) : r,
        ),
      }),
    },
    status: {
      phase: shared(status.phase),
      startTime: shared(status.startTime),
      ...(statuses && {
        containerStatuses: statuses.map((c) => (isObject(c) ? shared(containerStatus(c)) : c)),
      }),
      ...(!running && { reason: status.reason, message: status.message, conditions: status.conditions }),
    },
  };
  if (spec) slim.spec = owned && running ? placement(spec) : spec;
  return slim;
}

/** A container's restarts, and whether it is crash-looping (the reason it waits, when it waits). */
function containerStatus(c: Json): Json {
  const waiting = isObject(c.state) && isObject(c.state.waiting) ? c.state.waiting.reason : undefined;
  return {
    name: c.name,
    restartCount: c.restartCount,
    ...(waiting !== undefined && { state: { waiting: { reason: waiting } } }),
  };
}

/** Where a pod runs and what it requests there, in the shape of a pod spec (its values shared). */
function placement(spec: Json): Json {
  const out: Json = {};
  for (const k of PLACEMENT) if (spec[k] !== undefined) out[k] = shared(spec[k]);
  for (const key of ['containers', 'initContainers'] as const) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    out[key] = list.map((c) => {
      if (!isObject(c)) return c;
      const requests = isObject(c.resources) ? c.resources.requests : undefined;
      // An init container that keeps running (restartPolicy Always, a sidecar) adds its requests to the pod's.
      return shared({
        name: c.name,
        ...(requests !== undefined && { resources: { requests } }),
        ...(c.restartPolicy !== undefined && { restartPolicy: c.restartPolicy }),
      });
    });
  }
  return out;
}

/**
 * An object as the checks keep it: a pod slimmed as above; any other object (a controller, an
 * autoscaler) whole but for its managed fields, bookkeeping a real server adds to every object (often
 * larger than the spec) that no check reads.
 */
export function slimForOps(kind: string, item: OpsObject['item']): OpsObject['item'] {
  if (kind === 'Pod') return slimPod(item);
  if (!isObject(item) || !isObject(item.metadata) || !('managedFields' in item.metadata)) return item;
  const { managedFields: _, ...metadata } = item.metadata as Json;
  return { ...item, metadata };
}
