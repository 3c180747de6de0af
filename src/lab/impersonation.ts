import type { IncomingMessage } from 'node:http';
import type { Authorizer } from './rbac.js';
import type { ResourceType } from './resources.js';
import * as status from './status.js';
import type { UserInfo } from './users.js';

// User impersonation as the API server's filter does it (`Impersonate-User`, `Impersonate-Group`): the
// caller must be allowed `impersonate` on each: users (cluster-wide), service accounts (in their
// namespace), groups. The request then runs as the impersonated user, its groups the ones asked for plus
// system:authenticated (a service account's own groups when none are asked for). Uids and extras are
// not simulated.

/** The pseudo-resources impersonation is authorized on (not served: only named in RBAC and in refusals). */
const pseudo = (resource: string): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  kind: resource,
  singular: resource.replace(/s$/, ''),
  namespaced: resource === 'serviceaccounts',
  verbs: ['impersonate'],
});
const USERS = pseudo('users');
const GROUPS = pseudo('groups');
const SERVICE_ACCOUNTS = pseudo('serviceaccounts');

const SA_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** Node joins repeated headers with `, `: each is one value again. */
const values = (header: string | string[] | undefined): string[] =>
  (Array.isArray(header) ? header : header === undefined ? [] : header.split(','))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

/** Who the request runs as: the caller, or the user it may impersonate; throws the server's 403 or 400. */
export function impersonated(req: IncomingMessage, user: UserInfo, authorizer: Authorizer): UserInfo {
  const [name, ...more] = values(req.headers['impersonate-user']);
  const groups = values(req.headers['impersonate-group']);
  if (name === undefined) {
    if (groups.length > 0)
      throw status.badRequest(`requested groups ${JSON.stringify(groups)} without impersonating a user`);
    return user;
  }
  if (more.length > 0) throw status.badRequest('only one Impersonate-User header is allowed');
  const account = SA_USER.exec(name);
  const check = (rt: ResourceType, target: string, namespace?: string) => {
    if (!authorizer.allows(user, { verb: 'impersonate', group: '', resource: rt.resource, namespace, name: target })) {
      throw status.forbidden(user, { verb: 'impersonate', rt, namespace, name: target });
    }
  };
  if (account) check(SERVICE_ACCOUNTS, account[2], account[1]);
  else check(USERS, name);
  for (const group of groups) check(GROUPS, group);
  const own = account && groups.length === 0 ? ['system:serviceaccounts', `system:serviceaccounts:${account[1]}`] : [];
  const all = [...groups, ...own];
  if (name !== 'system:anonymous' && !all.includes('system:authenticated')) all.push('system:authenticated');
  return { name, groups: all };
}
