import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

// Kubernetes' protobuf wire format (`application/vnd.kubernetes.protobuf`): the magic `k8s\0`, then a
// runtime.Unknown whose `raw` is the object encoded with the generated.proto of its API group. Clients built
// on client-go (kubectl's typed commands among them) write built-in types this way and ask for them back.
// The schema is Kubernetes' own (proto/kubernetes.json, see scripts/k8s-proto.mjs); this module only maps
// between its messages and the JSON shape of the same objects, where the two differ.

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from('k8s\0');

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';
/** Kinds of meta.k8s.io that clients send or receive under any group version. */
const META_KINDS = new Set(['Status', 'DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'WatchEvent']);

/**
 * Fields Go embeds (`json:",inline"`): a message in protobuf, their members directly in the parent in JSON.
 * generated.proto does not mark them; this is the list for the groups the lab serves.
 */
export const INLINE = new Set([
  '.k8s.io.api.core.v1.Volume.volumeSource',
  '.k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource',
  '.k8s.io.api.core.v1.Probe.handler',
  '.k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon',
  '.k8s.io.api.core.v1.ConfigMapEnvSource.localObjectReference',
  '.k8s.io.api.core.v1.ConfigMapKeySelector.localObjectReference',
  '.k8s.io.api.core.v1.ConfigMapProjection.localObjectReference',
  '.k8s.io.api.core.v1.ConfigMapVolumeSource.localObjectReference',
  '.k8s.io.api.core.v1.SecretEnvSource.localObjectReference',
  '.k8s.io.api.core.v1.SecretKeySelector.localObjectReference',
  '.k8s.io.api.core.v1.SecretProjection.localObjectReference',
  '.k8s.io.api.networking.v1.IngressRule.ingressRuleValue',
  '.k8s.io.api.admissionregistration.v1.RuleWithOperations.rule',
  '.k8s.io.api.admissionregistration.v1.NamedRuleWithOperations.ruleWithOperations',
]);

/**
 * Go writes every non-pointer field, zero or not, so a zero on the wire usually means "unset" and JSON
 * leaves it out. These are pointer fields where an explicit zero or false means something (no token, no
 * replicas, run as root), so it is kept (outside status, which clients do not write).
 */
const KEEP_ZERO = new Set([
  'replicas',
  'automountServiceAccountToken',
  'privileged',
  'allowPrivilegeEscalation',
  'readOnlyRootFilesystem',
  'runAsNonRoot',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'hostUsers',
  'enableServiceLinks',
  'shareProcessNamespace',
  'terminationGracePeriodSeconds',
  'activeDeadlineSeconds',
  'revisionHistoryLimit',
  'parallelism',
  'completions',
  'backoffLimit',
  'suspend',
  'optional',
  'defaultMode',
  'mode',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'startingDeadlineSeconds',
  'ttlSecondsAfterFinished',
  'immutable',
  'minReplicas',
  'allowed',
  'authenticated',
  'incomplete',
  'value',
]);

type Json = Record<string, unknown>;

let root: protobuf.Root | undefined;
/** Kubernetes' protobuf schema, loaded on first use (the lab starts without it). */
export function schema(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(
    JSON.parse(readFileSync(new URL('./proto/kubernetes.json', import.meta.url), 'utf8')) as protobuf.INamespace,
  );
  return root;
}

/** The groups whose types Kubernetes defines (custom resources have none: they are JSON only). */
function builtInGroup(group: string): boolean {
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

/** The message type of a kind, or undefined when it has no protobuf form (custom resources). */
export function protobufType(apiVersion: string, kind: string): protobuf.Type | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  let name: string;
  if (META_KINDS.has(kind) || group === 'meta.k8s.io') name = `${META}.${kind}`;
  else if (builtInGroup(group)) name = `.k8s.io.api.${group ? group.split('.')[0] : 'core'}.${version}.${kind}`;
  else return undefined;
  try {
    return schema().lookupType(name);
  } catch {
    return undefined;
  }
}

const isZero = (v: unknown) => v === '' || v === 0 || v === false;

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}

function parseGoDuration(text: string): number {
  const units: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, ns: 1 };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) total += Number(n) * units[unit];
  return Math.round(total);
}

const rawJson = (base64: unknown) =>
  typeof base64 === 'string' && base64 ? JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) : undefined;
const toBase64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** JSON of a message whose JSON form is not an object (times, quantities, int-or-string, raw JSON). */
function specialToJson(name: string, v: Json): unknown {
  switch (name) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const seconds = Number(v.seconds ?? 0);
      const nanos = Number(v.nanos ?? 0);
      return seconds || nanos ? rfc3339(seconds, nanos, name.endsWith('MicroTime')) : undefined;
    }
    case `${META}.Duration`:
      return goDuration(Number(v.duration ?? 0));
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return v.string ?? '0';
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : Number(v.intVal ?? 0);
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension':
      return rawJson(v.raw);
    case `${META}.FieldsV1`:
      return rawJson(v.Raw);
    case `${META}.Verbs`:
    case '.k8s.io.api.authentication.v1.ExtraValue':
    case '.k8s.io.api.authorization.v1.ExtraValue':
    case '.k8s.io.api.certificates.v1.ExtraValue':
      return v.items ?? [];
    default:
      return NOT_SPECIAL;
  }
}

