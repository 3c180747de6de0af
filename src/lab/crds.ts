import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';

// CustomResourceDefinitions: once stored, their custom resources are served like built-in ones (JSON only:
// custom resources have no protobuf form), each served version with the CRD's names and schema.

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
  versions?: { name: string; served?: boolean; storage?: boolean; schema?: { openAPIV3Schema?: unknown } }[];
}

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** The resources a CRD serves: one per served version. */
export function crdResources(crd: KubeObject): ResourceType[] {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const { group, names } = spec;
  if (!group || !names?.plural || !names.kind) return [];
  return (spec.versions ?? [])
    .filter((v) => v.served !== false)
    .map((v) => ({
      group,
      version: v.name,
      resource: names.plural!,
      kind: names.kind!,
      singular: names.singular ?? names.kind!.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      verbs: RW,
      shortNames: names.shortNames,
      categories: names.categories,
      custom: { schema: v.schema?.openAPIV3Schema as Record<string, unknown> | undefined },
    }));
}

/** The status the apiextensions controllers give an accepted CRD. */
export function crdStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const spec = (crd.spec ?? {}) as CrdSpec;
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: { ...spec.names, listKind: spec.names?.kind ? `${spec.names.kind}List` : undefined },
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}
