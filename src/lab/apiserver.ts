import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PolicyRule } from 'kubernetes-types/rbac/v1.js';
import YAML from 'yaml';
import { namespaceAdmission, podAdmission } from './admission.js';
import type { Authenticator } from './auth.js';
import type { Controllers } from './controllers.js';
import {
  aggregatedContentType,
  aggregatedList,
  apiGroupList,
  apiGroupOf,
  apiResourceList,
  apiVersions,
  wantsAggregated,
} from './discovery.js';
import { fieldValidationOf, unknownFields } from './field-validation.js';
import { MAX_BODY, readBody, sendJson, sendText, splitUrl } from './http.js';
import { impersonated } from './impersonation.js';
import { prometheusText } from './metrics.js';
import { openapiDocument, openapiRoot, openapiV2, openapiV2Protobuf } from './openapi.js';
import { applyPatch, PATCH_TYPES, PatchError } from './patch.js';
import type { ProfileSettings } from './profiles.js';
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  PROTOBUF,
  ProtobufError,
  protobufType,
} from './protobuf.js';
import { type Attributes, type Authorizer, describeRule } from './rbac.js';
import { noteIdentity } from './requestlog.js';
import { apiGroups, findResource, groupVersion, RESOURCES, type ResourceType, resourceOfKind } from './resources.js';
import { review } from './reviews.js';
import { fieldSelector, labelSelector } from './selectors.js';
import type { Handler } from './servers.js';
import * as status from './status.js';
import { ApiError } from './status.js';
import { type KubeObject, type Store, stableUid, timestamp } from './store.js';
import { sendJsonList } from './stream-json.js';
import { toTable, wantsTable } from './table.js';
import { boundClaims, type TokenSigner } from './tokens.js';
import { UNSECURED, type UserInfo } from './users.js';
import { validate, validateUpdate } from './validate.js';
import { versionInfo } from './version.js';

