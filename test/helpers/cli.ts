import { type SpawnOptions, spawn } from 'node:child_process';

/** What a run of a real executable printed, and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program without blocking this process (which may be serving the lab or a stand-in server the
 * run talks to), with exactly the environment given, optionally in another directory or as another user
 * (`as`). Killed after `timeoutMs`; a program that cannot be started rejects.
 */
export function runProcess(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  as: Pick<SpawnOptions, 'cwd' | 'uid' | 'gid'> = {},
) {
  return new Promise<CliRun>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `kubeferret` as a user does, with this process's environment plus `env`. */
export function runKubeferret(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliRun> {
  return runProcess(process.execPath, ['bin/kubeferret.js', ...args], { ...process.env, ...env }, timeoutMs);
}
