import type { HuntHooks } from '../core/hunt.js';
import { Redactor } from '../report/redact.js';

/**
 * The hunt's log lines for stderr, redacted like the reports: secrets are learnt from Credential events as
 * they appear, so a warning that quotes one never prints it.
 */
export function logHooks(debug: boolean, print: (line: string) => void = (l) => console.error(l)): HuntHooks {
  const redactor = new Redactor();
  return {
    onEvent: redactor.observe,
    onProblem: (line) => print(`warning: ${redactor.text(line)}`),
    onDebug: debug ? (line) => print(`debug: ${redactor.text(line)}`) : undefined,
  };
}
