import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import YAML from 'yaml';
import { MERGE_KEYS } from './patch.js';
import { INLINE, protobufType } from './protobuf.js';
import { apiGroups, groupVersion, type ResourceType } from './resources.js';

// OpenAPI v2 (/openapi/v2, JSON or protobuf) and v3 (/openapi/v3 and one document per group version), made
// from the lab's own definitions: the resources it serves and the protobuf messages of their kinds (the same
// schema it decodes bodies with). kubectl reads them for `explain`, for strategic merge patches in `apply`
// and to see that writes take `fieldValidation` (so `create -f` asks the server to validate).
// Descriptions are empty: the schema the lab holds carries no documentation.

type Schema = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** The JSON form of the messages that are not objects in JSON (see protobuf.ts). */
const SPECIAL: Record<string, Schema> = {
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  [`${META}.Duration`]: { type: 'string' },
  [`${META}.FieldsV1`]: { type: 'object' },
  [`${META}.Verbs`]: { type: 'array', items: { type: 'string' } },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  'io.k8s.api.authentication.v1.ExtraValue': { type: 'array', items: { type: 'string' } },
  'io.k8s.api.authorization.v1.ExtraValue': { type: 'array', items: { type: 'string' } },
  'io.k8s.api.certificates.v1.ExtraValue': { type: 'array', items: { type: 'string' } },
};

const SCALARS: Record<string, Schema> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  uint32: { type: 'integer', format: 'int32' },
  uint64: { type: 'integer', format: 'int64' },
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
  bytes: { type: 'string', format: 'byte' },
};

/** `io.k8s.api.core.v1.Pod`: the definition name Kubernetes gives a type (its Go package, reversed). */
const definitionName = (type: protobuf.Type) => type.fullName.replace(/^\.k8s\.io\./, 'io.k8s.');

/** Lists whose strategic merge patch is not "replace": merge key per field (patch.ts applies the same). */
function patchMeta(owner: string, field: string): Schema {
  if (field === 'finalizers') return { 'x-kubernetes-patch-strategy': 'merge' };
  let key = MERGE_KEYS[field];
  if (field === 'ports') key = owner.endsWith('.Container') ? 'containerPort' : 'port';
  if (!key) return {};
  return {
    'x-kubernetes-patch-merge-key': key,
    'x-kubernetes-patch-strategy': field === 'volumes' ? 'merge,retainKeys' : 'merge',
  };
}

/** Definitions of the given types and everything they refer to, `$ref`s pointing into `refBase`. */
class Definitions {
  readonly schemas: Record<string, Schema> = {};
  constructor(private readonly refBase: string) {}

  ref(type: protobuf.Type): Schema {
    this.add(type);
    return { $ref: `${this.refBase}${definitionName(type)}` };
  }

  add(type: protobuf.Type, gvk?: Schema[]): void {
    const name = definitionName(type);
    if (!this.schemas[name]) {
      this.schemas[name] = SPECIAL[name] ? { ...SPECIAL[name] } : {}; // set first: types refer to themselves
      if (!SPECIAL[name]) Object.assign(this.schemas[name], { type: 'object', properties: this.properties(type) });
    }
    if (!gvk) return;
    this.schemas[name]['x-kubernetes-group-version-kind'] = gvk;
    // A kind's Go type embeds TypeMeta (apiVersion, kind), which its protobuf message does not carry.
    const properties = this.schemas[name].properties as Record<string, Schema> | undefined;
    if (properties) Object.assign(properties, { apiVersion: { type: 'string' }, kind: { type: 'string' } });
  }

  private properties(type: protobuf.Type): Record<string, Schema> {
    const out: Record<string, Schema> = {};
    for (const field of type.fieldsArray) {
      const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
      if (sub && INLINE.has(`${type.fullName}.${field.name}`)) {
        Object.assign(out, this.properties(sub));
        continue;
      }
      const one = sub ? this.ref(sub) : (SCALARS[field.type] ?? { type: 'string' });
      if (field.map) out[field.name] = { type: 'object', additionalProperties: one };
      else if (field.repeated) out[field.name] = { type: 'array', items: one, ...patchMeta(type.fullName, field.name) };
      else out[field.name] = one;
    }
    return out;
  }
}

/** The message types of a resource's kind and list, or none when it has no built-in type (custom resources). */
function kindTypes(r: ResourceType): protobuf.Type[] {
  const gv = groupVersion(r);
  return [protobufType(gv, r.kind), protobufType(gv, `${r.kind}List`)].filter((t) => t !== undefined);
}

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);
const FIELD_VALIDATION = { name: 'fieldValidation', in: 'query', type: 'string', uniqueItems: true };

/** The REST paths of the resources, each operation with the action and kind kubectl looks for. */
function paths(resources: readonly ResourceType[], defs: Definitions, v3: boolean): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  const param = v3
    ? { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }
    : FIELD_VALIDATION;
  for (const r of resources) {
    const [type, listType] = kindTypes(r);
    const gvk = { group: r.group, version: r.version, kind: r.kind };
    const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    const op = (action: string, schemaType: protobuf.Type | undefined, write: boolean) => {
      const schema = schemaType ? defs.ref(schemaType) : { type: 'object' };
      const ok = v3
        ? { description: 'OK', content: { 'application/json': { schema } } }
        : { description: 'OK', schema };
      return {
        operationId: `${action}${r.kind}`,
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
        ...(write ? { parameters: [param] } : {}),
        responses: { '200': ok },
      };
    };
    if (r.review) {
      out[base] = { post: op('post', type, true) };
      continue;
    }
    out[base] = {
      get: op('list', listType, false),
      ...(r.verbs.includes('create') ? { post: op('post', type, true) } : {}),
    };
    out[`${base}/{name}`] = {
      get: op('get', type, false),
      put: op('put', type, true),
      patch: op('patch', type, true),
      delete: op('delete', undefined, false),
    };
  }
  return out;
}

