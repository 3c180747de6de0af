import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { oneLine, UsageError } from '../../core/errors.js';
import type { CredentialSecret } from '../../core/events.js';
import { registerRenewal } from '../../net/renewal.js';

/** The ExecCredential API versions client-go still runs (v1alpha1 was removed in Kubernetes 1.24). */
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;

/** A kubeconfig user's `exec` block, with `command` already resolved against the kubeconfig's directory. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  interactiveMode?: string;
  provideClusterInfo: boolean;
  installHint?: string;
}

/** What client-go hands the plugin about the cluster when `provideClusterInfo` is true. */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
  config?: unknown;
}

export interface ExecOptions {
  /** Deadline for a plugin that cannot ask the user anything (ms). */
  timeoutMs?: number;
  /** Deadline for one that may (a device-code or browser login), ms. */
  interactiveTimeoutMs?: number;
  /** Whether stdin is a terminal (client-go's test for "interactive"); default process.stdin.isTTY. */
  stdinIsTerminal?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const INTERACTIVE_TIMEOUT_MS = 10 * 60_000;
/** An ExecCredential is a few kilobytes; more is not one. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Why a plugin did not yield a credential, in one line; the caller names the context. */
class PluginFailure extends Error {}

interface Cached {
  secret: CredentialSecret;
  /** ms since the epoch; undefined: valid for the whole run. */
  expires?: number;
}

/** Credentials by plugin invocation, kept until they expire (client-go caches them the same way). */
const cache = new Map<string, Cached>();

/** Whether the plugin may talk to the user, by client-go's rules for `interactiveMode`. */
function interactive(exec: ExecConfig, stdinIsTerminal: boolean): boolean {
  const mode = exec.interactiveMode ?? (exec.apiVersion.endsWith('/v1beta1') ? 'IfAvailable' : undefined);
  if (mode === undefined)
    throw new PluginFailure('interactiveMode must be specified to use an exec plugin of API version v1');
  if (mode === 'Never') return false;
  if (mode === 'IfAvailable') return stdinIsTerminal;
  if (mode === 'Always') {
    if (!stdinIsTerminal)
      throw new PluginFailure('exec plugin cannot support interactive mode: standard input is not a terminal');
    return true;
  }
  throw new PluginFailure(`exec plugin interactiveMode "${mode}" is not Never, IfAvailable or Always`);
}

/** The KUBERNETES_EXEC_INFO the plugin reads: its API version, whether it may ask, and the cluster if asked. */
function execInfo(exec: ExecConfig, isInteractive: boolean, cluster: ExecClusterInfo): string {
  const spec: Record<string, unknown> = { interactive: isInteractive };
  if (exec.provideClusterInfo) spec.cluster = cluster;
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion, spec });
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}

/** Runs the command and returns its stdout; every way it can fail is a PluginFailure. */
function run(exec: ExecConfig, env: NodeJS.ProcessEnv, isInteractive: boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // A shell is never involved: the command and its arguments go to the program as written.
    const child = spawn(exec.command, exec.args, {
      env,
      stdio: [isInteractive ? 'inherit' : 'ignore', 'pipe', isInteractive ? 'inherit' : 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const settle = (failure: PluginFailure | undefined, output?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve(output ?? '');
    };
    // Killed, and not waited for: a child it left behind may hold its output open long after.
    const abandon = (why: string) => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      settle(new PluginFailure(why));
    };
    const timer = setTimeout(() => {
      const within = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      abandon(`exec plugin ${exec.command} did not finish within ${within}`);
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        abandon(`exec plugin ${exec.command} wrote more than ${MAX_OUTPUT_BYTES} bytes: not an ExecCredential`);
      } else out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4096);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      const hint = exec.installHint ? `: ${oneLine(exec.installHint.trim())}` : '';
      settle(
        new PluginFailure(
          e.code === 'ENOENT'
            ? `exec plugin: executable ${exec.command} not found${hint}`
            : e.code === 'EACCES'
              ? `exec plugin: ${exec.command} is not executable (permission denied)`
              : `exec plugin ${exec.command}: ${oneLine(e)}`,
        ),
      );
    });
    child.once('close', (code, signal) => {
      if (code !== 0) {
        const said = lastLine(err);
        const how = code === null ? `was killed by ${signal}` : `failed with exit code ${code}`;
        return settle(new PluginFailure(`exec plugin ${exec.command} ${how}${said ? `: ${said}` : ''}`));
      }
      settle(undefined, Buffer.concat(out).toString('utf8'));
    });
  });
}

