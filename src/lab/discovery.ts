import type { APIGroup, APIGroupList, APIResource, APIResourceList, APIVersions } from 'kubernetes-types/meta/v1.js';
import { apiGroupVersions, groupVersion, type ResourceType } from './resources.js';

/** Which aggregated-discovery version a server of this minor speaks (none before 1.26). */
export function aggregatedVersion(minor: number): 'v2' | 'v2beta1' | undefined {
  if (minor >= 30) return 'v2';
  if (minor >= 26) return 'v2beta1';
  return undefined;
}

/**
 * The aggregated-discovery version the client asked for and the server speaks, if any. kubectl sends
 * `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,…,application/json`.
 */
export function wantsAggregated(accept: string | undefined, minor: number): 'v2' | 'v2beta1' | undefined {
  const served = aggregatedVersion(minor);
  if (!served || !accept) return undefined;
  for (const part of accept.split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    if (params.get('g') !== 'apidiscovery.k8s.io' || params.get('as') !== 'APIGroupDiscoveryList') continue;
    const v = params.get('v');
    if (v === 'v2' && served === 'v2') return 'v2';
    if (v === 'v2beta1') return 'v2beta1';
  }
  return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

export function apiVersions(serverAddress: string): APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]): APIGroup {
  const gvs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(resources: readonly ResourceType[]): APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: apiGroupVersions(resources).map((g) => apiGroup(g.group, g.versions)),
  };
}

export function apiGroupOf(resources: readonly ResourceType[], group: string): APIGroup | undefined {
  const g = apiGroupVersions(resources).find((x) => x.group === group);
  return g && { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g.group, g.versions) };
}

/** The resource list of one group version, subresources included, as `GET /api/v1` answers it. */
export function apiResourceList(
  resources: readonly ResourceType[],
  group: string,
  version: string,
): APIResourceList | undefined {
  const own = resources.filter((r) => r.group === group && r.version === version);
  if (own.length === 0) return undefined;
  const list: APIResource[] = [];
  for (const r of own) {
    const entry: APIResource = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
    };
    if (r.shortNames) entry.shortNames = [...r.shortNames];
    if (r.categories) entry.categories = [...r.categories];
    list.push(entry);
    for (const s of r.subresources ?? []) {
      const sub: APIResource = {
        name: `${r.resource}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        kind: s.kind,
        verbs: [...s.verbs],
      };
      if (s.group) {
        sub.group = s.group;
        sub.version = s.version;
      }
      list.push(sub);
    }
  }
  const gv = groupVersion({ group, version });
  return group
    ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: list }
    : ({ kind: 'APIResourceList', groupVersion: gv, resources: list } as APIResourceList);
}

function discoveryItem(resources: readonly ResourceType[], group: string, versions: string[]) {
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((version) => ({
      version,
      resources: resources
        .filter((r) => r.group === group && r.version === version)
        .map((r) => ({
          resource: r.resource,
          responseKind: { group, version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: [...r.verbs],
          ...(r.shortNames ? { shortNames: [...r.shortNames] } : {}),
          ...(r.categories ? { categories: [...r.categories] } : {}),
          ...(r.subresources
            ? {
                subresources: r.subresources.map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind },
                  verbs: [...s.verbs],
                })),
              }
            : {}),
        })),
      freshness: 'Current',
    })),
  };
}

/** `GET /api` or `GET /apis` in the aggregated form (APIGroupDiscoveryList). */
export function aggregatedList(
  resources: readonly ResourceType[],
  which: 'core' | 'groups',
  version: 'v2' | 'v2beta1',
) {
  const items =
    which === 'core'
      ? [discoveryItem(resources, '', ['v1'])]
      : apiGroupVersions(resources).map((g) => discoveryItem(resources, g.group, g.versions));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
