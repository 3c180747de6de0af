type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class PatchError extends Error {
  /** 400 when the patch itself is malformed, 422 when it cannot be applied to the object. */
  constructor(
    readonly code: 400 | 422,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch (`application/merge-patch+json`). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/**
 * Merge keys of lists the strategic merge patch merges element by element; lists not named here are
 * replaced whole, as for fields without a patch strategy. Keyed by field name, which is exact for the
 * objects the lab serves.
 */
export const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
};
const PORT_KEYS = ['containerPort', 'port'];

function mergeKeyOf(field: string, items: Json[]): string | undefined {
  if (field === 'ports') return PORT_KEYS.find((k) => items.some((i) => isObject(i) && k in i));
  return MERGE_KEYS[field];
}

/** Strategic merge patch (`application/strategic-merge-patch+json`), with `$patch: delete|replace`. */
export function strategicMergePatch(target: Json, patch: Json, field = ''): Json {
  if (Array.isArray(patch)) {
    const key = mergeKeyOf(field, patch);
    if (!key || !Array.isArray(target)) {
      if (field === 'finalizers' && Array.isArray(target)) return [...new Set([...target, ...patch])];
      return patch.filter((p) => !(isObject(p) && p.$patch === 'delete'));
    }
    const out = [...target];
    for (const item of patch) {
      if (!isObject(item))
        throw new PatchError(400, `the list ${field} has merge key ${key}; its elements must be objects`);
      const at = out.findIndex((t) => isObject(t) && t[key] === item[key]);
      if (item.$patch === 'delete') {
        if (at >= 0) out.splice(at, 1);
      } else if (at >= 0) out[at] = strategicMergePatch(out[at], item);
      else out.push(strategicMergePatch({}, item));
    }
    return out;
  }
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return {};
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k] ?? null, v, k);
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(400, `invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchError(422, `doc is missing path: ${path}: missing value`);
    node = next;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(422, `doc is missing path: ${path}: missing value`);
  return { parent: node, key: tokens[tokens.length - 1] };
}

function read(doc: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = parentOf(doc, tokens, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined) throw new PatchError(422, `doc is missing path: ${path}: missing value`);
  return v;
}

function remove(doc: Json, path: string): Json {
  const { parent, key } = parentOf(doc, pointer(path), path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length)
      throw new PatchError(422, `Unable to remove nonexistent key: ${key}: missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new PatchError(422, `Unable to remove nonexistent key: ${key}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function add(doc: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
      throw new PatchError(422, `Unable to access invalid index: ${key}: invalid index referenced`);
    }
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent))
      throw new PatchError(422, `replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[key] = value;
  }
  return doc;
}

/** RFC 6902 JSON patch (`application/json-patch+json`). */
export function jsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations))
    throw new PatchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of operations as Operation[]) {
    if (!isObject(raw as unknown) || typeof raw.path !== 'string')
      throw new PatchError(400, 'invalid JSON patch operation');
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, structuredClone(raw.value ?? null), false);
        break;
      case 'replace':
        doc = add(doc, raw.path, structuredClone(raw.value ?? null), true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'move': {
        const v = remove(doc, raw.from ?? '');
        doc = add(doc, raw.path, v, false);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, structuredClone(read(doc, raw.from ?? '')), false);
        break;
      case 'test':
        if (JSON.stringify(read(doc, raw.path)) !== JSON.stringify(raw.value)) {
          throw new PatchError(422, `testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(400, `Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

/** Applies a patch of the given content type to an object. */
export function applyPatch(contentType: string, target: unknown, body: unknown): unknown {
  switch (contentType) {
    case 'application/json-patch+json':
      return jsonPatch(target as Json, body);
    case 'application/merge-patch+json':
      return mergePatch(target as Json, body as Json);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(target as Json, body as Json);
    default:
      throw new PatchError(400, `unsupported patch type ${contentType}`);
  }
}
