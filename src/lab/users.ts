/** Who a request was authenticated as, like Kubernetes' user.Info. */
export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** What the insecure port 8080 runs every request as. */
export const UNSECURED: UserInfo = { name: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] };

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return {
    name: `system:serviceaccount:${namespace}:${name}`,
    uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** A client-certificate user: CN is the name, each O a group. */
export function certificateUser(commonName: string, organizations: string[]): UserInfo {
  return { name: commonName, groups: [...organizations, 'system:authenticated'] };
}
