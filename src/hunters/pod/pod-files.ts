import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HuntContext } from '../../core/hunter.js';

/**
 * The pod's own files (/proc/self/status, /proc/self/mountinfo, host mounts) are read under the hunt
 * option `podRoot` (default `/`), so tests point the pod hunters at files they wrote.
 */
export function podPath(ctx: HuntContext, path: string): string {
  return join(ctx.options.podRoot ?? '/', path);
}

/** A file of the pod read as text, or undefined (with a debug line) when it cannot be read. */
export function readPodFile(ctx: HuntContext, path: string): string | undefined {
  try {
    return readFileSync(podPath(ctx, path), 'utf8');
  } catch (err) {
    ctx.log(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    return undefined;
  }
}

/** What the pod hunters name as the object of a finding: the container kubeferret runs in. */
export function podObject(credentialName: string): string {
  return `container of ${credentialName}`;
}
