// The namespace labels Pod Security Admission reads, parsed as it parses them (k8s.io/pod-security-admission
// api: ParseLevel, ParseVersion): one vocabulary for the lab's admission and the attack paths' facts.

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
export const ENFORCE_VERSION_LABEL = 'pod-security.kubernetes.io/enforce-version';

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];

export const isPodSecurityLevel = (value: string): value is PodSecurityLevel =>
  (POD_SECURITY_LEVELS as readonly string[]).includes(value);

/** A pinned policy version: `v1.N` (`latest` is the other value a label may hold). */
export const isPodSecurityVersion = (value: string): boolean => /^v1\.(0|[1-9][0-9]*)$/.test(value);
