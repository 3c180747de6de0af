import { createHash } from 'node:crypto';
import type { ResourceType } from './resources.js';
import type { KubeObject, Store } from './store.js';

/** The controllers' names as their events' `source.component` says them, by the kind of the owner. */
const COMPONENT: Record<string, string> = {
  ReplicaSet: 'replicaset-controller',
  DaemonSet: 'daemonset-controller',
  StatefulSet: 'statefulset-controller',
  Job: 'job-controller',
  ReplicationController: 'replication-controller',
};

/**
 * Records that a controller could not create a pod, as kube-controller-manager does: a Warning event
 * `FailedCreate` on the owner (`Error creating: pods "web-x" is forbidden: …`). The same refusal again
 * (same owner, same message) adds to the event's count, as client-go's event correlator aggregates it.
 */
export function recordFailedCreate(
  store: Store,
  events: ResourceType,
  pod: KubeObject,
  refusal: string,
  now: string,
): KubeObject | undefined {
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller);
  const namespace = pod.metadata.namespace;
  if (!owner || !namespace) return undefined;
  const message = `Error creating: pods "${pod.metadata.name}" is forbidden: ${refusal}`;
  // One event per owner and reason: its message names the last pod refused.
  const key = createHash('sha256').update(`${owner.uid}|FailedCreate|${refusal}`).digest('hex').slice(0, 16);
  const name = `${owner.name}.${key}`;
  const earlier = store.get(events, namespace, name);
  if (earlier) {
    return store.replace(events, {
      ...earlier,
      message,
      count: ((earlier.count as number | undefined) ?? 1) + 1,
      lastTimestamp: now,
    });
  }
  return store.create(events, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.name,
      namespace,
      uid: owner.uid,
    },
    reason: 'FailedCreate',
    message,
    type: 'Warning',
    source: { component: COMPONENT[owner.kind] ?? 'kube-controller-manager' },
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    reportingComponent: COMPONENT[owner.kind] ?? 'kube-controller-manager',
  });
}
