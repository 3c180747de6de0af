import protobuf from 'protobufjs';
import { INLINE, protobufType } from './protobuf.js';

// Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`, beta from 1.25, GA in 1.27): a
// write whose body holds fields the kind does not have is refused (Strict), answered with a warning per
// field (Warn, the default when the parameter is absent) or silently pruned (Ignore). kubectl asks for
// Strict whenever the server's OpenAPI says writes take the parameter, so this is what makes
// `kubectl apply --dry-run=server` catch a misspelt field in a manifest.

type Json = Record<string, unknown>;

/** Messages whose JSON form is not an object with their fields (times, quantities, raw JSON, …). */
const OPAQUE = new Set([
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Verbs',
  '.k8s.io.apimachinery.pkg.api.resource.Quantity',
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  '.k8s.io.apimachinery.pkg.runtime.RawExtension',
  '.k8s.io.api.authentication.v1.ExtraValue',
  '.k8s.io.api.authorization.v1.ExtraValue',
  '.k8s.io.api.certificates.v1.ExtraValue',
]);

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The directive of a request, or an error message for a value the server does not know. */
export function fieldValidationOf(query: string | null): FieldValidation | { error: string } {
  if (query === null || query === '') return 'Warn';
  if (query === 'Strict' || query === 'Warn' || query === 'Ignore') return query;
  return { error: `fieldValidation parameter unsupported: ${query}` };
}

/** The JSON names of a message's fields: the proto name, first letter lowered (a few protos spell `Webhooks`). */
function jsonNames(type: protobuf.Type): Map<string, { field: protobuf.Field; inline?: protobuf.Type }> {
  const out = new Map<string, { field: protobuf.Field; inline?: protobuf.Type }>();
  for (const field of type.fieldsArray) {
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (sub && INLINE.has(`${type.fullName}.${field.name}`)) {
      for (const [name, inner] of jsonNames(sub)) out.set(name, inner);
      continue;
    }
    out.set(field.name.charAt(0).toLowerCase() + field.name.slice(1), { field });
  }
  return out;
}

/**
 * The paths of the fields `json` holds that `type` does not have, in the API server's notation
 * (`spec.template.spec.containers[0].imagePullPolicyy`); `prune` also removes them, as the server drops
 * what it cannot decode.
 */
function unknownIn(type: protobuf.Type, json: unknown, at: string, prune: boolean, out: string[]): void {
  if (OPAQUE.has(type.fullName) || !json || typeof json !== 'object' || Array.isArray(json)) return;
  const names = jsonNames(type);
  const object = json as Json;
  for (const key of Object.keys(object)) {
    const path = at ? `${at}.${key}` : key;
    if (!at && (key === 'apiVersion' || key === 'kind')) continue;
    const known = names.get(key);
    if (!known) {
      out.push(path);
      if (prune) delete object[key];
      continue;
    }
    const { field } = known;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (!sub) continue;
    const value = object[key];
    if (field.map && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Json)) unknownIn(sub, v, `${path}[${k}]`, prune, out);
    } else if (field.repeated && Array.isArray(value)) {
      for (const [i, v] of value.entries()) unknownIn(sub, v, `${path}[${i}]`, prune, out);
    } else unknownIn(sub, value, path, prune, out);
  }
}

/**
 * Unknown fields of an object of a built-in kind (`apiVersion` and `kind` are the type's own); none for a
 * kind without a built-in schema (custom resources are checked against their CRD's schema, if at all).
 */
export function unknownFields(apiVersion: string, kind: string, object: Json, prune: boolean): string[] {
  const type = protobufType(apiVersion, kind);
  if (!type) return [];
  const out: string[] = [];
  unknownIn(type, object, '', prune, out);
  return out;
}