export interface ApiServerDeps {
  store: Store;
  /** The resources this server's version serves. */
  resources: ResourceType[];
  minor: number;
  version: string;
  settings: ProfileSettings;
  /** How long a deleted namespace stays Terminating before it is gone (ms); 0: at once. */
  namespaceTerminationMs: number;
  authenticator: Authenticator;
  authorizer: Authorizer;
  controllers: Controllers;
  /** host:port clients are told to use (`serverAddressByClientCIDRs`). */
  serverAddress: string;
  signer: TokenSigner;
  /** Notes a secret the lab handed out (a token from the TokenRequest API). */
  remember: (secret: string) => void;
  /** Forwards a request to a node's kubelet (`nodes/<name>/proxy/<path>`). */
  kubeletProxy: (node: string, path: string, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Forwards a request to a service (`services/<name>/proxy/<path>`); false when nothing serves it. */
  serviceProxy: (
    namespace: string,
    service: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<boolean>;
  /** A container's log, as the kubelet would stream it. */
  containerLog: (pod: Pod, container: string) => string;
}

const NAMESPACES = resourceOfKind(RESOURCES, 'Namespace');
const ROLE_KINDS = new Set(['Role', 'ClusterRole']);
const BINDING_KINDS = new Set(['RoleBinding', 'ClusterRoleBinding']);

interface ResourceRequest {
  group: string;
  version: string;
  resource: string;
  rt?: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** What follows `/proxy` for proxy subresources. */
  subpath?: string;
  verb: string;
}

interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  user: UserInfo;
  query: URLSearchParams;
  headers: Record<string, string>;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The Go-style verb of a non-resource request. */
const pathVerb = (method: string) => (method === 'HEAD' ? 'get' : method.toLowerCase());

/** The request body, refused with 413 past the size the real server accepts. */
async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  try {
    return await readBody(req);
  } catch {
    throw status.tooLarge(MAX_BODY);
  }
}

/** The media types a real server reads API objects in. */
const BODY_TYPES = ['application/json', 'application/yaml', PROTOBUF];

/** The body as an object: JSON, YAML, or Kubernetes protobuf for the types that have a protobuf form. */
async function decodeBody(req: IncomingMessage, rt?: ResourceType): Promise<unknown> {
  const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
  if (type === PROTOBUF && rt && !protobufType(groupVersion(rt), rt.kind))
    throw status.unsupportedMediaType(type, ['application/json', 'application/yaml']);
  if (!BODY_TYPES.includes(type)) throw status.unsupportedMediaType(type, BODY_TYPES);
  const raw = await bodyOf(req);
  if (type === PROTOBUF) {
    try {
      return decodeKubernetesProtobuf(raw);
    } catch (err) {
      if (err instanceof ProtobufError) throw status.badRequest(`unable to decode the protobuf body: ${err.message}`);
      throw err;
    }
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') throw status.badRequest("Object 'Kind' is missing in ''");
  try {
    return type.includes('yaml') ? YAML.parse(text) : JSON.parse(text);
  } catch (err) {
    throw status.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message.split('\n')[0]}`);
  }
}

const APPLY_PATCH = 'application/apply-patch+yaml';

/** The object a proxy URL names: `[scheme:]name[:port]` (`https:kubernetes-dashboard:`). */
function proxiedName(name: string): string {
  const parts = name.split(':');
  return parts.length > 1 && (parts[0] === 'http' || parts[0] === 'https') ? parts[1] : parts[0];
}

/** Whether the client prefers Kubernetes protobuf (client-go's typed clients list it first). */
function prefersProtobuf(accept: string | undefined): boolean {
  return (accept ?? '').split(',')[0].split(';')[0].trim() === PROTOBUF;
}

/** Sends an API object (or Status) as the client prefers: protobuf when it asks first and the kind has one. */
function sendObject(
  req: IncomingMessage,
  res: ServerResponse,
  code: number,
  body: object,
  headers: Record<string, string>,
): void {
  const encoded = prefersProtobuf(req.headers.accept)
    ? encodeKubernetesProtobuf(body as Record<string, unknown>)
    : undefined;
  if (!encoded) {
    sendJson(res, code, body, headers);
    return;
  }
  res.writeHead(code, { 'content-type': PROTOBUF, 'content-length': encoded.length, ...headers });
  res.end(encoded);
}

/** kube-apiserver: REST over the store, with authentication, RBAC, discovery and Status errors. */
export class ApiServer {
  private readonly flowSchema = stableUid('flowschema');
  private readonly priorityLevel = stableUid('prioritylevel');

  /** OpenAPI documents by path, made on first request: they only change with the resources served. */
  private readonly openapiCache = new Map<string, unknown>();

  constructor(private readonly deps: ApiServerDeps) {
    // A CRD changes what is served, so what the documents describe.
    deps.store.onChange((c) => {
      if (c.rt.kind === 'CustomResourceDefinition') this.openapiCache.clear();
    });
  }

  private openapi(key: string, make: () => unknown): unknown {
    if (!this.openapiCache.has(key)) this.openapiCache.set(key, make());
    return this.openapiCache.get(key);
  }

  /** The handler of the TLS port (`secure`) or of the insecure port, where everyone is system:unsecured. */
  handler(secure: boolean): Handler {
    return (req, res) => this.serve(req, res, secure);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
    const { path, query } = splitUrl(req);
    const headers: Record<string, string> = { 'audit-id': randomUUID(), 'cache-control': 'no-cache, private' };
    if (this.deps.minor >= 20) {
      headers['x-kubernetes-pf-flowschema-uid'] = this.flowSchema;
      headers['x-kubernetes-pf-prioritylevel-uid'] = this.priorityLevel;
    }
    let user = UNSECURED;
    if (secure) {
      const auth = this.deps.authenticator.authenticate(req, this.deps.settings.apiserver.anonymous);
      if (!auth) {
        noteIdentity(req, '-');
        const e = status.unauthorized();
        sendObject(req, res, 401, e.status, headers);
        return;
      }
      user = auth.user;
    }
    try {
      user = impersonated(req, user, this.deps.authorizer);
    } catch (err) {
      noteIdentity(req, user.name);
      if (!(err instanceof ApiError)) throw err;
      sendObject(req, res, err.status.code, err.status, headers);
      return;
    }
    noteIdentity(req, user.name);
    const ex: Exchange = { req, res, user, query, headers };
    try {
      const rr = this.parse(req.method ?? 'GET', path, query);
      if (!rr) {
        const verb = pathVerb(req.method ?? 'GET');
        if (!this.deps.authorizer.allows(user, { verb, path })) throw status.forbidden(user, { verb, path });
        await this.nonResource(ex, path);
        return;
      }
      const attrs: Attributes = {
        verb: rr.verb,
        group: rr.group,
        resource: rr.resource,
        subresource: rr.subresource,
        namespace: rr.namespace,
        name: rr.name,
      };
      if (!this.deps.authorizer.allows(user, attrs)) {
        throw status.forbidden(user, {
          verb: rr.verb,
          rt: rr.rt ?? this.unknownType(rr),
          subresource: rr.subresource,
          namespace: rr.namespace,
          name: rr.name,
        });
      }
      if (!rr.rt) throw status.noSuchPath();
      await this.resource(ex, rr as ResourceRequest & { rt: ResourceType });
    } catch (err) {
      if (err instanceof ApiError) {
        if (!res.headersSent) sendObject(req, res, err.status.code, err.status, headers);
        else res.end();
        return;
      }
      throw err;
    }
  }

  /** A stand-in type for error messages about a resource the server does not serve. */
  private unknownType(rr: ResourceRequest): ResourceType {
    return {
      group: rr.group,
      version: rr.version,
      resource: rr.resource,
      kind: rr.resource,
      singular: rr.resource,
      namespaced: !!rr.namespace,
      verbs: [],
    };
  }

  /** Reads a resource URL; undefined for non-resource paths (discovery included). */
  private parse(method: string, path: string, query: URLSearchParams): ResourceRequest | undefined {
    const seg = path.split('/').slice(1);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg.length >= 3) {
      group = '';
      version = seg[1];
      rest = seg.slice(2);
    } else if (seg[0] === 'apis' && seg.length >= 4) {
      group = seg[1];
      version = seg[2];
      rest = seg.slice(3);
    } else return undefined;
    if (rest.length === 0 || rest[0] === '') return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [resource, name, subresource] = rest;
    if (resource === 'namespaces' && name) namespace = name;
    const rt = findResource(this.deps.resources, group, version, resource);
    const subpath = subresource === 'proxy' ? `/${rest.slice(3).join('/')}` : undefined;
    const watch = query.get('watch') === 'true' || query.get('watch') === '1';
    let verb: string;
    if (method === 'GET' || method === 'HEAD') verb = name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
    else if (method === 'DELETE' && !name) verb = 'deletecollection';
    else verb = METHOD_VERBS[method] ?? method.toLowerCase();
    return {
      group,
      version,
      resource,
      rt,
      namespace,
      name: name || undefined,
      subresource: subresource || undefined,
      subpath,
      verb,
    };
  }

  private async nonResource(ex: Exchange, path: string): Promise<void> {
    const { res, headers, req } = ex;
    const { deps } = this;
    const accept = req.headers.accept;
    const clean = path.replace(/\/+$/, '') || '/';
    if (clean === '/') {
      sendJson(res, 200, { paths: this.rootPaths() }, headers);
      return;
    }
    if (clean === '/version') {
      sendJson(res, 200, versionInfo(deps.version), headers);
      return;
    }
    const health = /^\/(healthz|livez|readyz)(\/.*)?$/.exec(clean);
    if (health) {
      if (health[1] !== 'healthz' && deps.minor < 16) throw status.noSuchPath();
      this.health(ex, health[1], health[2]);
      return;
    }
    if (clean === '/metrics') {
      sendText(
        res,
        200,
        prometheusText('apiserver', deps.version, { apiserver_request_total: [['code="200",verb="GET"', 1024]] }),
        {
          ...headers,
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        },
      );
      return;
    }
    if (clean === '/openapi/v2') {
      const doc = this.openapi('v2', () => openapiV2(deps.resources, deps.version));
      if (accept?.includes('protobuf')) {
        const body = this.openapi('v2.pb', () => openapiV2Protobuf(doc as Record<string, unknown>)) as Buffer;
        // kube-openapi labels the protobuf document as plain bytes (the media type it was asked for does not parse).
        res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': body.length });
        res.end(body);
      } else sendJson(res, 200, doc, headers);
      return;
    }
    if (clean.startsWith('/openapi/v3') && deps.minor >= 27) {
      const doc = this.openapi(clean, () =>
        clean === '/openapi/v3'
          ? openapiRoot(deps.resources, deps.version)
          : openapiDocument(deps.resources, clean, deps.version),
      );
      if (doc) {
        sendJson(res, 200, doc, headers);
        return;
      }
    }
    if (clean === '/api' || clean === '/apis') {
      const aggregated = wantsAggregated(accept, deps.minor);
      if (aggregated) {
        const body = aggregatedList(deps.resources, clean === '/api' ? 'core' : 'groups', aggregated);
        sendJson(res, 200, body, { ...headers, 'content-type': aggregatedContentType(aggregated), vary: 'Accept' });
      } else {
        const body = clean === '/api' ? apiVersions(deps.serverAddress) : apiGroupList(deps.resources);
        sendJson(res, 200, body, headers);
      }
      return;
    }
    const seg = clean.split('/').slice(1);
    if (seg[0] === 'api' && seg.length === 2) {
      const list = apiResourceList(deps.resources, '', seg[1]);
      if (list) {
        sendJson(res, 200, list, headers);
        return;
      }
    }
    if (seg[0] === 'apis' && seg.length === 2) {
      const group = apiGroupOf(deps.resources, seg[1]);
      if (group) {
        sendJson(res, 200, group, headers);
        return;
      }
    }
    if (seg[0] === 'apis' && seg.length === 3) {
      const list = apiResourceList(deps.resources, seg[1], seg[2]);
      if (list) {
        sendJson(res, 200, list, headers);
        return;
      }
    }
    throw status.noSuchPath();
  }

  private rootPaths(): string[] {
    const paths = [
      '/api',
      '/api/v1',
      '/apis',
      '/healthz',
      '/healthz/etcd',
      '/healthz/log',
      '/healthz/ping',
      '/metrics',
      '/version',
    ];
    if (this.deps.minor >= 16) paths.push('/livez', '/readyz');
    for (const g of apiGroups(this.deps.resources)) paths.push(`/apis/${g.group}`, `/apis/${g.group}/${g.version}`);
    return paths.sort();
  }

  private health(ex: Exchange, which: string, check: string | undefined): void {
    const checks = [
      'ping',
      'log',
      'etcd',
      'poststarthook/start-kube-apiserver-admission-initializer',
      'poststarthook/rbac/bootstrap-roles',
    ];
    if (which === 'readyz') checks.push('informer-sync', 'shutdown');
    if (check) {
      if (!checks.includes(check.slice(1))) throw status.noSuchPath();
      sendText(ex.res, 200, 'ok', ex.headers);
      return;
    }
    if (ex.query.has('verbose')) {
      sendText(ex.res, 200, `${checks.map((c) => `[+]${c} ok`).join('\n')}\n${which} check passed\n`, ex.headers);
    } else sendText(ex.res, 200, 'ok', ex.headers);
  }

  private async resource(ex: Exchange, rr: ResourceRequest & { rt: ResourceType }): Promise<void> {
    const { rt } = rr;
    if (rt.namespaced && rr.rt !== NAMESPACES && !rr.namespace && rr.verb !== 'list' && rr.verb !== 'watch')
      throw status.noSuchPath();
    if (!rt.namespaced && rt !== NAMESPACES && rr.namespace) throw status.noSuchPath();
    if (rt.review) {
      if (rr.verb !== 'create' || rr.name) throw status.methodNotAllowed();
      await this.review(ex, rt);
      return;
    }
    if (rr.subresource) {
      await this.subresource(ex, rr);
      return;
    }
    switch (rr.verb) {
      case 'list':
        this.list(ex, rt, rr.namespace);
        return;
      case 'watch':
        this.watch(ex, rt, rr.namespace, rr.name);
        return;
      case 'get':
        this.get(ex, rt, rr.namespace, rr.name!);
        return;
      case 'create':
        if (rr.name && rt !== NAMESPACES) throw status.methodNotAllowed();
        await this.create(ex, rt, rt === NAMESPACES ? undefined : rr.namespace);
        return;
      case 'update': {
        const body = (await decodeBody(ex.req, rt)) as KubeObject;
        this.checkTypeMeta(rt, body);
        this.checkFields(ex, rt, body);
        await this.update(ex, rt, rr.namespace, rr.name!, body);
        return;
      }
      case 'patch':
        await this.patch(ex, rt, rr.namespace, rr.name!);
        return;
      case 'delete':
        this.delete(ex, rt, rr.namespace, rr.name!);
        return;
      case 'deletecollection':
        this.deleteCollection(ex, rt, rr.namespace);
        return;
      default:
        throw status.methodNotAllowed();
    }
  }

  private existing(rt: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.deps.store.get(rt, namespace, name);
    if (!o) throw status.notFound(rt, name);
    return o;
  }

  private respond(
    ex: Exchange,
    code: number,
    rt: ResourceType,
    objects: KubeObject | KubeObject[],
    list?: Record<string, unknown>,
  ): void {
    const accept = ex.req.headers.accept;
    if (accept && !/application\/json|\*\/\*|application\/\*|application\/vnd\.kubernetes\.protobuf/.test(accept))
      throw status.notAcceptable();
    if (wantsTable(accept)) {
      const table = toTable(
        rt,
        Array.isArray(objects) ? objects : [objects],
        this.deps.store.resourceVersion,
        ex.query.get('includeObject'),
      );
      // A Table's metadata is the list's: the continue token and, as a real server sends it, the remaining count.
      if (list?.continue) (table.metadata as Record<string, unknown>).continue = list.continue;
      if (list?.remainingItemCount !== undefined)
        (table.metadata as Record<string, unknown>).remainingItemCount = list.remainingItemCount;
      sendJson(ex.res, code, table, ex.headers);
      return;
    }
    if (!Array.isArray(objects)) {
      // A resource served under two versions is one table: the answer names the version asked for.
      sendObject(ex.req, ex.res, code, { ...objects, apiVersion: groupVersion(rt) }, ex.headers);
      return;
    }
    // Streamed item by item, as the real server writes a list: 100,000 pods start at once.
    const items = objects.map(({ apiVersion: _, kind: __, ...rest }) => rest);
    const head = {
      kind: `${rt.kind}List`,
      apiVersion: groupVersion(rt),
      metadata: { resourceVersion: this.deps.store.resourceVersion, ...list },
    };
    // JSON lists are streamed item by item (a real cluster's lists are large); protobuf is encoded whole.
    if (prefersProtobuf(ex.req.headers.accept)) sendObject(ex.req, ex.res, code, { ...head, items }, ex.headers);
    else void sendJsonList(ex.res, code, head, 'items', items, ex.headers).catch(() => ex.res.destroy());
  }

  /** The stored objects a list asks for (not copies: callers serialize them, or copy what they hand out). */
  private selected(ex: Exchange, rt: ResourceType, namespace: string | undefined): readonly KubeObject[] {
    let items = this.deps.store.view(rt, namespace);
    const ls = ex.query.get('labelSelector');
    if (ls) {
      const test = labelSelector(ls);
      if (!test) throw status.badRequest(`unable to parse requirement: invalid label selector: "${ls}"`);
      items = items.filter(test);
    }
    const fs = ex.query.get('fieldSelector');
    if (fs) {
      const test = fieldSelector(fs);
      if (typeof test === 'string') throw status.badRequest(test);
      items = items.filter(test);
    }
    return items;
  }

  private list(ex: Exchange, rt: ResourceType, namespace: string | undefined): void {
    const items = this.selected(ex, rt, namespace);
    const limit = Number(ex.query.get('limit') ?? 0);
    let offset = 0;
    const token = ex.query.get('continue');
    if (token) {
      try {
        offset = Number(JSON.parse(Buffer.from(token, 'base64').toString('utf8')).start) || 0;
      } catch {
        throw status.badRequest('continue key is not valid: illegal base64 data');
      }
    }
    if (limit > 0 && items.length - offset > limit) {
      const next = Buffer.from(
        JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(this.deps.store.resourceVersion), start: offset + limit }),
      ).toString('base64');
      this.respond(ex, 200, rt, items.slice(offset, offset + limit), {
        continue: next,
        remainingItemCount: items.length - offset - limit,
      });
      return;
    }
    this.respond(ex, 200, rt, items.slice(offset));
  }

  private watch(ex: Exchange, rt: ResourceType, namespace: string | undefined, name: string | undefined): void {
    const { res, req } = ex;
    const matches = (o: KubeObject) =>
      (!namespace || o.metadata.namespace === namespace) && (!name || o.metadata.name === name);
    res.writeHead(200, { ...ex.headers, 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    // A watch may have nothing to say for a while: the client waits for the headers before it goes on.
    res.flushHeaders();
    // `kubectl get -w` asks for Table rows in its events too.
    const table = wantsTable(req.headers.accept);
    const event = (type: string, o: KubeObject) => {
      const object = table ? toTable(rt, [o], this.deps.store.resourceVersion, ex.query.get('includeObject')) : o;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    // From a resourceVersion a client already listed, only later changes (the lab keeps no history).
    const since = ex.query.get('resourceVersion');
    if (!since || since === '0') for (const o of this.selected(ex, rt, namespace).filter(matches)) event('ADDED', o);
    const stop = this.deps.store.onChange((change) => {
      if (
        (change.rt === rt || (change.rt.group === rt.group && change.rt.resource === rt.resource)) &&
        matches(change.object)
      )
        event(change.type, change.object);
    });
    const seconds = Math.min(Number(ex.query.get('timeoutSeconds') ?? 1800) || 1800, 1800);
    const timer = setTimeout(() => res.end(), seconds * 1000);
    const finish = () => {
      clearTimeout(timer);
      stop();
    };
    req.once('close', finish);
    res.once('finish', finish);
  }

  private get(ex: Exchange, rt: ResourceType, namespace: string | undefined, name: string): void {
    this.respond(ex, 200, rt, this.existing(rt, namespace, name));
  }

  private checkTypeMeta(rt: ResourceType, body: KubeObject): void {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw status.badRequest('the body of the request is not an object');
    if (body.apiVersion !== undefined && body.apiVersion !== groupVersion(rt)) {
      throw status.badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${groupVersion(rt)})`,
      );
    }
    if (body.kind !== undefined && body.kind !== rt.kind) {
      throw status.badRequest(
        `${body.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: no kind "${body.kind}" is registered for version "${groupVersion(rt)}"`,
      );
    }
    body.metadata ??= {};
  }

  private checkNamespace(rt: ResourceType, body: KubeObject, namespace: string | undefined): void {
    if (!rt.namespaced) return;
    if (body.metadata.namespace && body.metadata.namespace !== namespace) {
      throw status.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    (body.metadata as { namespace?: string }).namespace = namespace;
    if (!this.deps.store.has(NAMESPACES, undefined, namespace ?? ''))
      throw status.notFound(NAMESPACES, namespace ?? '');
  }

  /** The real server refuses to let anyone grant rights they do not hold (unless they may escalate or bind). */
  private checkEscalation(user: UserInfo, rt: ResourceType, object: KubeObject): void {
    const { authorizer, store } = this.deps;
    const namespace = object.metadata.namespace;
    let wanted: PolicyRule[] = [];
    if (ROLE_KINDS.has(rt.kind)) {
      if (
        authorizer.allows(user, {
          verb: 'escalate',
          group: rt.group,
          resource: rt.resource,
          namespace,
          name: object.metadata.name,
        })
      )
        return;
      wanted = (object.rules as PolicyRule[]) ?? [];
    } else if (BINDING_KINDS.has(rt.kind)) {
      const ref = object.roleRef as { kind: string; name: string };
      const roleType = resourceOfKind(RESOURCES, ref.kind);
      if (
        authorizer.allows(user, {
          verb: 'bind',
          group: roleType.group,
          resource: roleType.resource,
          // In the binding's namespace, whatever the role's kind: a RoleBinding may grant `bind` on admin there.
          namespace,
          name: ref.name,
        })
      )
        return;
      const role = store.get(roleType, ref.kind === 'Role' ? namespace : undefined, ref.name);
      wanted = (role?.rules as PolicyRule[]) ?? [];
    } else return;
    const missing = authorizer.missing(user, wanted, namespace);
    if (missing.length === 0) return;
    const groups = user.groups.map((g) => JSON.stringify(g)).join(' ');
    throw status.forbidden(
      user,
      { verb: 'create', rt, namespace, name: object.metadata.name },
      `user "${user.name}" (groups=[${groups}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(describeRule).join('\n')}`,
    );
  }

  /**
   * Pod Security Admission and NodeRestriction on a new pod, and Pod Security Admission on a namespace's
   * labels as it is created or updated (`before`), a 422 as the plugin answers (admission.ts).
   */
  private checkAdmission(user: UserInfo, rt: ResourceType, object: KubeObject, before?: KubeObject): void {
    if (rt === NAMESPACES) {
      const errors = namespaceAdmission(object, before, this.deps.minor);
      if (errors.length > 0) throw status.invalid(rt, object.metadata.name ?? '', errors);
      return;
    }
    if (rt.kind !== 'Pod' || before) return;
    const namespace = this.deps.store.get(NAMESPACES, undefined, object.metadata.namespace ?? '');
    const why = podAdmission(user, object as unknown as Pod, namespace, this.deps.minor);
    if (why) throw status.admissionDenied(rt, object.metadata.name ?? object.metadata.generateName ?? '', why);
  }

  /**
   * Server-side field validation (field-validation.ts), from 1.25 where it is on by default: unknown
   * fields refuse the write under Strict, are warned about under Warn and dropped under both Warn and Ignore.
   */
  private checkFields(ex: Exchange, rt: ResourceType, body: KubeObject): void {
    if (this.deps.minor < 25) return;
    const directive = fieldValidationOf(ex.query.get('fieldValidation'));
    if (typeof directive !== 'string') throw status.badRequest(directive.error);
    const unknown = unknownFields(groupVersion(rt), rt.kind, body, directive !== 'Strict');
    if (unknown.length === 0 || directive === 'Ignore') return;
    const each = unknown.map((path) => `unknown field "${path}"`);
    if (directive === 'Strict') {
      throw status.badRequest(
        `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: strict decoding error: ${each.join(', ')}`,
      );
    }
    ex.res.setHeader(
      'warning',
      each.map((w) => `299 - ${JSON.stringify(w)}`),
    );
  }

  private dryRun(ex: Exchange): boolean {
    const v = ex.query.get('dryRun');
    if (v && v !== 'All') throw status.badRequest(`Invalid dry run value: ${v}`);
    return v === 'All';
  }

  private async create(
    ex: Exchange,
    rt: ResourceType,
    namespace: string | undefined,
    applied?: KubeObject,
  ): Promise<void> {
    const { store, controllers } = this.deps;
    const body = applied ?? ((await decodeBody(ex.req, rt)) as KubeObject);
    this.checkTypeMeta(rt, body);
    this.checkFields(ex, rt, body);
    body.kind = rt.kind;
    this.checkNamespace(rt, body, namespace);
    const errors = validate(body, { allowPrivileged: this.deps.settings.apiserver.allowPrivileged });
    if (errors.length) throw status.invalid(rt, body.metadata.name ?? body.metadata.generateName ?? '', errors);
    this.checkEscalation(ex.user, rt, body);
    this.checkAdmission(ex.user, rt, body);
    if (body.metadata.name && store.has(rt, namespace, body.metadata.name))
      throw status.alreadyExists(rt, body.metadata.name);
    const admitted = controllers.admit(rt, body);
    if (this.dryRun(ex)) {
      const meta = { ...admitted.metadata, uid: randomUUID(), creationTimestamp: timestamp() };
      this.respond(ex, 201, rt, { ...admitted, apiVersion: groupVersion(rt), kind: rt.kind, metadata: meta });
      return;
    }
    const stored = store.create(rt, admitted);
    controllers.created(rt, stored);
    this.respond(ex, 201, rt, store.get(rt, namespace, stored.metadata.name ?? '') ?? stored);
  }

  private async update(
    ex: Exchange,
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
  ): Promise<void> {
    const before = this.existing(rt, namespace, name);
    this.checkTypeMeta(rt, body);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw status.badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (rt.namespaced && body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) {
      throw status.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== before.metadata.resourceVersion)
      throw status.conflict(rt, name);
    const after: KubeObject = {
      ...body,
      apiVersion: groupVersion(rt),
      kind: rt.kind,
      metadata: {
        ...body.metadata,
        name,
        namespace: rt.namespaced ? namespace : undefined,
        uid: before.metadata.uid,
        creationTimestamp: before.metadata.creationTimestamp,
        resourceVersion: before.metadata.resourceVersion,
        // A spec change is a new generation, which controllers report as observed in their status.
        generation:
          before.metadata.generation !== undefined && JSON.stringify(before.spec) !== JSON.stringify(body.spec)
            ? before.metadata.generation + 1
            : before.metadata.generation,
      },
    };
    if (rt.kind === 'Pod' && after.status === undefined) after.status = before.status;
    const errors = validateUpdate(before, after);
    if (errors.length) throw status.invalid(rt, name, errors);
    this.checkEscalation(ex.user, rt, after);
    this.checkAdmission(ex.user, rt, after, before);
    if (this.dryRun(ex)) {
      this.respond(ex, 200, rt, after);
      return;
    }
    const stored = this.deps.store.replace(rt, after);
    this.deps.controllers.updated(rt, stored);
    this.respond(ex, 200, rt, this.deps.store.get(rt, namespace, name) ?? stored);
  }

  /**
   * Server-side apply, simplified: the applied configuration creates the object or is merged into it like a
   * strategic merge patch. Field ownership is not tracked, so there are no conflicts between managers.
   */
  private async apply(ex: Exchange, rt: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    if (!ex.query.get('fieldManager'))
      throw status.badRequest('PATCH requests with application/apply-patch+yaml require fieldManager');
    let applied: KubeObject;
    try {
      applied = YAML.parse((await bodyOf(ex.req)).toString('utf8')) as KubeObject;
    } catch (err) {
      throw status.badRequest(`error decoding YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    this.checkTypeMeta(rt, applied);
    if (applied.metadata.name !== undefined && applied.metadata.name !== name)
      throw status.badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (!this.deps.store.has(rt, namespace, name)) {
      await this.create(ex, rt, namespace, { ...applied, metadata: { ...applied.metadata, name } });
      return;
    }
    const before = this.existing(rt, namespace, name);
    const merged = applyPatch('application/strategic-merge-patch+json', before, applied) as KubeObject;
    const { resourceVersion: _, ...meta } = merged.metadata;
    await this.update(ex, rt, namespace, name, { ...merged, metadata: meta });
  }

  private async patch(ex: Exchange, rt: ResourceType, namespace: string | undefined, name: string): Promise<void> {
    const type = (ex.req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type === APPLY_PATCH) {
      await this.apply(ex, rt, namespace, name);
      return;
    }
    if (!(PATCH_TYPES as readonly string[]).includes(type)) {
      throw status.unsupportedMediaType(type, [...PATCH_TYPES, APPLY_PATCH]);
    }
    const before = this.existing(rt, namespace, name);
    let body: unknown;
    try {
      body = JSON.parse((await bodyOf(ex.req)).toString('utf8'));
    } catch (err) {
      throw status.badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    let patched: KubeObject;
    try {
      patched = applyPatch(type, before, body) as KubeObject;
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      if (err.code === 400) throw status.badRequest(err.message);
      throw status.invalid(rt, name, [{ field: '', reason: 'FieldValueInvalid', message: err.message }]);
    }
    if (!patched || typeof patched !== 'object' || !patched.metadata)
      throw status.badRequest("the patch removed the object's metadata");
    const { resourceVersion: _, ...meta } = patched.metadata;
    await this.update(ex, rt, namespace, name, { ...patched, metadata: meta });
  }

  private delete(ex: Exchange, rt: ResourceType, namespace: string | undefined, name: string): void {
    const { store, controllers } = this.deps;
    const o = this.existing(rt, namespace, name);
    if (rt === NAMESPACES && this.deps.namespaceTerminationMs > 0) {
      this.terminate(ex, o);
      return;
    }
    const now = timestamp();
    const gone =
      rt.kind === 'Pod' || rt === NAMESPACES
        ? {
            ...o,
            metadata: { ...o.metadata, deletionTimestamp: now, deletionGracePeriodSeconds: rt.kind === 'Pod' ? 30 : 0 },
            ...(rt === NAMESPACES ? { status: { phase: 'Terminating' } } : {}),
          }
        : undefined;
    if (!this.dryRun(ex)) {
      store.remove(rt, namespace, name);
      controllers.deleted(rt, o);
    }
    if (gone) this.respond(ex, 200, rt, gone);
    else sendObject(ex.req, ex.res, 200, status.deleted(rt, name, o.metadata.uid ?? ''), ex.headers);
  }

  /**
   * A namespace deleted as a real cluster deletes it: answered 200 at once while it stays, Terminating with
   * its deletionTimestamp, until the namespace controller has emptied it; deleting it again meanwhile is a
   * 409 Conflict with the real server's words.
   */
  private terminate(ex: Exchange, o: KubeObject): void {
    const { store, controllers } = this.deps;
    const name = o.metadata.name ?? '';
    if (o.metadata.deletionTimestamp) {
      throw status.namespaceTerminating(name);
    }
    const terminating = {
      ...o,
      metadata: { ...o.metadata, deletionTimestamp: timestamp(), deletionGracePeriodSeconds: 0 },
      status: { phase: 'Terminating' },
    };
    if (!this.dryRun(ex)) {
      store.replace(NAMESPACES, terminating);
      setTimeout(() => {
        if (!store.has(NAMESPACES, undefined, name)) return;
        store.remove(NAMESPACES, undefined, name);
        controllers.deleted(NAMESPACES, o);
      }, this.deps.namespaceTerminationMs).unref();
    }
    this.respond(ex, 200, NAMESPACES, terminating);
  }

  private deleteCollection(ex: Exchange, rt: ResourceType, namespace: string | undefined): void {
    const { store, controllers } = this.deps;
    const items = copies(this.selected(ex, rt, namespace));
    if (!this.dryRun(ex)) {
      for (const o of items) {
        store.remove(rt, o.metadata.namespace, o.metadata.name ?? '');
        controllers.deleted(rt, o);
      }
    }
    this.respond(ex, 200, rt, items);
  }

  private async review(ex: Exchange, rt: ResourceType): Promise<void> {
    const body = (await decodeBody(ex.req, rt)) as KubeObject & { spec?: Record<string, unknown> };
    this.checkTypeMeta(rt, body);
    const result = review(rt.kind, body, ex.user, this.deps);
    if (typeof result === 'string')
      throw status.invalid(rt, '', [
        { field: result.split(':')[0], reason: 'FieldValueRequired', message: result.split(': ').slice(1).join(': ') },
      ]);
    sendObject(
      ex.req,
      ex.res,
      201,
      {
        kind: rt.kind,
        apiVersion: groupVersion(rt),
        metadata: { creationTimestamp: null },
        spec: body.spec ?? {},
        status: result,
      },
      ex.headers,
    );
  }

  private async subresource(ex: Exchange, rr: ResourceRequest & { rt: ResourceType }): Promise<void> {
    const { rt, namespace, name, subresource, verb } = rr;
    const served = rt.subresources?.some((s) => s.name === subresource);
    if (!served || !name) throw status.noSuchPath();
    const o = this.existing(rt, namespace, subresource === 'proxy' ? proxiedName(name) : name);
    switch (subresource) {
      case 'status':
        if (verb === 'get') this.respond(ex, 200, rt, o);
        else if (verb === 'update')
          await this.update(ex, rt, namespace, name, {
            ...o,
            status: ((await decodeBody(ex.req, rt)) as KubeObject).status,
          });
        else if (verb === 'patch') await this.patch(ex, rt, namespace, name);
        else throw status.methodNotAllowed();
        return;
      case 'scale':
        await this.scale(ex, rt, o);
        return;
      case 'approval':
        // `kubectl certificate approve|deny`: the conditions are the body's; nothing is signed.
        if (verb === 'get') this.respond(ex, 200, rt, o);
        else if (verb === 'update')
          await this.update(ex, rt, namespace, name, {
            ...o,
            status: ((await decodeBody(ex.req, rt)) as KubeObject).status,
          });
        else throw status.methodNotAllowed();
        return;
      case 'log':
        if (verb !== 'get') throw status.methodNotAllowed();
        this.podLog(ex, o as unknown as Pod);
        return;
      case 'exec':
      case 'attach':
      case 'portforward':
        if (verb !== 'get' && verb !== 'create') throw status.methodNotAllowed();
        throw status.badRequest('Upgrade request required');
      case 'proxy': {
        const path = rr.subpath ?? '/';
        const reached =
          rt.kind === 'Node'
            ? await this.deps.kubeletProxy(name, path, ex.req, ex.res)
            : await this.deps.serviceProxy(namespace ?? '', name, path, ex.req, ex.res);
        if (!reached) {
          throw status.unavailable(
            rt.kind === 'Node'
              ? 'no preferred addresses found; known addresses: []'
              : `no endpoints available for service "${name}"`,
          );
        }
        return;
      }
      case 'token':
        if (verb !== 'create') throw status.methodNotAllowed();
        await this.tokenRequest(ex, o);
        return;
      default:
        throw status.methodNotAllowed();
    }
  }

  /** The scale subresource (`kubectl scale`, HPAs): an autoscaling/v1 Scale over spec.replicas. */
  private async scale(ex: Exchange, rt: ResourceType, o: KubeObject): Promise<void> {
    const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
    const scaleOf = (object: KubeObject, replicas: number) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec: { replicas },
      status: {
        replicas: Number((object.status as { replicas?: number } | undefined)?.replicas ?? 0),
        selector: Object.entries(spec.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    });
    const current = scaleOf(o, spec.replicas ?? 1);
    const method = ex.req.method ?? 'GET';
    if (method === 'GET') {
      sendObject(ex.req, ex.res, 200, current, ex.headers);
      return;
    }
    let wanted: unknown;
    if (method === 'PUT') wanted = ((await decodeBody(ex.req)) as { spec?: { replicas?: unknown } }).spec?.replicas;
    else if (method === 'PATCH') {
      const type = (ex.req.headers['content-type'] ?? '').split(';')[0].trim();
      if (!(PATCH_TYPES as readonly string[]).includes(type)) throw status.unsupportedMediaType(type, [...PATCH_TYPES]);
      let patch: unknown;
      try {
        patch = JSON.parse((await bodyOf(ex.req)).toString('utf8'));
      } catch (err) {
        throw status.badRequest(`error decoding patch: ${(err as Error).message}`);
      }
      try {
        wanted = (applyPatch(type, current, patch) as { spec?: { replicas?: unknown } }).spec?.replicas;
      } catch (err) {
        if (err instanceof PatchError) throw status.badRequest(err.message);
        throw err;
      }
    } else throw status.methodNotAllowed();
    if (typeof wanted !== 'number' || !Number.isInteger(wanted) || wanted < 0) {
      throw status.invalid(rt, o.metadata.name ?? '', [
        { field: 'spec.replicas', reason: 'FieldValueInvalid', message: 'must be greater than or equal to 0' },
      ]);
    }
    if (this.dryRun(ex)) {
      sendObject(ex.req, ex.res, 200, scaleOf(o, wanted), ex.headers);
      return;
    }
    const after = { ...o, spec: { ...spec, replicas: wanted } };
    const stored = this.deps.store.replace(rt, after);
    this.deps.controllers.updated(rt, stored);
    const settled = this.deps.store.get(rt, o.metadata.namespace, o.metadata.name ?? '') ?? stored;
    sendObject(ex.req, ex.res, 200, scaleOf(settled, wanted), ex.headers);
  }

  private podLog(ex: Exchange, pod: Pod): void {
    const names = pod.spec?.containers.map((c) => c.name) ?? [];
    const container = ex.query.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (!container) {
      throw status.badRequest(
        `a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${names.join(' ')}]`,
      );
    }
    if (!names.includes(container))
      throw status.badRequest(`container ${container} is not valid for pod ${pod.metadata?.name}`);
    sendText(ex.res, 200, this.deps.containerLog(pod, container), ex.headers);
  }

  private async tokenRequest(ex: Exchange, account: KubeObject): Promise<void> {
    const body = (await decodeBody(ex.req)) as { spec?: { expirationSeconds?: number; audiences?: string[] } };
    const seconds = Math.max(600, Math.min(body.spec?.expirationSeconds ?? 3600, 172_800));
    const sa = {
      namespace: account.metadata.namespace ?? '',
      name: account.metadata.name ?? '',
      uid: account.metadata.uid ?? '',
    };
    const token = this.deps.signer.sign(boundClaims(sa, randomUUID(), undefined, undefined, seconds));
    this.deps.remember(token);
    sendObject(
      ex.req,
      ex.res,
      201,
      {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name: sa.name, namespace: sa.namespace, creationTimestamp: timestamp() },
        spec: {
          audiences: body.spec?.audiences ?? ['https://kubernetes.default.svc.cluster.local'],
          expirationSeconds: seconds,
          boundObjectRef: null,
        },
        status: { token, expirationTimestamp: timestamp(new Date(Date.now() + seconds * 1000)) },
      },
      ex.headers,
    );
  }
}

/** Copies of stored objects, for an answer about objects that are about to change (deletecollection). */
function copies(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map((o) => structuredClone(o));
}
