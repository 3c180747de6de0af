import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Real components (kubectl, etcd, chromium, nmap) are used where a user would meet them. Locally a
 * test that needs a missing one skips with a visible reason; CI sets KUBEFERRET_REQUIRE_COMPONENTS=1,
 * which turns that skip into a failure.
 */
export function hasCommand(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Returns true when the component is there; otherwise skips (or fails under CI) and returns false. */
export function requireComponent(t: TestContext, command: string, debianPackage: string): boolean {
  if (hasCommand(command)) return true;
  const reason = `${command} not found (Debian package ${debianPackage})`;
  if (process.env.KUBEFERRET_REQUIRE_COMPONENTS === '1') {
    throw new Error(`${reason}, and KUBEFERRET_REQUIRE_COMPONENTS=1 requires it`);
  }
  t.skip(reason);
  return false;
}
