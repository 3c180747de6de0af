import { createHash } from 'node:crypto';
import type { CredentialSecret, KfEvent } from './events.js';

// The one place secrets are taken out of text. Every report format, log line and trace record goes
// through it. Two nets: the secret values known to the run (every Credential's secrets, in the forms
// they travel in), and patterns that look like secrets whoever they belong to.

/** A short, non-reversible stand-in: keeps findings distinguishable without showing the value. */
export function secretFingerprint(value: string): string {
  const digest = createHash('sha256').update(value).digest('hex').slice(0, 8);
  // A short value would lose too much of itself to a visible prefix.
  const prefix = value.length >= 16 ? `${value.slice(0, 4)}…` : '';
  return `[redacted ${prefix}sha256:${digest}]`;
}

/** Known secrets shorter than this are not searched for: they would match ordinary words. */
const MIN_KNOWN = 6;

// `(?!\[redacted )`: a value already replaced (by the known-secret pass or an earlier pattern) stays as it is.
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const AUTH_HEADER =
  /(\bauthorization\b["']?\s*[:=]\s*["']?)(?!(?:(?:bearer|basic|token|negotiate|digest)\s+)?\[redacted )((?:bearer|basic|token|negotiate|digest)\s+)?([^\s"',;]+)/gi;
const BEARER = /(\b(?:bearer|basic)\s+)(?!\[redacted )([A-Za-z0-9._~+/=-]{8,})/gi;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)([^/\s:@]*):(?!\[redacted )([^/\s@]+)@/gi;
const QUERY_SECRET =
  /([?&;](?:access_token|id_token|refresh_token|token|password|passwd|pwd|secret|client_secret|api_key|apikey|key|auth|sig|signature)=)(?!\[redacted )([^&\s#"'<>]+)/gi;
const SECRET_KEY = '(?:password|passwd|secret|token|bearer_token|api[_-]?key|client[_-]?secret|private[_-]?key)';
/**
 * `key=value`, `key: "value"`, or a quoted key (`"token-secret": …`): the key stands on its own (a flag's
 * `--`, an environment variable's `DB_` may precede it), never as the end of a name such as `bound.token`,
 * `/token` or `service-account-token` outside quotes, which are file names and identities, not keys.
 */
const KEY_VALUE = new RegExp(
  `((?:(?<=^|[\\s"'{(\\[,;&?_]|--)${SECRET_KEY}(?:["']?\\s*=\\s*["']?|\\s*:\\s*["'])|(?<=["'][\\w.-]*)${SECRET_KEY}["']\\s*:\\s*["']?))(?!\\[redacted )([^\\s"',;&}]{4,})`,
  'gi',
);
/**
 * `key: value` without quotes reads the same in YAML and in a sentence ("without a token: skip-login is
 * on"): the value is taken for a secret only when it is not a plain word (letters joined by `-`, `.` or `/`).
 */
const KEY_COLON = new RegExp(`((?<=^|[\\s{(\\[,;])${SECRET_KEY}\\s*:\\s*)(?!\\[redacted )([^\\s"',;&}]{4,})`, 'gi');
const LONG_BASE64 = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{40,}={0,2}/g;
const LONG_HEX = /(?<![A-Za-z0-9:])(?<!sha(?:1|256|512):)[a-fA-F0-9]{40,}(?![A-Za-z0-9])/g;

/**
 * Letters only, words joined by `-`, `.` or `/`: prose, a setting or a path (`skip-login`, `Webhook`,
 * `kube-system/coredns`), not a credential. A credential of letters alone escapes the patterns; the known
 * secrets of the run are still redacted wherever they are.
 */
function plainWord(value: string): boolean {
  return /^[A-Za-z]+(?:[-./][A-Za-z]+)*$/.test(value);
}

/** Bits per character: random secrets score high, paths and words low. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A long run of base64 characters that looks random rather than like a path or a word. */
function looksRandom(run: string): boolean {
  const slashes = (run.match(/\//g) ?? []).length;
  if (slashes > run.length / 16) return false;
  return /[0-9]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) && entropy(run) >= 4.2;
}

/**
 * A long run of base64-alphabet characters, redacted when it looks random. Standard base64 writes `+` and
 * `/`, base64url `-` and `_`: a run with `/` beside `-` or `_` is no single encoding but a path
 * (`10250/containerLogs/kube-system/coredns-b66f4cfcfa-7bac8/coredns`), whose segments are judged one by one.
 */
function redactRun(run: string): string {
  if (run.includes('/') && /[-_]/.test(run)) {
    return run
      .split('/')
      .map((part) => (part.length >= 40 && looksRandom(part) ? secretFingerprint(part) : part))
      .join('/');
  }
  return looksRandom(run) ? secretFingerprint(run) : run;
}

/** Redacts what looks like a secret, with no knowledge of the run. */
export function redactPatterns(text: string): string {
  return text
    .replace(PEM_PRIVATE_KEY, (m) => `-----BEGIN PRIVATE KEY----- ${secretFingerprint(m)} -----END PRIVATE KEY-----`)
    .replace(JWT, (m) => secretFingerprint(m))
    .replace(
      URL_USERINFO,
      (_m, scheme: string, user: string, pass: string) => `${scheme}${user}:${secretFingerprint(pass)}@`,
    )
    .replace(AUTH_HEADER, (m, head: string, scheme = '', value: string) =>
      // `authorization: Webhook` names a mode; a header's value without a scheme is never a plain word.
      !scheme && plainWord(value) ? m : `${head}${scheme}${secretFingerprint(value)}`,
    )
    .replace(BEARER, (m, head: string, value: string) => (plainWord(value) ? m : `${head}${secretFingerprint(value)}`))
    .replace(QUERY_SECRET, (_m, head: string, value: string) => `${head}${secretFingerprint(value)}`)
    .replace(KEY_VALUE, (_m, head: string, value: string) => `${head}${secretFingerprint(value)}`)
    .replace(KEY_COLON, (m, head: string, value: string) =>
      plainWord(value) ? m : `${head}${secretFingerprint(value)}`,
    )
    .replace(LONG_BASE64, redactRun)
    .replace(LONG_HEX, (m) => secretFingerprint(m));
}

/** Every string inside a value (objects and arrays walked) passed through `fn`; the shape is kept. */
export function mapStrings<T>(value: T, fn: (s: string) => string): T {
  if (typeof value === 'string') return fn(value) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, fn)])) as T;
  }
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a secret value travels in: as is, line by line (PEM), base64 (Kubernetes Secrets, basic auth). */
function formsOf(value: string): string[] {
  const forms = new Set<string>([value]);
  for (const line of value.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= 16 && !t.startsWith('-----')) forms.add(t);
  }
  const b64 = Buffer.from(value).toString('base64');
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ''));
  forms.add(Buffer.from(value).toString('base64url'));
  // JSON-escaped, for text that holds serialised JSON.
  forms.add(JSON.stringify(value).slice(1, -1));
  return [...forms].filter((f) => f.length >= MIN_KNOWN);
}

