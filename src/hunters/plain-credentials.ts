// Credentials left in plain sight: environment literals of pod specs and ConfigMap values. A value is a
// credential by its shape (whatever its name) or by a secret-like name with a value that looks like a secret.
// Names that look secret but hold something else (`PASSWORD_FILE=/etc/app/password`, `TOKEN_TTL=3600`) are
// kept out and counted, so the report can say how many were set aside.

import { entropy } from '../core/redact.js';

/** One credential found: under which name, and what gave it away. The value stays with the caller. */
export interface CredentialMatch {
  name: string;
  why: string;
  value: string;
}

export interface CredentialScan {
  matches: CredentialMatch[];
  /** Secret-like names whose value was judged not to be a credential. */
  keptOut: string[];
}

const SHAPES: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, 'a private key'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:(?!\$[({])[^/\s@]+@/i, 'a connection URL with a password'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, 'a Google API key'],
  [/"type"\s*:\s*"service_account"[\s\S]*"private_key"/, 'a Google service-account key'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/, 'a JWT'],
  [/\b(?:ghp|gho|ghs|ghu|github_pat|glpat|xox[abpr])[-_][A-Za-z0-9_-]{16,}/, 'an access token'],
];

/** Names under which a value is a secret (a word of the name, `_`, `-` or `.` separated, or camelCase). */
const SECRET_WORD = /^(?:PASSWORD|PASSWD|PWD|PASS|SECRET|TOKEN|APIKEY|KEY|CREDENTIALS?|AUTH)$/;
/** Words that say the value is about a secret, not the secret: where it is, how long it lasts. */
const ABOUT_WORD =
  /^(?:FILE|PATH|DIR|TTL|TIMEOUT|EXPIRY|EXPIRES|EXPIRATION|LENGTH|LEN|SIZE|ENABLED|ENABLE|NAME|USER|USERNAME|TYPE|HEADER|URL|URI|ENDPOINT|REF|ID|MODE|POLICY|FORMAT|VERSION|COUNT|MIN|MAX)$/;
/** Words under which a value must also look random: `KEY` and `TOKEN` name ordinary things too. */
const RANDOM_ONLY = new Set(['KEY', 'TOKEN', 'AUTH', 'APIKEY', 'SECRET', 'CREDENTIAL', 'CREDENTIALS']);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

function looksRandom(value: string): boolean {
  return value.length >= 12 && entropy(value) >= 3.3 && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

/** Values that are plainly not a secret: paths, numbers, durations, booleans, references, plain URLs. */
function plainlyNotSecret(value: string): boolean {
  const v = value.trim();
  return (
    v.length < 4 ||
    /^(?:\/|\.\/|~\/)/.test(v) ||
    /^\d+(?:\.\d+)?[smhdSMHD]?$/.test(v) ||
    /^(?:true|false|yes|no|on|off|null|none)$/i.test(v) ||
    /^\$[({][^)}]*[)}]$/.test(v) ||
    /^[a-z][a-z0-9+.-]*:\/\/[^@\s]*$/i.test(v)
  );
}

/** Why the value under this name is a credential, or undefined; `secretName` says if the name looks secret. */
function judge(name: string, value: string): { why?: string; secretName: boolean } {
  for (const [shape, what] of SHAPES) if (shape.test(value)) return { why: what, secretName: true };
  const ws = words(name);
  const secretAt = ws.findIndex((w) => SECRET_WORD.test(w));
  if (secretAt < 0) return { secretName: false };
  // `PASSWORD_FILE`, `TOKEN_TTL`: the last word says what the value is.
  if (ws.slice(secretAt + 1).some((w) => ABOUT_WORD.test(w))) return { secretName: true };
  if (plainlyNotSecret(value)) return { secretName: true };
  const word = ws[secretAt];
  if (RANDOM_ONLY.has(word) && !looksRandom(value)) return { secretName: true };
  return { why: `a literal value under the name ${name}`, secretName: true };
}

/** The credentials among name/value pairs, and the secret-like names set aside. */
export function scanCredentials(entries: Iterable<[string, string]>): CredentialScan {
  const scan: CredentialScan = { matches: [], keptOut: [] };
  for (const [name, value] of entries) {
    if (typeof name !== 'string' || typeof value !== 'string' || value === '') continue;
    const { why, secretName } = judge(name, value);
    if (why) scan.matches.push({ name, why, value });
    else if (secretName) scan.keptOut.push(name);
  }
  return scan;
}
