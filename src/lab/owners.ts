import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

/**
 * The owner reference a controller sets on what it makes (a ReplicaSet on its pods, a Deployment on its
 * ReplicaSets): the controlling owner, whose foreground deletion waits for the object.
 */
export function controllerRef(kind: string, name: string, uid: string, apiVersion = 'apps/v1'): OwnerReference {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}
