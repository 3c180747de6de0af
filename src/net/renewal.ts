import { NetError, oneLine } from '../core/errors.js';
import type { CredentialSecret } from '../core/events.js';

/**
 * Credentials a source can issue again (an exec plugin's ExecCredential, such as the fifteen-minute tokens
 * of `aws eks get-token`) are renewed as client-go renews them: once expired, or once a server answered 401
 * to them, the next request asks their source again, and every holder of the old one sends the new one.
 * Sources register here under the key their secret carries (`CredentialSecret.renewal`).
 */
interface Source {
  renew: () => Promise<CredentialSecret>;
  /** Drops what the source cached, so `renew` asks afresh (after a 401). */
  forget: () => void;
}

const sources = new Map<string, Source>();
/** The newest secret each source gave: sent instead of any older one that carries the same key. */
const newest = new Map<string, CredentialSecret>();
/** Sources whose secret a server refused with 401 since it was issued. */
const refused = new Set<string>();
/** Renewals in flight: requests that find a credential stale at once wait for one. */
const renewing = new Map<string, Promise<CredentialSecret>>();

export function registerRenewal(key: string, renew: Source['renew'], forget: Source['forget'] = () => {}): void {
  sources.set(key, { renew, forget });
}

/**
 * A server answered 401 to this credential: when that server is its own API server (`trust.serverHost`,
 * by name or address), its source is asked again before the next request. A kubelet that refuses it says
 * nothing about whether the API server would.
 */
export function credentialRefused(credential: CredentialSecret | undefined, host: string, address: string): void {
  const key = credential?.renewal?.key;
  if (!key || !sources.has(key)) return;
  const own = credential.trust?.serverHost?.toLowerCase();
  if (own !== undefined && own !== host.toLowerCase() && own !== address) return;
  refused.add(key);
}

async function renewed(key: string, source: Source, learn: (fresh: CredentialSecret) => void) {
  let pending = renewing.get(key);
  if (!pending) {
    if (refused.delete(key)) source.forget();
    pending = source.renew().then(
      (fresh) => {
        learn(fresh);
        newest.set(key, fresh);
        return fresh;
      },
      (err) => {
        throw new NetError('protocol', `the credential could not be renewed: ${oneLine(err)}`);
      },
    );
    renewing.set(key, pending);
    pending.then(
      () => renewing.delete(key),
      () => renewing.delete(key),
    );
  }
  return pending;
}

/**
 * The credential to send now: the newest its source gave while that is valid, else a fresh one (which
 * `learn` is told about first, so the run's redactor knows the new secret before it can appear anywhere).
 */
export async function currentCredential(
  credential: CredentialSecret | undefined,
  learn: (fresh: CredentialSecret) => void,
): Promise<CredentialSecret | undefined> {
  const key = credential?.renewal?.key;
  const source = key ? sources.get(key) : undefined;
  if (!credential || !key || !source) return credential;
  const latest = newest.get(key);
  const current = latest && latest.renewal!.expires >= credential.renewal!.expires ? latest : credential;
  if (current.renewal!.expires > Date.now() && !refused.has(key)) return { ...credential, ...current };
  return { ...credential, ...(await renewed(key, source, learn)) };
}