function specialFromJson(name: string, v: unknown): unknown {
  switch (name) {
    case `${META}.Time`:
    case `${META}.MicroTime`: {
      const ms = Date.parse(String(v));
      if (Number.isNaN(ms)) throw new ProtobufError(`invalid time ${JSON.stringify(v)}`);
      const fraction = /\.(\d+)/.exec(String(v))?.[1] ?? '';
      return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
    }
    case `${META}.Duration`:
      return { duration: parseGoDuration(String(v)) };
    case '.k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { string: String(v) };
    case '.k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return typeof v === 'number' ? { type: 0, intVal: v } : { type: 1, strVal: String(v) };
    case '.k8s.io.apimachinery.pkg.runtime.RawExtension':
      return { raw: toBase64(v) };
    case `${META}.FieldsV1`:
      return { Raw: toBase64(v) };
    case `${META}.Verbs`:
    case '.k8s.io.api.authentication.v1.ExtraValue':
    case '.k8s.io.api.authorization.v1.ExtraValue':
    case '.k8s.io.api.certificates.v1.ExtraValue':
      return { items: v };
    default:
      return NOT_SPECIAL;
  }
}

const NOT_SPECIAL = Symbol('not special');

/** A message as protobufjs decoded it (`toObject`) → the object's JSON form. */
function toJson(type: protobuf.Type, message: Json): unknown {
  const special = specialToJson(type.fullName, message);
  if (special !== NOT_SPECIAL) return special;
  const out: Json = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const one = (v: unknown) => (sub ? toJson(sub, v as Json) : v);
    if (field.map) {
      out[field.name] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, one(v)]));
    } else if (field.repeated) {
      out[field.name] = (value as unknown[]).map(one);
    } else if (sub && INLINE.has(`${type.fullName}.${field.name}`)) {
      Object.assign(out, one(value));
    } else {
      const converted = one(value);
      const keep = KEEP_ZERO.has(field.name) && !type.name.endsWith('Status');
      if (converted === undefined || (isZero(converted) && !keep)) continue;
      out[field.name] = converted;
    }
  }
  return out;
}

/** An object's JSON form → a plain object protobufjs can encode (`fromObject`). */
function fromJson(type: protobuf.Type, json: unknown): unknown {
  const special = specialFromJson(type.fullName, json);
  if (special !== NOT_SPECIAL) return special;
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new ProtobufError(`${type.name} must be an object, not ${JSON.stringify(json)}`);
  const object = json as Json;
  const out: Json = {};
  for (const field of type.fieldsArray) {
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (sub && INLINE.has(`${type.fullName}.${field.name}`)) {
      const inline = fromJson(sub, object) as Json;
      if (Object.keys(inline).length) out[field.name] = inline;
      continue;
    }
    const value = object[field.name];
    if (value === undefined || value === null) continue;
    const one = (v: unknown) => (sub ? fromJson(sub, v) : v);
    if (field.map) out[field.name] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, one(v)]));
    else if (field.repeated) out[field.name] = (Array.isArray(value) ? value : [value]).map(one);
    else out[field.name] = one(value);
  }
  return out;
}

/** A body the lab cannot read as Kubernetes protobuf; its message is the Status message's tail. */
export class ProtobufError extends Error {}

const UNKNOWN = () => schema().lookupType('.k8s.io.apimachinery.pkg.runtime.Unknown');

/** A Kubernetes protobuf body as the object's JSON form. Throws ProtobufError. */
export function decodeKubernetesProtobuf(body: Buffer): Json {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  let envelope: Json;
  try {
    envelope = UNKNOWN().toObject(UNKNOWN().decode(body.subarray(4)), { longs: Number, bytes: Buffer }) as Json;
  } catch (err) {
    throw new ProtobufError(`proto: ${(err as Error).message}`);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const { apiVersion = '', kind = '' } = typeMeta;
  if (!kind) throw new ProtobufError("Object 'Kind' is missing in protobuf envelope");
  const type = protobufType(apiVersion, kind);
  if (!type) throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  try {
    const raw = (envelope.raw as Buffer | undefined) ?? Buffer.alloc(0);
    const message = type.toObject(type.decode(raw), { longs: Number, bytes: String }) as Json;
    return { apiVersion, kind, ...(toJson(type, message) as Json) };
  } catch (err) {
    if (err instanceof ProtobufError) throw err;
    throw new ProtobufError(`proto: ${kind}: ${(err as Error).message}`);
  }
}

/** An object (with apiVersion and kind) in Kubernetes protobuf, or undefined when its kind has no protobuf form. */
export function encodeKubernetesProtobuf(object: Json): Buffer | undefined {
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const type = protobufType(apiVersion, kind);
  if (!type) return undefined;
  const raw = type.encode(type.fromObject(fromJson(type, object) as Json)).finish();
  const envelope = UNKNOWN().encode(
    UNKNOWN().fromObject({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }),
  );
  return Buffer.concat([MAGIC, envelope.finish()]);
}
