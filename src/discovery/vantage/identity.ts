import { UsageError } from '../../core/errors.js';
import type { CredentialSecret, EventPayloads, Scheme } from '../../core/events.js';

/** An API server named by a vantage point, as written (host may be a hostname or a literal). */
export interface ApiServerRef {
  url: string;
  host: string;
  port: number;
  scheme: Scheme;
}

/**
 * One identity to hunt with: where it came from, the API server it belongs to (none for a bare token,
 * which hunters try on the API servers discovery finds), and its secret. The secret sits in a private
 * field, so serialising a config (a report, a debug dump) can never carry it.
 */
export class Identity {
  readonly #secret: CredentialSecret;

  constructor(
    readonly name: string,
    readonly source: EventPayloads['Credential']['source'],
    readonly server: ApiServerRef | undefined,
    secret: CredentialSecret,
    /** Its own namespace where its source names one (a kubeconfig context's `namespace`). */
    readonly namespace?: string,
  ) {
    this.#secret = secret;
  }

  secret(): CredentialSecret {
    return { ...this.#secret };
  }

  toJSON(): { name: string; source: string; server?: string; namespace?: string } {
    return { name: this.name, source: this.source, server: this.server?.url, namespace: this.namespace };
  }
}

/** Settings of the vantage points, kept in HuntConfig.extra under `vantage`. */
export interface VantageSettings {
  identities: Identity[];
  /** List nodes through the API with each identity and scan those inside the scope. */
  discoverNodes: boolean;
}

export const VANTAGE_KEY = 'vantage';

/** The vantage settings of a config's `extra`. */
export function vantageOf(extra: Record<string, unknown>): VantageSettings {
  const v = extra[VANTAGE_KEY] as VantageSettings | undefined;
  return v ?? { identities: [], discoverNodes: false };
}

/** Parses an API server URL the way kubectl reads `server:`; `what` names its origin in errors. */
export function parseServer(text: string, what: string): ApiServerRef {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what}: the API server "${text}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${what}: the API server "${text}" must be an http or https URL`);
  }
  const scheme: Scheme = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : scheme === 'https' ? 443 : 80;
  return { url: url.origin, host, port, scheme };
}
