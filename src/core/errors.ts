// Errors a user can meet. Each carries a one-line message for the CLI; stack traces are for --debug.

/** Bad arguments or input: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The hunt could not run at all (e.g. the trace file cannot be written): exit code 3. */
export class HuntFailedError extends Error {
  override readonly name = 'HuntFailedError';
}

/** `untrusted`: the server's certificate is not one the credential's source trusts, so nothing was sent. */
export type NetErrorKind =
  | 'out-of-scope'
  | 'timeout'
  | 'refused'
  | 'unreachable'
  | 'tls'
  | 'untrusted'
  | 'protocol'
  | 'aborted';

/** A network operation failed; `kind` lets hunters tell "closed" from "filtered" from "refused by scope". */
export class NetError extends Error {
  override readonly name = 'NetError';
  constructor(
    readonly kind: NetErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Exit statuses, one meaning each (README "Exit codes"). A run stopped by a signal exits with the shell's
 * 128 + signal number (130 for SIGINT, 143 for SIGTERM), after its report is written.
 */
export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  failed: 3,
  /** With --fail-on-incomplete: something was not examined fully, and no finding already gave 1. */
  incomplete: 4,
} as const;

/** One line describing any thrown value, without a stack. */
export function oneLine(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const msg = err.message.split('\n')[0];
    return code && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(err).split('\n')[0];
}

/** Why a file could not be read, in a few words ("no such file", "permission denied"). */
export function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
}