/**
 * Redacts the secrets of one run, and anything that looks like a secret. Add the secrets as they become
 * known (Credential events); `text` and `deep` are then safe to print.
 */
export class Redactor {
  private readonly known = new Map<string, string>();
  private pattern?: RegExp;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Adds a secret value (and the forms it travels in) to the ones redacted. */
  add(secret: string | undefined): void {
    if (!secret || secret.length < MIN_KNOWN) return;
    const tag = secretFingerprint(secret);
    for (const form of formsOf(secret)) {
      if (!this.known.has(form)) {
        this.known.set(form, tag);
        this.pattern = undefined;
      }
    }
  }

  addSecret(secret: CredentialSecret): void {
    // The user name is not a secret; the password, token, key and certificates are treated as such.
    const { username, trust: _trust, renewal: _renewal, ...rest } = secret;
    for (const value of Object.values(rest)) this.add(value);
    if (username !== undefined && secret.password !== undefined) this.add(`${username}:${secret.password}`);
  }

  /** Takes the secrets of a Credential event; other events are ignored. For use as an onEvent hook. */
  observe = (event: KfEvent): void => {
    if (event.type === 'Credential') this.addSecret(event.secret);
  };

  /** The known values only, longest first so a value is replaced before any part of it. */
  redactKnown(text: string): string {
    if (this.known.size === 0) return text;
    if (!this.pattern) {
      const forms = [...this.known.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(forms.join('|'), 'g');
    }
    return text.replace(this.pattern, (m) => this.known.get(m) ?? secretFingerprint(m));
  }

  /** Known secrets, then patterns. */
  text(text: string): string {
    return redactPatterns(this.redactKnown(text));
  }

  /** Every string inside a value, redacted; the shape is kept. */
  deep<T>(value: T): T {
    return mapStrings(value, (s) => this.text(s));
  }
}

/** A redactor holding every Credential secret of a finished run. */
export function redactorFor(events: readonly KfEvent[]): Redactor {
  const r = new Redactor();
  for (const e of events) r.observe(e);
  return r;
}
