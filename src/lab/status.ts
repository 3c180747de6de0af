import type { Status, StatusCause } from 'kubernetes-types/meta/v1.js';
import { qualified, type ResourceType } from './resources.js';
import type { UserInfo } from './users.js';

/** An API error: the Status object the API server answers with, and its HTTP code. */
export class ApiError extends Error {
  constructor(readonly status: Status & { code: number }) {
    super(status.message);
  }
}

function failure(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  const status: Status & { code: number } = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  // The real server puts `code` after `details`; keep that order so the JSON reads the same.
  const { code: c, ...rest } = status;
  return new ApiError({ ...rest, code: c });
}

function named(rt: ResourceType, name?: string): Status['details'] {
  const details: NonNullable<Status['details']> = {};
  if (name !== undefined) details.name = name;
  if (rt.group) details.group = rt.group;
  details.kind = rt.resource;
  return details;
}

export const unauthorized = () => failure(401, 'Unauthorized', 'Unauthorized');

export const notFound = (rt: ResourceType, name: string) =>
  failure(404, 'NotFound', `${qualified(rt)} "${name}" not found`, named(rt, name));

/** The answer to a path nothing serves. */
export const noSuchPath = () => failure(404, 'NotFound', 'the server could not find the requested resource', {});

/** An admission plugin's refusal (Pod Security, NodeRestriction): 403 with the plugin's reason. */
export const admissionDenied = (rt: ResourceType, name: string, why: string) =>
  failure(403, 'Forbidden', `${qualified(rt)} "${name}" is forbidden: ${why}`, named(rt, name));

export const alreadyExists = (rt: ResourceType, name: string) =>
  failure(409, 'AlreadyExists', `${qualified(rt)} "${name}" already exists`, named(rt, name));

export const conflict = (rt: ResourceType, name: string) =>
  failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(rt)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    named(rt, name),
  );

/** A namespace deleted again while it is still Terminating. */
export const namespaceTerminating = (name: string) =>
  failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
    { name, kind: 'namespaces' },
  );

export const badRequest = (message: string) => failure(400, 'BadRequest', message);

export const methodNotAllowed = () =>
  failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const unsupportedMediaType = (contentType: string, accepted: string[]) =>
  failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] },
  );

export const notAcceptable = () =>
  failure(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml');

export const tooLarge = (limit: number) =>
  failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

export const unavailable = (message: string) => failure(503, 'ServiceUnavailable', message);

export interface FieldError {
  field: string;
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueForbidden`. */
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  message: string;
}

/** 422: the object was understood but breaks a validation rule. */
export function invalid(rt: ResourceType, name: string, errors: FieldError[]): ApiError {
  const causes: StatusCause[] = errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field }));
  const list = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  const details: NonNullable<Status['details']> = { name };
  if (rt.group) details.group = rt.group;
  details.kind = rt.kind;
  details.causes = causes;
  return failure(422, 'Invalid', `${rt.kind} "${name}" is invalid: ${summary}`, details);
}

export interface ForbiddenRequest {
  verb: string;
  rt?: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
  path?: string;
}

/** 403, worded the way the RBAC authorizer words it. */
export function forbidden(user: UserInfo, req: ForbiddenRequest, why?: string): ApiError {
  const suffix = why ? `: ${why}` : '';
  if (!req.rt) {
    return failure(
      403,
      'Forbidden',
      `forbidden: User "${user.name}" cannot ${req.verb} path "${req.path}"${suffix}`,
      {},
    );
  }
  const resource = req.subresource ? `${req.rt.resource}/${req.subresource}` : req.rt.resource;
  const where = req.namespace ? `in the namespace "${req.namespace}"` : 'at the cluster scope';
  const subject = req.name !== undefined ? `${qualified(req.rt)} "${req.name}"` : qualified(req.rt);
  return failure(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user.name}" cannot ${req.verb} resource "${resource}" in API group "${req.rt.group}" ${where}${suffix}`,
    named(req.rt, req.name),
  );
}

/** The Status a successful delete of a non-pod object answers with. */
export function deleted(rt: ResourceType, name: string, uid: string): Status {
  const details: NonNullable<Status['details']> = { name };
  if (rt.group) details.group = rt.group;
  details.kind = rt.resource;
  details.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
