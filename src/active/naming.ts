import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** A run id: 8 characters of [a-z2-7], valid inside Kubernetes names and etcd keys. */
export function newRunId(): string {
  return [...randomBytes(8)].map((b) => ALPHABET[b % 32]).join('');
}

/**
 * The name of an object a run creates: `kubeferret-<runId>-<6 hex>`, the hex part derived from `parts`
 * (identity, server, kind), so two identities proving the same thing never collide. 26 characters: a
 * valid DNS label for namespaces and pods.
 */
export function objectName(runId: string, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 6);
  return `kubeferret-${runId}-${digest}`;
}

/** Labels every object a run creates carries: who made it and in which run. */
export function runLabels(runId: string): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'kubeferret', 'kubeferret/run-id': runId };
}

/** The annotation that tells whoever finds the object what it is. */
export const PURPOSE_ANNOTATION = {
  'kubeferret/purpose': 'proof of impact made by kubeferret --active; deleted again when the run ends',
};

/** The etcd prefix under which a run writes: `/kubeferret/<runId>/`. */
export function etcdPrefix(runId: string): string {
  return `/kubeferret/${runId}/`;
}
