import { createHash } from 'node:crypto';
import { apiGroups, type ResourceType } from './resources.js';

// Just enough OpenAPI v3 for kubectl to see that every write takes `fieldValidation`, so `kubectl create -f`
// asks the server to validate (as it does against a real 1.27+ server) instead of validating against schemas.

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

function document(resources: readonly ResourceType[], group: string, version: string, gitVersion: string) {
  const paths: Record<string, unknown> = {};
  const fieldValidation = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  for (const r of resources.filter((x) => x.group === group && x.version === version)) {
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    const gvk = { group, version, kind: r.kind };
    const write = (action: string) => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [fieldValidation],
      responses: {},
    });
    if (r.verbs.includes('create')) paths[base] = { post: write('post') };
    if (!r.review) paths[`${base}/{name}`] = { put: write('put'), patch: write('patch') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: gitVersion }, paths };
}

/** `GET /openapi/v3`: where each group version's document is. */
export function openapiRoot(resources: readonly ResourceType[], gitVersion: string) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of [{ group: '', version: 'v1' }, ...apiGroups(resources)]) {
    const doc = JSON.stringify(document(resources, g.group, g.version, gitVersion));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
    paths[gvPath(g.group, g.version)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, g.version)}?hash=${hash}` };
  }
  return { paths };
}

/** `GET /openapi/v3/<api/v1 | apis/group/version>`, or undefined when no such group version is served. */
export function openapiDocument(resources: readonly ResourceType[], path: string, gitVersion: string) {
  const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
  if (!resources.some((r) => r.group === group && r.version === version)) return undefined;
  return document(resources, group, version, gitVersion);
}