function definitionsFor(resources: readonly ResourceType[], refBase: string): Definitions {
  const defs = new Definitions(refBase);
  for (const r of resources) {
    if (r.custom?.schema) {
      const name = `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
      const gvk = [{ group: r.group, version: r.version, kind: r.kind }];
      defs.schemas[name] = { ...r.custom.schema, 'x-kubernetes-group-version-kind': gvk };
    }
    const [type, listType] = kindTypes(r);
    if (type) defs.add(type, [{ group: r.group, version: r.version, kind: r.kind }]);
    if (listType) defs.add(listType, [{ group: r.group, version: r.version, kind: `${r.kind}List` }]);
  }
  return defs;
}

/** `GET /openapi/v2` as JSON. */
export function openapiV2(resources: readonly ResourceType[], gitVersion: string): Schema {
  const defs = definitionsFor(resources, '#/definitions/');
  const p = paths(resources, defs, false);
  return { swagger: '2.0', info: { title: 'Kubernetes', version: gitVersion }, paths: p, definitions: defs.schemas };
}

/** `GET /openapi/v3/<api/v1 | apis/group/version>`, or undefined when no such group version is served. */
export function openapiDocument(resources: readonly ResourceType[], path: string, gitVersion: string) {
  const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const [group, version] = m[1] ? ['', m[1]] : [m[2], m[3]];
  const served = resources.filter((r) => r.group === group && r.version === version);
  if (!served.length) return undefined;
  return v3Document(served, gitVersion);
}

function v3Document(served: readonly ResourceType[], gitVersion: string) {
  const defs = definitionsFor(served, '#/components/schemas/');
  const p = paths(served, defs, true);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: gitVersion },
    paths: p,
    components: { schemas: defs.schemas },
  };
}

/** `GET /openapi/v3`: where each group version's document is (its hash changes with its content). */
export function openapiRoot(resources: readonly ResourceType[], gitVersion: string) {
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const g of [{ group: '', version: 'v1' }, ...apiGroups(resources)]) {
    const served = resources.filter((r) => r.group === g.group && r.version === g.version);
    const doc = JSON.stringify(v3Document(served, gitVersion));
    const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
    out[gvPath(g.group, g.version)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, g.version)}?hash=${hash}` };
  }
  return { paths: out };
}

// --- OpenAPI v2 in protobuf: gnostic's openapi.v2.Document, which kubectl asks for first ---

let gnostic: protobuf.Root | undefined;
function gnosticRoot(): protobuf.Root {
  gnostic ??= protobuf.Root.fromJSON(
    JSON.parse(readFileSync(new URL('./proto/openapiv2.json', import.meta.url), 'utf8')) as protobuf.INamespace,
  );
  return gnostic;
}

type G = Record<string, unknown>;

/** Vendor extensions travel as YAML text. */
const extensions = (o: Schema) =>
  Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, v]) => ({ name, value: { yaml: YAML.stringify(v) } }));

function gSchema(s: Schema): G {
  const out: G = {};
  if (s.$ref) out._ref = s.$ref;
  if (s.type) out.type = { value: [s.type] };
  if (s.format) out.format = s.format;
  if (s.description) out.description = s.description;
  if (s.items) out.items = { schema: [gSchema(s.items as Schema)] };
  if (s.properties)
    out.properties = {
      additional_properties: Object.entries(s.properties as Record<string, Schema>).map(([name, v]) => ({
        name,
        value: gSchema(v),
      })),
    };
  if (s.additionalProperties) out.additional_properties = { schema: gSchema(s.additionalProperties as Schema) };
  const ext = extensions(s);
  if (ext.length) out.vendor_extension = ext;
  return out;
}

function gOperation(o: Schema): G {
  const ok = (o.responses as Record<string, Schema>)['200'];
  return {
    operation_id: o.operationId,
    parameters: ((o.parameters as Schema[]) ?? []).map((p) => ({
      parameter: { non_body_parameter: { query_parameter_sub_schema: { in: p.in, name: p.name, type: p.type } } },
    })),
    responses: {
      response_code: [
        {
          name: '200',
          value: { response: { description: ok.description, schema: { schema: gSchema(ok.schema as Schema) } } },
        },
      ],
    },
    vendor_extension: extensions(o),
  };
}

/** `GET /openapi/v2` in protobuf. */
export function openapiV2Protobuf(document: Schema): Buffer {
  const type = gnosticRoot().lookupType('openapi.v2.Document');
  const doc: G = {
    swagger: document.swagger,
    info: document.info,
    paths: {
      path: Object.entries(document.paths as Record<string, Record<string, Schema>>).map(([name, item]) => ({
        name,
        value: Object.fromEntries(Object.entries(item).map(([method, op]) => [method, gOperation(op)])),
      })),
    },
    definitions: {
      additional_properties: Object.entries(document.definitions as Record<string, Schema>).map(([name, s]) => ({
        name,
        value: gSchema(s),
      })),
    },
  };
  return Buffer.from(type.encode(type.fromObject(doc)).finish());
}
