import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { oneLine } from '../../core/errors.js';
import { defineHunter } from '../../core/hunter.js';

/** kubectl prints its version at once; one that takes longer is hung (a wrapper waiting for something). */
const KUBECTL_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 256 * 1024;

/** The first executable file called `name` on the PATH, as the shell would find it. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** `gitVersion` from `kubectl version --client -o json`, or undefined when the output is not that. */
export function clientVersionOf(output: string): string | undefined {
  try {
    const version = (JSON.parse(output) as { clientVersion?: { gitVersion?: unknown } }).clientVersion?.gitVersion;
    return typeof version === 'string' && version.length > 0 && version.length <= 128 ? version : undefined;
  } catch {
    return undefined;
  }
}

function run(binary: string, args: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { timeout: KUBECTL_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, killSignal: 'SIGKILL', signal, encoding: 'utf8' },
      (err, stdout) => {
        if (err) {
          const timedOut = (err as { killed?: boolean }).killed && !signal.aborted;
          reject(timedOut ? new Error(`no answer within ${KUBECTL_TIMEOUT_MS / 1000} s`) : err);
        } else resolve(stdout);
      },
    );
  });
}

/**
 * With --local: runs `kubectl version --client -o json` for the kubectl on the PATH (no network, no
 * kubeconfig needed) and publishes its version, which the CVE hunter then checks. It listens for the
 * HuntStarted event, so it runs once per hunt whether or not any target answers.
 */
export const localKubectlHunter = defineHunter({
  id: 'local-kubectl-version',
  title: 'Version of the kubectl on the PATH (--local)',
  mode: 'passive',
  on: 'HuntStarted',
  reports: [],
  async hunt(_event, ctx) {
    if (!ctx.options.local) return;
    const binary = findOnPath('kubectl');
    if (!binary) {
      ctx.log('--local: no kubectl on the PATH', 'warn');
      return;
    }
    let output: string;
    try {
      output = await run(binary, ['version', '--client', '-o', 'json'], ctx.signal);
    } catch (err) {
      ctx.log(`--local: \`${binary} version --client\` failed: ${oneLine(err)}`, 'warn');
      return;
    }
    const version = clientVersionOf(output);
    if (!version) {
      ctx.log(`--local: \`${binary} version --client -o json\` printed no client version`, 'warn');
      return;
    }
    ctx.publish('Version', { host: 'localhost', port: 0, component: 'kubectl', version, binary });
  },
});
