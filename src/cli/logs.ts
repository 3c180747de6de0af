import type { HuntHooks } from '../run/hunt.js';

/**
 * The hunt's log lines for stderr. The hunt hands them over already redacted, like the reports: it learns
 * the secrets from Credential events as they appear, so a warning that quotes one never prints it.
 */
export function logHooks(debug: boolean, print: (line: string) => void = (l) => console.error(l)): HuntHooks {
  return {
    onProblem: (line) => print(`warning: ${line}`),
    onDebug: debug ? (line) => print(`debug: ${line}`) : undefined,
  };
}