/** The ExecCredential a plugin printed, checked as client-go checks it; its status becomes the secret. */
export function readExecCredential(exec: ExecConfig, stdout: string): Cached {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new PluginFailure(`exec plugin ${exec.command} did not print an ExecCredential (its output is not JSON)`);
  }
  const cred = parsed as { kind?: unknown; apiVersion?: unknown; status?: Record<string, unknown> } | null;
  if (cred?.kind !== 'ExecCredential') {
    throw new PluginFailure(
      `exec plugin ${exec.command} printed a ${String(cred?.kind ?? 'nameless object')}, not an ExecCredential`,
    );
  }
  if (cred.apiVersion !== exec.apiVersion) {
    throw new PluginFailure(
      `exec plugin is configured to use API version ${exec.apiVersion}, plugin returned version ${String(cred.apiVersion)}`,
    );
  }
  const status = cred.status;
  if (!status || typeof status !== 'object') throw new PluginFailure(`exec plugin ${exec.command} returned no status`);
  const text = (key: string) =>
    typeof status[key] === 'string' && status[key] !== '' ? (status[key] as string) : undefined;
  const secret: CredentialSecret = {};
  const token = text('token');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  if (Boolean(cert) !== Boolean(key)) {
    throw new PluginFailure(
      `exec plugin ${exec.command} returned a client certificate without a key, or a key without a certificate`,
    );
  }
  if (!token && !cert) throw new PluginFailure(`exec plugin ${exec.command} didn't return a token or cert/key pair`);
  if (token) secret.token = token;
  if (cert && key) {
    secret.clientCert = cert;
    secret.clientKey = key;
  }
  const stamp = text('expirationTimestamp');
  const expires = stamp === undefined ? undefined : Date.parse(stamp);
  if (expires !== undefined && Number.isNaN(expires)) {
    throw new PluginFailure(`exec plugin ${exec.command} returned an expirationTimestamp that is not a time: ${stamp}`);
  }
  return { secret, expires };
}

/** Runs the plugin once and checks what it printed; failures are PluginFailure. */
async function runPlugin(exec: ExecConfig, cluster: ExecClusterInfo, options: ExecOptions): Promise<Cached> {
  const isInteractive = interactive(exec, options.stdinIsTerminal ?? Boolean(process.stdin.isTTY));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const { name, value } of exec.env) env[name] = value;
  env.KUBERNETES_EXEC_INFO = execInfo(exec, isInteractive, cluster);
  const timeout = isInteractive
    ? (options.interactiveTimeoutMs ?? INTERACTIVE_TIMEOUT_MS)
    : (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const got = readExecCredential(exec, await run(exec, env, isInteractive, timeout));
  if (got.expires !== undefined && got.expires <= Date.now()) {
    throw new PluginFailure(`exec plugin ${exec.command} returned a credential that has already expired`);
  }
  return got;
}

/** Plugin runs in flight, so requests that find a credential expired at once run its plugin once. */
const inflight = new Map<string, Promise<Cached>>();

/**
 * The credential of a kubeconfig user's `exec` plugin, run as kubectl runs it: the command with its
 * arguments (no shell), kubectl's environment plus the block's `env`, KUBERNETES_EXEC_INFO, stdin only
 * when interactive; the ExecCredential's token or client certificate, cached until its
 * `expirationTimestamp`, and renewed by running the plugin again when a request finds it expired
 * (net/renewal.ts). Any failure is one UsageError line naming `what` (the context).
 */
export async function execCredential(
  what: string,
  exec: ExecConfig,
  cluster: ExecClusterInfo,
  options: ExecOptions = {},
): Promise<CredentialSecret> {
  const key = JSON.stringify([exec, exec.provideClusterInfo ? cluster : undefined]);
  let got = cache.get(key);
  if (!got || (got.expires !== undefined && got.expires <= Date.now())) {
    let pending = inflight.get(key);
    if (!pending) {
      pending = runPlugin(exec, cluster, options).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    try {
      got = await pending;
    } catch (err) {
      if (err instanceof PluginFailure) throw new UsageError(`${what}: ${err.message}`);
      throw err;
    }
    cache.set(key, got);
  }
  // The key names the plugin run without carrying its env (which may hold secrets) into the Credential.
  const renewal = createHash('sha256').update(key).digest('hex').slice(0, 24);
  registerRenewal(
    renewal,
    () => execCredential(what, exec, cluster, options),
    () => cache.delete(key),
  );
  // Without an expirationTimestamp it is valid until a server refuses it (client-go asks again on a 401).
  return { ...got.secret, renewal: { key: renewal, expires: got.expires ?? Number.MAX_SAFE_INTEGER } };
}
